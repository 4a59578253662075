"""Attachments stored once per content hash, whatever the number of messages that carry them."""

from __future__ import annotations

import hashlib
import mimetypes
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from desk.context import Desk
from desk.errors import InvalidInput, NotFound
from desk.models import Attachment, Blob

__all__ = ["read_attachment", "store_attachment"]

_UNSAFE = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


def _clean_name(filename: str) -> str:
    # Keep what a person would recognise; drop paths and control characters.
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return _UNSAFE.sub("_", base)[:255] or "attachment"


async def store_attachment(
    session: AsyncSession,
    desk: Desk,
    data: bytes,
    filename: str,
    content_type: str | None = None,
    *,
    message_id: int | None = None,
    ticket_id: int | None = None,
) -> Attachment:
    """Keep a file: its bytes once per SHA-256, plus a named reference to a message or ticket.

    Raises:
        InvalidInput: for an empty file or one over ``storage.max_attachment_bytes``.
    """
    if not data:
        raise InvalidInput("the file is empty", code="empty_attachment")
    limit = desk.settings.storage.max_attachment_bytes
    if len(data) > limit:
        raise InvalidInput(
            f"the file is larger than {limit // (1024 * 1024)} MB", code="attachment_too_large"
        )
    digest = hashlib.sha256(data).hexdigest()
    if await session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), data=data, created_at=desk.now()))
        await session.flush()  # the attachment row references it
    name = _clean_name(filename)
    kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = Attachment(
        sha256=digest,
        filename=name,
        content_type=kind,
        size=len(data),
        message_id=message_id,
        ticket_id=ticket_id,
        created_at=desk.now(),
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def read_attachment(session: AsyncSession, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment and its bytes.

    Raises:
        NotFound: when there is none.
    """
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}")
    blob = await session.scalar(
        select(Blob).where(Blob.sha256 == attachment.sha256).options(undefer(Blob.data))
    )
    assert blob is not None  # the foreign key guarantees it
    return attachment, blob.data

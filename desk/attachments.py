"""Attachments stored once per content hash, whatever the number of messages that carry them.

An agent's file reaches a requester in three steps: :func:`store_attachment` keeps the upload
(on no message yet), :func:`place_files` puts it on the message that goes out (a copy on each
further message, such as the delivered copy of a ticket comment), and the outbox reads the bytes
with :func:`outgoing_files` when it delivers. Files on a delivered message get a random token, so
channels that send links instead of files (SMS, the web chat) can point at :func:`file_link`,
which :func:`read_linked` serves without a sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from channels.base import Attachment as OutgoingFile
from desk.context import Desk
from desk.errors import Gone, InvalidInput, NotFound
from desk.models import Attachment, Blob, Message

__all__ = [
    "ATTACHMENT_JOBS",
    "file_link",
    "outgoing_files",
    "place_files",
    "purge_unused_uploads",
    "read_attachment",
    "read_linked",
    "store_attachment",
    "take_uploads",
]

log = logging.getLogger(__name__)

# An upload that no message took within this time is deleted (an agent who gave up).
UPLOAD_LIFETIME = timedelta(days=1)

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
    uploaded_by: int | None = None,
) -> Attachment:
    """Keep a file: its bytes once per SHA-256, plus a named reference to a message or ticket
    (or, for an agent's upload waiting for its message, to the agent: ``uploaded_by``).

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
        uploaded_by_id=uploaded_by,
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


async def take_uploads(session: AsyncSession, ids: Sequence[int], agent_id: int) -> list[Attachment]:
    """The uploads ``ids`` that agent ``agent_id`` made (``POST /api/v1/attachments``), in that
    order, for a message of theirs.

    Raises:
        InvalidInput: for an id that is not an upload of theirs (another agent's is answered
            like an unknown one), or one already sent with a message.
    """
    files: list[Attachment] = []
    for ident in dict.fromkeys(ids):
        upload = await session.get(Attachment, ident)
        if upload is None or upload.uploaded_by_id != agent_id:
            raise InvalidInput(f"no upload {ident}", code="unknown_upload")
        if upload.message_id is not None or upload.ticket_id is not None:
            raise InvalidInput(f"upload {ident} was already sent", code="upload_used")
        files.append(upload)
    return files


async def place_files(
    session: AsyncSession, files: Sequence[Attachment], message: Message, *, linked: bool = False
) -> list[Attachment]:
    """Put ``files`` on ``message``: an upload moves there, a file already on another message
    is copied (a new name for the same stored bytes). With ``linked`` (the message goes to a
    user) each gets the token of its :func:`file_link`."""
    placed: list[Attachment] = []
    for file in files:
        if file.message_id is None and file.ticket_id is None:
            file.message_id = message.id
            target = file
        else:
            target = Attachment(
                sha256=file.sha256,
                filename=file.filename,
                content_type=file.content_type,
                size=file.size,
                message_id=message.id,
                created_at=message.created_at,
            )
            session.add(target)
        if linked:
            target.token = target.token or secrets.token_urlsafe(24)
        placed.append(target)
    await session.flush()
    await session.refresh(message, ["attachments"])
    return placed


def file_link(desk: Desk, attachment: Attachment) -> str | None:
    """The sign-in-free address of a file sent to a user; ``None`` for one never sent."""
    if not attachment.token:
        return None
    return desk.link(f"/files/{attachment.id}/{attachment.token}/{quote(attachment.filename)}")


async def read_linked(
    session: AsyncSession, desk: Desk, attachment_id: int, token: str
) -> tuple[Attachment, bytes]:
    """The file behind a :func:`file_link`, for ``storage.file_link_days`` after it was sent.

    Raises:
        NotFound: for an unknown id or a token that does not match (the same answer for both).
        Gone: the link is older than ``storage.file_link_days``; the file stays with the desk.
    """
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or not attachment.token or not hmac.compare_digest(attachment.token, token):
        raise NotFound("no such file")
    days = desk.settings.storage.file_link_days
    if days and desk.now() - attachment.created_at > timedelta(days=days):
        raise Gone(
            f"this link expired {days} days after it was sent; ask the service desk to send the file again",
            code="link_expired",
        )
    return await read_attachment(session, attachment_id)


async def outgoing_files(session: AsyncSession, desk: Desk, ids: Sequence[int]) -> tuple[OutgoingFile, ...]:
    """The files ``ids`` as a channel sends them: bytes, name, type and link. A file deleted
    since the message was queued is left out, with a warning."""
    out: list[OutgoingFile] = []
    for ident in ids:
        try:
            attachment, data = await read_attachment(session, int(ident))
        except NotFound:
            log.warning("outbox: attachment %s is gone; the message leaves without it", ident)
            continue
        out.append(
            OutgoingFile(attachment.filename, attachment.content_type, data, file_link(desk, attachment))
        )
    return tuple(out)


async def purge_unused_uploads(desk: Desk) -> int:
    """Delete uploads no message took within :data:`UPLOAD_LIFETIME`, and their bytes when no
    other attachment shares them. A scheduled job; returns how many uploads went."""
    cutoff = desk.now() - UPLOAD_LIFETIME
    async with desk.session() as session:
        stale = list(
            (
                await session.execute(
                    select(Attachment.id, Attachment.sha256).where(
                        Attachment.message_id.is_(None),
                        Attachment.ticket_id.is_(None),
                        Attachment.created_at < cutoff,
                    )
                )
            ).all()
        )
        if not stale:
            return 0
        await session.execute(
            delete(Attachment).where(
                Attachment.id.in_([row.id for row in stale]),
                Attachment.message_id.is_(None),  # not taken by a message since the select
                Attachment.ticket_id.is_(None),
            )
        )
        for digest in {row.sha256 for row in stale}:
            if (
                await session.scalar(select(Attachment.id).where(Attachment.sha256 == digest).limit(1))
                is None
            ):
                await session.execute(delete(Blob).where(Blob.sha256 == digest))
    return len(stale)


ATTACHMENT_JOBS = (purge_unused_uploads,)

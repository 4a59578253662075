"""``GET /files/{id}/{token}/{name}``: a file sent to a user, for channels that send links.

SMS and the web chat cannot carry a file, so they carry this link; the random token of the
attachment (set when it was sent) stands in for a sign-in, for ``storage.file_link_days`` (then
410 ``link_expired``). Only files that went to a user have a token: what users sent the desk
stays behind the agent API.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response

from desk.api.deps import DeskDep
from desk.attachments import read_linked

router = APIRouter(tags=["files"])

# Shown in the browser: pictures, PDFs and plain text; anything else is downloaded.
_INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain")


@router.get(
    "/files/{attachment_id}/{token}/{name}", summary="A file sent to a user (link in SMS and web chat)"
)
async def linked_file(attachment_id: int, token: str, name: str, desk: DeskDep) -> Response:
    async with desk.session() as session:
        attachment, data = await read_linked(session, desk, attachment_id, token)
    kind = attachment.content_type if attachment.content_type in _INLINE else "application/octet-stream"
    how = "inline" if kind in _INLINE else "attachment"
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f"{how}; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=86400",
        },
    )

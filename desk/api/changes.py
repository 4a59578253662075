"""``GET /api/v1/changes``: a Server-Sent Events stream that tells a console when to look again.

Each event is ``event: change`` with the feed's version; the console then asks for what it
shows. A comment line every ``_PING`` seconds keeps proxies from closing a quiet stream, and a
stream ends after ``_LIFETIME`` seconds (the console reconnects at once), so a token revoked
meanwhile stops being served and a stopping server is never held by a stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from desk.api.deps import CurrentAgent
from desk.changes import ChangeFeed

router = APIRouter(prefix="/api/v1", tags=["console"])

_PING = 15.0
_LIFETIME = 300.0


def feed_of(request: Request) -> ChangeFeed:
    feed: ChangeFeed = request.app.state.changes
    return feed


@router.get(
    "/changes",
    summary="Server-Sent Events: `change` whenever tickets, conversations or notifications change",
    response_class=StreamingResponse,
)
async def changes(request: Request, _agent: CurrentAgent) -> StreamingResponse:
    feed = feed_of(request)

    async def events() -> AsyncIterator[str]:
        loop_time = asyncio.get_running_loop().time
        seen = feed.version
        ends = loop_time() + _LIFETIME
        yield f"retry: 3000\nevent: hello\ndata: {seen}\n\n"
        while not feed.closed.is_set() and loop_time() < ends:
            if await request.is_disconnected():
                return
            version = await feed.wait(seen, min(_PING, max(ends - loop_time(), 0.0)))
            if version != seen:
                seen = version
                yield f"event: change\ndata: {version}\n\n"
            else:
                yield ": ping\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},  # nginx: do not buffer it
    )

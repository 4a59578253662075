"""The REST channel (Rasa REST-channel compatible) and the web chat page that uses it.

``POST /webhooks/rest/webhook`` answers with the bot's replies inline; whatever agents or the desk
send later is fetched from ``GET /webhooks/rest/messages?sender=ID&after=CURSOR``, files as
``attachments`` with a link each; ``GET /webhooks/rest/history?sender=ID`` gives the conversation
so far, both sides, for a chat reopened in the browser. ``/chat`` is a
static page over these endpoints. The adapter knows only :mod:`channels.base`: the composition
root gives it the inbound handler and the feed.

Messages and files are limited per sender and per client address (:mod:`channels.throttle`);
one over a limit is answered 429 with ``Retry-After`` and is not taken, so the sender sends it
again then.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from channels.base import Address, Attachment, Inbound, InboundHandler, Outbound, contact_email, contact_phone
from channels.throttle import Limit, Throttle

__all__ = ["FeedItem", "HistoryItem", "RestChannel", "identity_hash"]

MAX_UPLOAD = 25 * 1024 * 1024
_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Over the sender's or the client address's rate limit: not taken; send it again "
        "after Retry-After seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A message for a REST user that was not returned inline (an agent's, a notification)."""

    id: int
    outbound: Outbound


Feed = Callable[[str, int], Awaitable[Sequence[FeedItem]]]


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """A message of a REST user's conversation so far: ``author`` is ``user``, ``bot`` or
    ``agent``; the user's own words come as they were shown (a button's title, not its payload)."""

    id: int
    author: str
    message: Outbound


History = Callable[[str, int], Awaitable[Sequence[HistoryItem]]]


class _Metadata(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    message_id: str | None = None
    identity_hash: str | None = Field(default=None, max_length=200)

    @field_validator("email", "phone")
    @classmethod
    def _contact(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A malformed e-mail or phone is the integrator's error (422), not a chat apology; the
        value stays as sent, which is what ``identity_hash`` signs."""
        (contact_email if info.field_name == "email" else contact_phone)(value)
        return value


def identity_hash(secret: str, email: str | None, phone: str | None) -> str:
    """What a REST message claiming ``email`` and/or ``phone`` must carry as
    ``metadata.identity_hash`` when ``channels.rest.identity_secret`` is set: the hex HMAC-SHA256,
    keyed with the secret, of the e-mail, the phone, or both joined by ``|``, as sent. The
    integrator's server computes it for its signed-in user, as for Chatwoot's ``identifier_hash``."""
    claimed = "|".join(v for v in (email, phone) if v)
    return hmac.new(secret.encode(), claimed.encode(), hashlib.sha256).hexdigest()


_SENDER = r"^\s*\S"  # a sender of spaces only is no one: "   " was a user the bot answered


class _Message(BaseModel):
    sender: str = Field(min_length=1, max_length=200, pattern=_SENDER)
    message: str = Field(max_length=8000)
    metadata: _Metadata = Field(default_factory=_Metadata)


def _reply(recipient: str, out: Outbound, ident: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"recipient_id": recipient, "text": out.text}
    if out.buttons:
        item["buttons"] = [{"title": b.title, "payload": b.payload} for b in out.buttons]
    if files := [f for f in out.attachments if f.url]:
        item["attachments"] = [
            {"filename": f.filename, "content_type": f.content_type, "url": f.url} for f in files
        ]
    if ident is not None:
        item["id"] = ident
    return item


class RestChannel:
    """Serves the REST endpoints; as an outbound sender it has nothing to push (users poll)."""

    name = "rest"

    def __init__(
        self,
        handler: InboundHandler,
        feed: Feed,
        history: History,
        identity_secret: str | None = None,
        *,
        throttle: Throttle | None = None,
        sender_limit: Limit = (),
        address_limit: Limit = (),
    ) -> None:
        self._handler = handler
        self._feed = feed
        self._history = history
        self._secret = identity_secret
        self._throttle = throttle or Throttle()
        self._sender_limit = sender_limit
        self._address_limit = address_limit

    async def _admit(self, request: Request, sender: str) -> None:
        """Counts a message against the sender's and the client address's limits (429 when over)."""
        client = request.client.host if request.client else "unknown"
        refused = await self._throttle.wait(
            (self._address_limit, ("rest-address", client)), (self._sender_limit, ("rest-sender", sender))
        )
        if refused is not None:
            whose = "your network" if refused.key[0] == "rest-address" else "this chat"
            raise HTTPException(
                429,
                f"too many messages from {whose}; send again in {refused.seconds} s",
                headers={"Retry-After": str(refused.seconds)},
            )

    def _verified(self, meta: _Metadata) -> None:
        """A message that claims an e-mail or phone proves it, when a secret is set (401)."""
        if not self._secret or not (meta.email or meta.phone):
            return
        expected = identity_hash(self._secret, meta.email, meta.phone)
        given = (meta.identity_hash or "").strip().lower()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(
                401, "metadata email/phone need a matching identity_hash (see channels.rest.identity_secret)"
            )

    async def send(self, address: Address, message: Outbound) -> str | None:
        # The message row is already in the transcript, which the feed reads: nothing to push.
        return None

    def _inbound(
        self, sender: str, text: str, meta: _Metadata, files: tuple[Attachment, ...] = ()
    ) -> Inbound:
        return Inbound(
            address=Address("rest", sender),
            user_id=sender,
            text=text,
            external_id=meta.message_id or f"rest-{uuid.uuid4()}",
            name=meta.name,
            email=meta.email,
            phone=meta.phone,
            attachments=files,
            extra={"language": meta.language} if meta.language else {},
        )

    def router(self) -> APIRouter:
        router = APIRouter(tags=["rest channel"])

        @router.post(
            "/webhooks/rest/webhook",
            summary="Send a message to the bot; replies come back inline",
            responses=_LIMITED,
        )
        async def webhook(body: _Message, request: Request) -> list[dict[str, Any]]:
            self._verified(body.metadata)
            await self._admit(request, body.sender)
            replies = await self._handler(self._inbound(body.sender, body.message, body.metadata))
            return [_reply(body.sender, r) for r in replies]

        @router.post(
            "/webhooks/rest/upload", summary="Send a file (and optional text) to the bot", responses=_LIMITED
        )
        async def upload(
            request: Request,
            sender: Annotated[str, Form(min_length=1, max_length=200, pattern=_SENDER)],
            file: Annotated[UploadFile, File()],
            message: Annotated[str, Form(max_length=8000)] = "",
            name: Annotated[str | None, Form()] = None,
            language: Annotated[str | None, Form(max_length=20)] = None,  # a file has no words to tell
        ) -> list[dict[str, Any]]:
            await self._admit(request, sender)
            data = await file.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise HTTPException(413, "the file is larger than 25 MB")
            attachment = Attachment(
                file.filename or "upload", file.content_type or "application/octet-stream", data
            )
            # The browser's language, for a chat that has none yet (a file before any words).
            inbound = self._inbound(sender, message, _Metadata(name=name, language=language), (attachment,))
            return [_reply(sender, r) for r in await self._handler(inbound)]

        @router.get("/webhooks/rest/messages", summary="Messages sent to a REST user after a cursor")
        async def messages(
            sender: Annotated[str, Query(min_length=1, max_length=200, pattern=_SENDER)],
            after: Annotated[str | None, Query(max_length=20)] = None,
        ) -> dict[str, Any]:
            if after and not after.isdigit():
                raise HTTPException(422, "after must be a cursor from a previous answer")
            cursor = int(after or 0)
            items = await self._feed(sender, cursor)
            if items:
                cursor = max(i.id for i in items)
            return {"messages": [_reply(sender, i.outbound, i.id) for i in items], "cursor": str(cursor)}

        @router.get(
            "/webhooks/rest/history",
            summary="The conversation so far, the user's messages too (a chat reopened in the browser)",
        )
        async def history(
            sender: Annotated[str, Query(min_length=1, max_length=200, pattern=_SENDER)],
            limit: Annotated[int, Query(ge=1, le=200)] = 50,
        ) -> dict[str, Any]:
            items = await self._history(sender, limit)
            return {
                "messages": [{**_reply(sender, i.message, i.id), "from": i.author} for i in items],
                "cursor": str(max((i.id for i in items), default=0)),
            }

        @router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
        async def chat_page() -> HTMLResponse:
            page = resources.files("channels").joinpath("static/chat.html").read_text(encoding="utf-8")
            return HTMLResponse(page)

        return router

"""Telegram: webhook updates in, Bot API calls out, through python-telegram-bot (v22, async).

``POST /telegram/webhook`` accepts Telegram ``Update`` JSON. Telegram sends the secret given to
``setWebhook`` in ``X-Telegram-Bot-Api-Secret-Token``; a request without the configured secret
gets 401, a body that is not an Update gets 400. Messages (text or caption, with photos,
documents, voice and audio downloaded through the Bot API) and button presses (callback queries,
whose ``data`` is the button's payload) become :class:`~channels.base.Inbound`; the update id
is the message id, so Telegram's retry of an update changes nothing. Edited messages, inline
queries and the like are acknowledged and ignored.

Out, buttons are inline keyboards; Telegram limits ``callback_data`` to 64 bytes, so a button
whose payload is longer is shown as a numbered option in the text instead (sending the number
back works, as on SMS). Texts longer than Telegram's 4,096 characters are split.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from channels.base import (
    Address,
    Attachment,
    Button,
    DeliveryError,
    Inbound,
    InboundHandler,
    Outbound,
    Part,
    send_parts,
)

__all__ = ["TelegramChannel", "file_url", "upgrade"]

log = logging.getLogger(__name__)

# Opt in to python-telegram-bot's coming behaviour (time periods as timedelta): without it, the
# library warns about its own RetryAfter whenever Telegram answers 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB
_MAX_PHOTO = 10 * 1024 * 1024  # larger pictures go as documents (sendPhoto's limit)
_PHOTOS = ("image/jpeg", "image/png", "image/webp")


def file_url(base_url: str) -> str:
    """The file download base next to a Bot API base (``…/bot`` → ``…/file/bot``)."""
    head, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url.rstrip("/") + "/file/bot"


def _chunks(text: str, size: int = MAX_TEXT) -> list[str]:
    """Split at line breaks where possible, never inside the limit."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    out.append(text)
    return out


def _refusal(exc: Exception) -> DeliveryError | None:
    """What a Telegram error means for delivery; ``None`` for anything that is not one."""
    if isinstance(exc, Forbidden | BadRequest | InvalidToken):
        return DeliveryError(f"telegram refused: {exc.message}", permanent=True)
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
        return DeliveryError(f"telegram flood limit: {exc.message}", retry_after=seconds)
    if isinstance(exc, TelegramError):
        return DeliveryError(f"telegram: {exc.message}")
    return None


def _keyboard(buttons: Sequence[Button]) -> tuple[InlineKeyboardMarkup | None, list[str]]:
    """Inline buttons for payloads that fit; numbered lines for the rest."""
    rows, lines = [], []
    for i, button in enumerate(buttons, 1):
        if len(button.payload.encode()) <= MAX_CALLBACK_DATA:
            rows.append([InlineKeyboardButton(button.title, callback_data=button.payload)])
        else:
            lines.append(f"{i}. {button.title}")
    return (InlineKeyboardMarkup(rows) if rows else None), lines


_USERS = ("from", "user", "forward_from", "via_bot", "sender_user")
_FILES = ("audio", "voice", "document", "photo", "video", "video_note", "sticker", "animation", "thumbnail")


def upgrade(value: Any, key: str | None = None) -> Any:
    """Fill fields that older Bot API versions did not send and python-telegram-bot requires:
    ``is_bot`` on users, ``type`` on chats, ``file_unique_id`` on files, ``chat_instance`` on
    callback queries. Telegram's own published webhook examples lack them."""
    if isinstance(value, list):
        return [upgrade(item, key) for item in value]
    if not isinstance(value, dict):
        return value
    out = {k: upgrade(v, k) for k, v in value.items()}
    if key in _USERS and "id" in out:
        out.setdefault("is_bot", False)
    elif key in ("chat", "sender_chat", "forward_from_chat") and "id" in out:
        out.setdefault("type", "private" if isinstance(out["id"], int) and out["id"] > 0 else "group")
    elif key in _FILES and "file_id" in out:
        out.setdefault("file_unique_id", out["file_id"])
    elif key == "callback_query":
        out.setdefault("chat_instance", "")
    return out


class TelegramChannel:
    """The Telegram adapter: a webhook route and a sender, holding one :class:`telegram.Bot`."""

    name = "telegram"

    def __init__(
        self,
        token: str,
        handler: InboundHandler,
        *,
        secret_token: str | None,
        base_url: str = "https://api.telegram.org/bot",
    ) -> None:
        # Our own request objects, so that close() releases their connections even if the bot
        # was never initialize()d (Bot.shutdown() does nothing then).
        self._requests = (HTTPXRequest(connection_pool_size=8), HTTPXRequest())
        self.bot = Bot(
            token,
            base_url=base_url,
            base_file_url=file_url(base_url),
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self._handler = handler
        self._secret = secret_token

    async def close(self) -> None:
        for request in self._requests:
            await request.shutdown()

    async def send(self, address: Address, message: Outbound) -> str | None:
        """Send a text (split if long) with inline buttons on its last part, then each file:
        pictures as photos, anything else as a document. Each piece and each file is one part
        (:class:`~channels.base.Outbound`): a retry does not repeat what already arrived.
        Returns the first message's id.

        Raises:
            DeliveryError: permanent when Telegram refuses for good (blocked by the user, bad
                request, bad token), temporary for flood limits and network trouble.
        """
        markup, numbered = _keyboard(message.buttons)
        text = "\n".join([message.text, *numbered]) if numbered else message.text
        # A file on its own needs no text message before it.
        pieces = _chunks(text or " ") if text or markup or not message.attachments else []
        thread = int(address.thread_id) if address.thread_id and address.thread_id.isdigit() else None
        chat = address.chat_id

        def piece(text: str, last: bool) -> Part:
            async def send() -> str:
                reply_markup = markup if last else None
                sent = await self.bot.send_message(
                    chat, text, reply_markup=reply_markup, message_thread_id=thread
                )
                return str(sent.message_id)

            return send

        def file(f: Attachment) -> Part:
            async def send() -> str:
                upload = InputFile(f.data, filename=f.filename)
                sent: Message
                if f.content_type in _PHOTOS and len(f.data) <= _MAX_PHOTO:
                    sent = await self.bot.send_photo(chat, upload, message_thread_id=thread)
                else:
                    sent = await self.bot.send_document(chat, upload, message_thread_id=thread)
                return str(sent.message_id)

            return send

        parts = [piece(p, i == len(pieces) - 1) for i, p in enumerate(pieces)]
        parts += [file(f) for f in message.attachments]
        return await send_parts(parts, message, _refusal)

    async def to_inbound(self, update: Update) -> Inbound | None:
        """The message in ``update``, or ``None`` for updates the desk does not act on."""
        if update.callback_query is not None:
            query = update.callback_query
            try:
                await query.answer()  # stop the button's spinner; harmless if it fails
            except TelegramError:
                log.warning("telegram: could not answer callback query %s", query.id)
            chat = query.message.chat.id if query.message is not None else query.from_user.id
            return self._inbound(update, str(chat), query.from_user, query.data or "", ())
        message = update.message
        if message is None or message.from_user is None:
            return None
        attachments = await self._attachments(message)
        text = message.text or message.caption or ""
        if not text and not attachments:
            return None  # stickers, locations, service messages
        return self._inbound(
            update,
            str(message.chat.id),
            message.from_user,
            text,
            attachments,
            thread=message.message_thread_id,
        )

    def _inbound(
        self,
        update: Update,
        chat_id: str,
        user: Any,
        text: str,
        attachments: tuple[Attachment, ...],
        *,
        thread: int | None = None,
    ) -> Inbound:
        return Inbound(
            address=Address("telegram", chat_id, str(thread) if thread else None),
            user_id=str(user.id),
            text=text,
            external_id=str(update.update_id),
            name=user.full_name or user.username,
            attachments=attachments,
            extra={"language": user.language_code} if user.language_code else {},  # the app's
        )

    async def _attachments(self, message: Message) -> tuple[Attachment, ...]:
        wanted: list[tuple[str, str, str, int | None]] = []  # file id, name, type, size
        if message.photo:
            photo = message.photo[-1]  # the largest size
            wanted.append((photo.file_id, f"photo-{message.message_id}.jpg", "image/jpeg", photo.file_size))
        for item, default_name in (
            (message.document, "document"),
            (message.voice, "voice.ogg"),
            (message.audio, "audio"),
            (message.video, "video.mp4"),
        ):
            if item is not None:
                name = getattr(item, "file_name", None) or default_name
                kind = item.mime_type or "application/octet-stream"
                wanted.append((item.file_id, name, kind, item.file_size))
        out = []
        for file_id, name, kind, size in wanted:
            if size and size > MAX_DOWNLOAD:
                log.warning("telegram: %s is %d bytes, over the Bot API's 20 MB; not downloaded", name, size)
                continue
            try:
                remote = await self.bot.get_file(file_id)
                data = bytes(await remote.download_as_bytearray())
            except TelegramError as exc:
                log.warning("telegram: could not download %s: %s", name, exc.message)
                continue
            out.append(Attachment(name, kind, data))
        return tuple(out)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["telegram"])

        @router.post("/telegram/webhook", summary="Telegram Update webhook (secret token checked)")
        async def webhook(request: Request) -> dict[str, Any]:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not self._secret or not hmac.compare_digest(given.encode(), self._secret.encode()):
                raise HTTPException(401, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
            try:
                data = await request.json()
                update = Update.de_json(upgrade(data), self.bot) if isinstance(data, dict) else None
            except (ValueError, TypeError, KeyError) as exc:
                raise HTTPException(400, f"not a Telegram Update: {exc}") from None
            if update is None:
                raise HTTPException(400, "not a Telegram Update")
            inbound = await self.to_inbound(update)
            if inbound is not None:
                await self._handler(inbound)
            return {"ok": True}

        return router

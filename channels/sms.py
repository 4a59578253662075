"""SMS through Twilio: inbound webhooks checked by signature, outbound through the REST API.

``POST /sms/twilio`` takes Twilio's form fields. ``X-Twilio-Signature`` is checked with the
account's auth token against ``public_url`` + the path (what Twilio was told to call; the
desk may sit behind a proxy, so the URL the request arrived on is not used): a bad or missing
signature gets 403. ``MessageSid`` is the message id, so Twilio's retry changes nothing.
Pictures (MMS) are fetched with the account's credentials. The answer is an empty TwiML
``<Response/>``: replies leave through the outbox like every other channel's.

SMS has no buttons: a message's options become numbered lines, and replying with the number
is the same as pressing the button (a rating prompt's options are 1-5, so a plain ``4`` rates).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.base import (
    Address,
    Attachment,
    Button,
    DeliveryError,
    Inbound,
    InboundHandler,
    Outbound,
    Part,
    contact_phone,
    send_parts,
)

__all__ = ["SmsChannel", "sms_text"]

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's limit for one message (it splits into segments itself)
MAX_MEDIA = 10 * 1024 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's opt-out words, the whole message in any case: Twilio unsubscribes the sender and says
# so itself, and refuses to send them anything more (error 21610) until they text START.
# Advanced Opt-Out names what it did in OptOutType; its START (and YES, UNSTOP) is Twilio's too.
_OPT_OUT = frozenset(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"])


def sms_text(text: str, buttons: Sequence[Button], files: Sequence[Attachment] = ()) -> str:
    """The message as an SMS: options as numbered lines under the text, then a line with the
    link of each file (an SMS carries no files)."""
    lines = [text] if text else []
    lines += [f"{i}. {b.title}" for i, b in enumerate(buttons, 1)]
    lines += [f"{f.filename}: {f.url}" for f in files if f.url]
    return "\n".join(lines)


def _refusal(exc: Exception) -> DeliveryError | None:
    """What a Twilio error means for delivery; ``None`` for anything that is not one."""
    if isinstance(exc, TwilioRestException):
        permanent = 400 <= exc.status < 500 and exc.status != 429
        return DeliveryError(f"twilio {exc.status} ({exc.code}): {exc.msg}", permanent=permanent)
    if isinstance(exc, httpx.HTTPError):
        return DeliveryError(f"twilio unreachable: {exc}")
    return None


def _parts(text: str, size: int = MAX_BODY) -> list[str]:
    out = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*out, text]


class HttpxTwilioClient(AsyncHttpClient):  # type: ignore[misc]  # twilio ships no type hints
    """twilio's async HTTP client interface over httpx (the client twilio ships builds
    aiohttp authentication objects that aiohttp has deprecated)."""

    def __init__(self, timeout: float = 30.0) -> None:
        super().__init__(logging.getLogger("twilio.http"), True, timeout)
        self._client = httpx.AsyncClient(timeout=timeout)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's interface)
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        response = await self._client.request(
            method.upper(),
            url,
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout if timeout is not None else self.timeout,
            follow_redirects=allow_redirects,
        )
        return TwilioResponse(response.status_code, response.text, response.headers)

    async def close(self) -> None:
        await self._client.aclose()


class SmsChannel:
    """The Twilio adapter: a webhook route and a sender, holding one Twilio client."""

    name = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        handler: InboundHandler,
        *,
        public_url: str,
        base_url: str = "https://api.twilio.com",
    ) -> None:
        self._http = HttpxTwilioClient()
        self.client = Client(account_sid, auth_token, http_client=self._http)
        self.client.api.base_url = base_url.rstrip("/")  # a proxy, a regional API, or a test fake
        self._validator = RequestValidator(auth_token)
        self._auth = (account_sid, auth_token)
        self._from = from_number
        self._public_url = public_url.rstrip("/")
        self._handler = handler

    async def close(self) -> None:
        await self._http.close()

    async def send(self, address: Address, message: Outbound) -> str | None:
        """Send the text (numbered options and file links included), in parts of at most 1,600
        characters; each part is one :class:`~channels.base.Outbound` part, so a retry does not
        send again what already arrived. Returns the first part's sid.

        Raises:
            DeliveryError: permanent for Twilio's 4xx answers (a bad number, an unsubscribed
                recipient), temporary for 429, 5xx and network trouble.
        """

        def part(body: str) -> Part:
            async def send() -> str:
                sent = await self.client.messages.create_async(
                    to=address.chat_id, from_=self._from, body=body
                )
                return str(sent.sid)

            return send

        texts = _parts(sms_text(message.text, message.buttons, message.attachments) or " ")
        return await send_parts([part(t) for t in texts], message, _refusal)

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the public URL, this path and the query string."""
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{self._public_url}{request.url.path}{query}"

    async def _media(self, form: dict[str, str]) -> tuple[Attachment, ...]:
        number = form.get("NumMedia", "0")
        count = min(int(number) if number.isdigit() else 0, 10)
        out = []
        async with httpx.AsyncClient(auth=self._auth, follow_redirects=True, timeout=30) as session:
            for i in range(count):
                url = form.get(f"MediaUrl{i}")
                kind = form.get(f"MediaContentType{i}", "application/octet-stream")
                if not url:
                    continue
                try:
                    response = await session.get(url)  # Twilio redirects to its media store
                    response.raise_for_status()
                except httpx.HTTPError as exc:
                    log.warning("sms: could not fetch media %s: %s", url, exc)
                    continue
                if len(response.content) > MAX_MEDIA:
                    log.warning("sms: media %s is over 10 MB; not kept", url)
                    continue
                extension = kind.split("/")[-1].split(";")[0] if "/" in kind else "bin"
                out.append(Attachment(f"mms-{i + 1}.{extension}", kind, response.content))
        return tuple(out)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["sms"])

        @router.post("/sms/twilio", summary="Twilio inbound SMS webhook (signature checked); answers TwiML")
        async def webhook(request: Request) -> Response:
            fields = await request.form()
            form = {k: v for k, v in fields.items() if isinstance(v, str)}
            signature = request.headers.get("X-Twilio-Signature", "")
            # The validator reads repeated fields with getlist(), as Twilio signs every value.
            if not signature or not self._validator.validate(self.signed_url(request), fields, signature):
                raise HTTPException(403, "missing or wrong X-Twilio-Signature")
            sender, sid = form.get("From", "").strip(), form.get("MessageSid") or form.get("SmsSid")
            if not sender or not sid:
                raise HTTPException(400, "an SMS webhook needs From and MessageSid")
            if _opts_out_or_in(form):
                # Twilio answered it; an answer of the bot's could not be delivered ("STOP" got
                # "I'm not sure what you'd like me to do", refused by Twilio, 2026-12-07).
                log.info(
                    "sms: %s texted %r, which Twilio handles: not passed to the bot", sid, form.get("Body")
                )
                return Response(EMPTY_TWIML, media_type="application/xml")
            inbound = Inbound(
                address=Address("sms", sender),
                user_id=sender,
                text=form.get("Body", ""),
                external_id=sid,
                phone=_phone(sender),
                attachments=await self._media(form),
                extra=_extra(form),
            )
            await self._handler(inbound)
            return Response(EMPTY_TWIML, media_type="application/xml")

        return router


def _opts_out_or_in(form: dict[str, str]) -> bool:
    """Whether the text is Twilio's to handle: an opt-out word on its own, or what Advanced
    Opt-Out says was an opt-out or opt-in (its HELP is answered by the bot as any "help")."""
    kind = form.get("OptOutType", "").strip().upper()
    return kind in ("STOP", "START") or form.get("Body", "").strip().upper() in _OPT_OUT


def _phone(sender: str) -> str | None:
    """The sender as a person's phone; None for a short code or a name (the chat is still theirs)."""
    try:
        return contact_phone(sender)
    except ValueError:
        return None


def _extra(form: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in (("to", form.get("To")), ("country", form.get("FromCountry"))) if v}

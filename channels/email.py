"""E-mail: an SMTP listener in, an SMTP relay out.

In, aiosmtpd's SMTP protocol runs on the process's own event loop (not aiosmtpd's Controller
thread, whose loop could not share the desk's database engine). ``RCPT`` is refused with 550
for domains the desk does not serve; mail over the size limit gets aiosmtpd's 552. Each mail is
parsed (:mod:`channels.email_parse`), handed to the router as an :class:`Inbound` whose
``external_id`` is the Message-ID (a retry changes nothing) and whose ``thread_id`` is that
Message-ID (replies go under it), and answered 250 once stored. A mail that cannot be used is
refused with a reason and logged; if storing fails, 451 asks the sender's server to try again,
and so does a sender over its limit (:mod:`channels.throttle`: an autoresponder answering the
desk's answers, a flood).
Mail with defects is kept whole as ``original.eml`` beside the parsed text.

Out, replies are multipart text + HTML from the desk address through ``relay_host``, with
In-Reply-To and References so that mail clients thread them; options become a numbered list
(replying with the number is the same as pressing the button).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.base import Address, Attachment, DeliveryError, Inbound, InboundHandler, Outbound
from channels.email_parse import MailRejected, ParsedMail, parse_mail
from channels.oauth import OAuthTokens, TokenError
from channels.throttle import Limit, Throttle

__all__ = ["EmailChannel", "Received", "email_text"]

log = logging.getLogger(__name__)

MAX_SIZE = 25 * 1024 * 1024
_RE = re.compile(r"^\s*(re|aw|sv|回复|答复)\s*[:：]", re.IGNORECASE)


def email_text(message: Outbound) -> str:
    """The plain-text body: options as numbered lines under the text."""
    lines = [message.text]
    if message.buttons:
        lines.append("")
        lines += [f"{i}. {b.title}" for i, b in enumerate(message.buttons, 1)]
    return "\n".join(lines)


# An address in the text, without the punctuation that ends its sentence.
_URL = re.compile(r"https?://[^\s<>\"'（）]+?(?=[.,;:!?)。，；：！？]*(?:\s|$))")


def _linked(text: str) -> str:
    """``text`` escaped for HTML, its web addresses as links: an approver's "approve or reject it
    here" link was plain text in the HTML part, which not every mail program makes clickable."""
    out, at = [], 0
    for match in _URL.finditer(text):
        url = match[0]
        out.append(html.escape(text[at : match.start()]))
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        at = match.end()
    out.append(html.escape(text[at:]))
    return "".join(out)


def _html(message: Outbound) -> str:
    paragraphs = "".join(
        f"<p>{_linked(p).replace(chr(10), '<br>')}</p>" for p in message.text.split("\n\n") if p.strip()
    )
    options = "".join(f"<li>{html.escape(b.title)}</li>" for b in message.buttons)
    listing = f"<ol>{options}</ol>" if options else ""
    return f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}{listing}</body></html>'


@dataclass(frozen=True, slots=True)
class Received:
    """What became of one incoming mail: ``stored``; or not, to be tried again later (``retry``:
    the desk could not store it; ``later``: its sender is over the limit for that many seconds)
    or never (``reason`` says why)."""

    stored: bool
    retry: bool = False
    reason: str = ""
    later: int = 0


class EmailChannel:
    """The e-mail adapter: the SMTP server's handler (aiosmtpd calls ``handle_RCPT`` and
    ``handle_DATA``) and the sender, holding the listening server as an attribute."""

    name = "email"

    def __init__(
        self,
        handler: InboundHandler,
        *,
        from_address: str,
        relay_host: str | None,
        relay_port: int = 25,
        domains: list[str] | tuple[str, ...] = (),
        host: str = "127.0.0.1",
        port: int = 8025,
        relay_username: str | None = None,
        relay_password: str | None = None,
        relay_starttls: bool = False,
        relay_oauth: OAuthTokens | None = None,
        desk_name: str = "IT Service Desk",
        max_size: int = MAX_SIZE,
        throttle: Throttle | None = None,
        sender_limit: Limit = (),
        unlimited: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self._handler = handler
        self._throttle = throttle or Throttle()
        self._sender_limit = sender_limit
        self._unlimited = unlimited  # whether an address over the limit is one it does not bind
        self.from_address = from_address
        self._domains = {d.lower().lstrip("@") for d in domains}
        self._relay = {
            "hostname": relay_host,
            "port": relay_port,
            "username": relay_username or (from_address if relay_oauth else None),
            "password": None if relay_oauth else relay_password,
            "start_tls": relay_starttls,
            "timeout": 30,
        }
        self._relay_oauth = relay_oauth  # signs in to the relay with XOAUTH2 (Microsoft 365, Google)
        self._host, self._port = host, port
        self._desk_name = desk_name
        self._max_size = max_size
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port the SMTP server listens on (the bound one when configured as 0)."""
        if self.server is not None and self.server.sockets:
            return int(self.server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Listen for SMTP on the running event loop."""
        loop = asyncio.get_running_loop()
        smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
        if smtp_log.level == logging.NOTSET:
            smtp_log.setLevel(logging.WARNING)
        self.server = await loop.create_server(self._protocol, self._host, self._port)
        log.info("email: SMTP listening on %s:%s", self._host, self.port)

    def _protocol(self) -> SMTP:
        return SMTP(
            self,
            data_size_limit=self._max_size,
            enable_SMTPUTF8=True,
            hostname=self.from_address.partition("@")[2] or None,
            ident="Frontdesk ESMTP",
        )

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    # aiosmtpd handler hooks -------------------------------------------------------------

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        domain = address.rpartition("@")[2].lower()
        if self._domains and domain not in self._domains:
            log.info("email: refused RCPT %s (domain not served)", address)
            served = ", ".join(sorted(self._domains))
            return f"550 5.1.2 <{address}>: this desk only takes mail for {served}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        raw = raw if isinstance(raw, bytes) else raw.encode("utf-8", errors="replace")
        sender = envelope.mail_from if isinstance(envelope.mail_from, str) else None
        received = await self.receive(raw, sender=sender, recipients=envelope.rcpt_tos)
        if received.stored:
            return "250 2.0.0 message accepted"
        if received.later:
            return f"451 4.7.1 {received.reason}"
        if received.retry:
            return "451 4.3.0 the message could not be stored; please try again later"
        return f"550 5.6.0 {received.reason}"

    async def receive(self, raw: bytes, *, sender: str | None, recipients: list[str]) -> Received:
        """One mail, however it came (SMTP, a fetched mailbox): parsed and handed to the desk.

        Never raises: a mail that cannot be used is rejected with a reason (logged); one the
        desk could not store is to be tried again (``retry``), so nothing is lost."""
        try:
            parsed = parse_mail(raw, envelope_from=sender)
        except MailRejected as exc:
            log.warning("email: rejected a mail from %r: %s", sender, exc)
            return Received(stored=False, reason=str(exc))
        except Exception:
            log.exception("email: could not parse a mail from %r; rejected", sender)
            return Received(stored=False, reason="the message could not be read as e-mail")
        sender_key = ("email-sender", parsed.from_address.lower())
        limited = (self._sender_limit, sender_key)
        refused = await self._throttle.full(limited)
        if refused is not None and not await self._exempt(parsed.from_address):
            # a robot answering our answers, or a flood: not now (nothing lost)
            reason = f"too many messages from {parsed.from_address}; please try again later"
            return Received(stored=False, later=refused.seconds, reason=reason)
        if parsed.defects:
            log.info("email: %s from %s has defects: %s", parsed.message_id, parsed.from_address,
                     ", ".join(parsed.defects))  # fmt: skip
        try:
            await self._handler(self.to_inbound(parsed, raw, recipients))
        except Exception:
            log.exception("email: could not store %s from %s", parsed.message_id, parsed.from_address)
            return Received(stored=False, retry=True, reason="the message could not be stored")
        await self._throttle.count(limited)  # counted once taken: its sender's retry of a 451 is not twice
        return Received(stored=True)

    async def _exempt(self, address: str) -> bool:
        """Whether the sender limit spares ``address`` (the desk's agents answering by mail)."""
        if self._unlimited is None:
            return False
        try:
            return await self._unlimited(address.lower())
        except Exception:
            log.exception("email: could not tell whether %s is spared the sender limit", address)
            return False

    def to_inbound(self, parsed: ParsedMail, raw: bytes, recipients: list[str]) -> Inbound:
        files = parsed.attachments
        if parsed.defects:  # keep what the parser may have misread
            files = (*files, Attachment("original.eml", "message/rfc822", raw))
        extra: dict[str, str] = {"to": ", ".join(recipients)}
        if parsed.thread_ids:
            extra["thread"] = " ".join(parsed.thread_ids)
        if parsed.auto:
            extra["auto"] = parsed.auto
        if parsed.bounce:
            extra["bounce"] = parsed.bounce
        if parsed.forwarder is not None:
            extra["forwarder"] = parsed.forwarder  # the sender's own words above what they forward
        # The desk's own addresses (its domains, its From, where this mail reached it) are not
        # people to copy: the desk would mail itself.
        own = {self.from_address.lower(), *(r.lower() for r in recipients)}
        copied = [a for a in parsed.copied if a.rpartition("@")[2] not in self._domains and a not in own]
        if copied:
            extra["cc"] = " ".join(copied)
        return Inbound(
            address=Address("email", parsed.from_address, parsed.message_id),
            user_id=parsed.from_address,
            text=parsed.reply or parsed.subject,
            external_id=parsed.message_id,
            name=parsed.from_name,
            email=parsed.from_address,
            subject=parsed.subject,
            attachments=files,
            extra=extra,
        )

    # Outbound ----------------------------------------------------------------------------

    def compose(self, address: Address, message: Outbound) -> EmailMessage:
        """The mail for ``message``: text and HTML alternatives, attachments, threading headers."""
        mail = EmailMessage()
        mail["From"] = formataddr((self._desk_name, self.from_address))
        mail["To"] = address.chat_id
        if message.cc:
            mail["Cc"] = ", ".join(message.cc)
        subject = message.subject or self._desk_name
        if address.thread_id and not _RE.match(subject):
            subject = f"Re: {subject}"
        mail["Subject"] = subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self.from_address.partition("@")[2] or None)
        if address.thread_id:
            mail["In-Reply-To"] = address.thread_id
            mail["References"] = address.thread_id
        # RFC 3834: other robots (out-of-office, other desks) must not answer us: no mail loops.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(email_text(message))
        mail.add_alternative(_html(message), subtype="html")
        for file in message.attachments:
            main, _, sub = file.content_type.split(";")[0].strip().partition("/")
            mail.add_attachment(file.data, maintype=main or "application", subtype=sub or "octet-stream",
                                filename=file.filename)  # fmt: skip
        return mail

    async def send(self, address: Address, message: Outbound) -> str | None:
        """Send through the relay; returns the Message-ID (replies thread back by it).

        Raises:
            DeliveryError: permanent for 5xx answers (no such mailbox), temporary for 4xx,
                a relay that cannot be reached, and timeouts.
        """
        if not self._relay["hostname"]:
            raise DeliveryError("no channels.email.relay_host: e-mail replies cannot be sent")
        mail = self.compose(address, message)
        options: dict[str, Any] = {k: v for k, v in self._relay.items() if v is not None}
        tokens, used = self._relay_oauth, []
        if tokens is not None:

            async def token() -> str:
                used.append(await asyncio.to_thread(tokens.get))
                return used[-1]

            options["oauth_token_generator"] = token
        try:
            await aiosmtplib.send(mail, **options)
        except TokenError as exc:
            raise DeliveryError(f"no sign-in to the relay: {exc}") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            if tokens is not None and used:
                tokens.forget(used[-1])  # revoked, or for another resource: a new one next time
            raise DeliveryError(f"relay refused the sign-in: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            permanent = all(500 <= c < 600 for c in codes)
            raise DeliveryError(f"relay refused {address.chat_id}: {exc}", permanent=permanent) from exc
        except aiosmtplib.SMTPDataError as exc:  # the content itself was refused
            raise DeliveryError(f"relay said {exc.code} {exc.message}", permanent=exc.code >= 500) from exc
        except aiosmtplib.SMTPResponseException as exc:  # sender or login refused: configuration
            raise DeliveryError(f"relay said {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"relay unreachable: {exc}") from exc
        return str(mail["Message-ID"])

"""A stand-in for the company's outbound mail relay: a real aiosmtpd server (its Controller, in a
thread) that records every message it accepts, and can be told to refuse or be down."""

from __future__ import annotations

import base64
import re
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class FakeRelay:
    """``refuse_rcpt`` / ``refuse_data``: an SMTP reply line to answer with instead of 250."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse_rcpt: str | None = None
    refuse_data: str | None = None
    token: str | None = None  # set: sign-in required, with XOAUTH2 and this token (Exchange Online's)
    signed_in: list[str] = field(default_factory=list)  # who signed in with XOAUTH2
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.token is not None and not session.authenticated:
            return "530 5.7.57 Client not authenticated to send mail"
        envelope.mail_from, envelope.mail_options = address, [*envelope.mail_options, *options]
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_data:
            return self.refuse_data
        raw = envelope.original_content or b""
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 2.0.0 queued"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """The XOAUTH2 mechanism (aiosmtpd calls a handler's ``auth_<NAME>``), initial response
        only, as aiosmtplib sends it."""
        said = base64.b64decode(args[1]) if len(args) == 2 else b""
        found = re.fullmatch(rb"user=([^\x01]*)\x01auth=Bearer ([^\x01]*)\x01\x01", said)
        if found is None or self.token is None or found.group(2).decode() != self.token:
            return AuthResult(success=False, handled=False)
        self.signed_in.append(found.group(1).decode())
        return AuthResult(success=True, auth_data=found.group(1).decode())

    @property
    def up(self) -> bool:
        return self._controller is not None

    def start(self) -> FakeRelay:
        # Sign-in is asked for at MAIL (handle_MAIL), not with aiosmtpd's auth_required, which
        # warns when it is not over TLS.
        controller = Controller(cast(Any, self), hostname="127.0.0.1", port=self.port, auth_require_tls=False,
                                authenticator=lambda *_: AuthResult(success=False))  # fmt: skip
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        """The mail the relay would deliver to ``address``: by the envelope, as a relay does (a
        person copied in is not in the To header)."""
        with self._lock:
            pairs = list(zip(self.messages, self.envelopes, strict=True))
        return [m for m, (_, rcpts) in pairs if address.lower() in (r.lower() for r in rcpts)]

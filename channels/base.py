"""The message types every layer shares: stdlib only, frozen and slotted.

Channels turn platform events into an :class:`Inbound` and deliver an :class:`Outbound` to an
:class:`Address`. The desk stores addresses with conversations so that any reply, from the bot
or from a human agent, leaves through the same delivery path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "CHANNELS",
    "Address",
    "Attachment",
    "Button",
    "DeliveryError",
    "Inbound",
    "InboundHandler",
    "Outbound",
    "Part",
    "Sender",
    "contact_email",
    "contact_phone",
    "send_parts",
]

CHANNELS = ("rest", "telegram", "slack", "email", "sms", "console")

# One @ and no spaces: RFC 5321 lets the domain be a single label, as in the mail a server's cron
# sends (root@backup01); requiring a dot there had such mail answered 451 for ever.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def contact_email(value: str | None) -> str | None:
    """An e-mail address as the desk keys people by it: trimmed, lower-cased; None for empty.

    Raises:
        ValueError: for something that is not an address.
    """
    if not value or not value.strip():
        return None
    address = value.strip().lower()
    if not _EMAIL.match(address):
        raise ValueError(f"{value!r} is not an e-mail address")
    return address


def contact_phone(value: str | None) -> str | None:
    """A phone number as the desk keys people by it: ``+`` and its 6-15 digits; None for empty.

    Raises:
        ValueError: for fewer than 6 or more than 15 digits (an SMS short code is no phone).
    """
    if not value or not value.strip():
        return None
    digits = re.sub(r"\D", "", value)
    if not 6 <= len(digits) <= 15:
        raise ValueError(f"{value!r} is not a phone number")
    return "+" + digits


@dataclass(frozen=True, slots=True)
class Address:
    """Where a conversation lives on its platform.

    Attributes:
        channel: One of :data:`CHANNELS`.
        chat_id: The platform's conversation key: a Telegram chat id, a Slack channel or DM id,
            an e-mail address, an E.164 phone number, or the REST ``sender``.
        thread_id: A Slack ``thread_ts`` or an e-mail ``Message-ID`` to reply under, if any.
    """

    channel: str
    chat_id: str
    thread_id: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"channel": self.channel, "chat_id": self.chat_id, "thread_id": self.thread_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Address:
        thread = data.get("thread_id")
        return cls(str(data["channel"]), str(data["chat_id"]), None if thread is None else str(thread))


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply. Sending ``payload`` back as text has the same effect as a click."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with a message (already downloaded) or goes out with one.

    ``url`` (outbound only) is where the file can be fetched without signing in, for channels
    that cannot carry the file itself (SMS, the REST channel): they send the link instead.
    """

    filename: str
    content_type: str
    data: bytes
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a user, as every channel hands it to the router.

    Attributes:
        address: Where replies go.
        user_id: The platform's stable id of the person (Telegram user id, Slack user, e-mail
            address, phone number, REST sender).
        text: Plain text; a button click arrives as its payload.
        external_id: The platform's message id, used to drop retries of the same message.
        name, email, phone: What the platform tells us about the person, if anything.
        subject: E-mail subject (other channels leave it empty).
        attachments: Files that came with the message.
        received_at: When the platform says it was sent, if it says.
    """

    address: Address
    user_id: str
    text: str
    external_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()
    received_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to a user. Channels render ``buttons`` their own way.

    ``sent_parts`` is how many of its parts (a channel that sends one message as several
    platform calls: Telegram's text pieces and files, Slack's post and upload) the platform
    already took on an earlier attempt: a retry resumes after them instead of repeating them.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()
    cc: tuple[str, ...] = ()  # e-mail only: people copied on the mail
    sent_parts: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "subject": self.subject,
        }
        if self.cc:
            out["cc"] = list(self.cc)
        if self.sent_parts:
            out["sent_parts"] = self.sent_parts
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outbound:
        buttons = tuple(Button(str(b["title"]), str(b["payload"])) for b in data.get("buttons") or ())
        subject = data.get("subject")
        cc = tuple(str(a) for a in data.get("cc") or ())
        return cls(
            str(data["text"]),
            buttons,
            None if subject is None else str(subject),
            cc=cc,
            sent_parts=int(data.get("sent_parts") or 0),
        )


class DeliveryError(Exception):
    """A channel could not deliver now. ``permanent`` means retrying will not help;
    ``retry_after`` is how many seconds the platform asked us to wait (a rate limit), if it said.
    ``sent_parts`` counts the parts of the message the platform took before it failed (see
    :class:`Outbound`), and ``first_id`` is the platform's id of the first of them, if known."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        sent_parts: int = 0,
        first_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.sent_parts = sent_parts
        self.first_id = first_id


Part = Callable[[], Awaitable[str | None]]
"""One platform call of a message; returns the id the platform gave what it sent, if any."""


async def send_parts(
    parts: Sequence[Part],
    message: Outbound,
    refusal: Callable[[Exception], DeliveryError | None],
) -> str | None:
    """Send ``parts`` in order, skipping the ``message.sent_parts`` the platform already has.

    ``refusal`` turns a platform's exception into a :class:`DeliveryError` (``None``: not a
    delivery problem, re-raised as it is); the error then says how many parts went through, so
    that the retry starts at the one that failed. Returns the first part's id from this attempt.
    """
    first: str | None = None
    for index in range(message.sent_parts, len(parts)):
        try:
            sent = await parts[index]()
        except DeliveryError as exc:
            exc.sent_parts, exc.first_id = index, first
            raise
        except Exception as exc:
            error = refusal(exc)
            if error is None:
                raise
            error.sent_parts, error.first_id = index, first
            raise error from exc
        first = first or sent
    return first


class Sender(Protocol):
    """What a channel adapter offers for outbound delivery."""

    name: str

    async def send(self, address: Address, message: Outbound) -> str | None:
        """Deliver one message; return the platform's message id if it gives one.

        Raises:
            DeliveryError: when the platform refused or could not be reached.
        """
        ...


InboundHandler = Callable[[Inbound], Awaitable[list[Outbound]]]

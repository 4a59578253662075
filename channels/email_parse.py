"""Reading a mail as people send it: decoded headers, the text a person wrote, their files.

Real mail is often broken: undeclared or wrong charsets (GB2312 that is really GBK), headers the
strict parser chokes on, HTML-only bodies, missing Message-IDs. Everything here tolerates that
and records what was wrong (``defects``) instead of failing; only a mail with no sender address
at all is refused (:class:`MailRejected`), because nobody could be answered.

The reply (the new text, without quoted history and signature) comes from
:mod:`channels.email_text`.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser

from channels.base import Attachment
from channels.email_text import html_to_text, strip_reply

__all__ = ["MailRejected", "ParsedMail", "auto_reason", "delivery_failure", "legacy_bounce", "parse_mail"]

_IDS = re.compile(r"<[^<>\s]+>")
# A forward's subject, as mail programs write it (Outlook, Gmail, Foxmail, Chinese Outlook).
_FORWARD = re.compile(r"^\s*(?:fwd?|转发|轉寄|轉發)\s*[:：]", re.IGNORECASE)
# A Message-ID header line in a copy of a mail's headers: as a block of its own, or quoted and
# indented in a mail server's report; the id may be on the folded next line.
_HEADER_ID = re.compile(r"^[ \t]*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
# Charsets that mail software declares for text that is really their superset.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "ks_c_5601-1987": "cp949"}


class MailRejected(Exception):
    """The mail cannot become a message: the reason goes into the SMTP answer and the log."""


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """What the desk needs from one mail.

    Attributes:
        message_id: The Message-ID with its angle brackets; a hash of the bytes if it had none,
            so that a resend of the same bytes is still recognised.
        thread_ids: In-Reply-To and References ids, newest first.
        body: The whole text (from text/plain, else converted from HTML).
        reply: ``body`` without quoted history and signature; all of it for a forward (its
            subject says so: "FW:", "Fwd:", "转发："), whose forwarded mail is the point.
        auto: Why this is an automatic mail (a bounce, an out-of-office), or ``None``.
        copied: The other people the mail was addressed to (To and Cc, lower case, without the
            sender), in order.
        bounce: For a delivery status notification (RFC 3464) that reports failed recipients,
            who and why (``bob@x: 5.1.1 (smtp; 550 5.1.1 User unknown)``), or a mail server's
            bounce in its own words (:func:`legacy_bounce`); the Message-ID of the mail that
            failed is then among ``thread_ids`` when the bounce quotes it.
        defects: What the parser found wrong, for the log.
        forwarder: For a forward, the sender's own words above the forwarded mail ("Is this
            real?"), which alone say how urgent it is to them: the forwarded mail's "Urgent:
            verify your mailbox now" is a phisher's. ``None`` for any other mail.
    """

    message_id: str
    from_address: str
    from_name: str | None
    subject: str
    body: str
    reply: str
    attachments: tuple[Attachment, ...]
    thread_ids: tuple[str, ...]
    auto: str | None
    defects: tuple[str, ...]
    bounce: str | None = None
    copied: tuple[str, ...] = ()
    forwarder: str | None = None


def _decode_raw(value: str) -> str:
    """RFC 2047 decoding that never raises (for headers the strict parser rejected)."""
    try:
        return str(make_header(decode_header(value)))
    except (UnicodeError, LookupError, ValueError):
        return value


def _header(
    msg: EmailMessage, fallback: Message, name: str, raw: bytes = b"", charset: str | None = None
) -> str:
    try:
        value = msg.get(name)
        text = " ".join(str(value).split()) if value is not None else ""
    except Exception:  # the stdlib's header parsing has crash bugs on hostile input
        value = fallback.get(name)
        text = " ".join(_decode_raw(str(value)).split()) if value is not None else ""
    if "\ufffd" in text:  # raw 8-bit header (no RFC 2047): decode its bytes as the body's charset
        raw_value = _raw_header(raw, name)
        # Only 8-bit bytes can have been mis-decoded; an ASCII (RFC 2047) header that decodes to
        # U+FFFD says U+FFFD.
        if raw_value is not None and not raw_value.isascii():
            for candidate in (c for c in (charset, "utf-8", "cp1252") if c):
                try:
                    return " ".join(raw_value.decode(_CHARSET_ALIASES.get(candidate, candidate)).split())
                except (LookupError, UnicodeDecodeError, ValueError):
                    continue
    return text


def _raw_header(raw: bytes, name: str) -> bytes | None:
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    found = re.search(rb"^" + re.escape(name.encode()) + rb":[ \t]*(.*(?:\r?\n[ \t].*)*)", head, re.M | re.I)
    return found.group(1) if found else None


def _text(part: Message, name: str) -> str:
    """A header of a compat32 part as text (it may be a Header object)."""
    value = part.get(name)
    return str(value) if value is not None else ""


def _decode(data: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").strip().lower()
    for candidate in (_CHARSET_ALIASES.get(name, name), "utf-8", "gb18030"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _parts(msg: Message) -> Iterator[Message]:
    try:
        yield from msg.walk()
    except Exception:
        yield msg


def _raw_filename(part: Message, charset: str | None) -> str | None:
    """A file name sent as raw 8-bit bytes (no RFC 2231/2047), decoded like the body."""
    for key, value in part.raw_items():
        if key.lower() not in ("content-disposition", "content-type"):
            continue
        found = re.search(r'(?:file)?name="?([^";]+)', str(value), re.I)
        if found is None:
            continue
        data = found.group(1).encode("ascii", "surrogateescape")
        for candidate in (c for c in (charset, "utf-8", "cp1252") if c):
            try:
                return data.decode(_CHARSET_ALIASES.get(candidate, candidate)).strip()
            except (LookupError, UnicodeDecodeError):
                continue
    return None


def _filename(part: Message, n: int, charset: str | None = None) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    disposition = _text(part, "Content-Disposition").split(";")[0].strip().lower()
    if name and "\ufffd" in name:
        name = _raw_filename(part, charset) or name
    if name:
        return _decode_raw(name)
    if disposition == "attachment" or part.get_content_maintype() in (
        "image",
        "audio",
        "video",
        "application",
    ):
        extension = part.get_content_subtype() or "bin"
        return f"attachment-{n}.{extension}"
    return None


def auto_reason(headers: Message, envelope_from: str | None, from_address: str) -> str | None:
    """Why a mail is automatic (RFC 3834 and what mailers do in practice), else ``None``.

    Answering such mail is how mail loops start, so the desk records it and stays silent.
    """
    auto = str(headers.get("Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    precedence = str(headers.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if headers.get(name):
            return name
    if envelope_from is not None and envelope_from.strip("<> ") == "":
        return "empty envelope sender (a bounce)"
    return_path = headers.get("Return-Path")
    if return_path is not None and str(return_path).strip().strip("<>").strip() == "":
        return "empty Return-Path (a bounce)"
    local = from_address.split("@")[0].lower()
    if local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"):
        return f"sent by {local}"
    if headers.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def _field(block: Message, name: str) -> str:
    """A DSN field's value without its type prefix (``rfc822;``, ``smtp;`` stays in diagnostics)."""
    value = " ".join(str(block.get(name) or "").split())
    if name != "Diagnostic-Code" and ";" in value:
        value = value.split(";", 1)[1].strip()
    return value


def delivery_failure(msg: Message) -> tuple[str | None, list[str]]:
    """What a delivery status notification (RFC 3464, ``multipart/report``) says failed.

    Returns a description of the failed recipients (``None`` when the mail is not such a report or
    reports no failure, e.g. only a delay) and the Message-IDs of the mail it is about, from its
    ``message/rfc822`` or ``text/rfc822-headers`` part.
    """
    if msg.get_content_type() != "multipart/report":
        return None, []
    failures: list[str] = []
    originals: list[str] = []
    for part in _parts(msg):
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                if not isinstance(block, Message) or _field(block, "Action").lower() != "failed":
                    continue
                who = _field(block, "Final-Recipient") or _field(block, "Original-Recipient") or "?"
                why = " ".join(x for x in (_field(block, "Status"), _field(block, "Diagnostic-Code")) if x)
                failures.append(f"{who}: {why}" if why else who)
        elif kind in ("message/rfc822", "message/global"):
            originals += _attached_ids(part)
        elif kind in ("text/rfc822-headers", "text/rfc822-header"):
            found = _HEADER_ID.search(_payload_text(part))
            if found:
                originals.append(found.group(1))
    return ("; ".join(failures) or None), list(dict.fromkeys(originals))


def _attached_ids(part: Message) -> list[str]:
    """The Message-ID of a mail attached whole (``message/rfc822``), as a list."""
    inner = part.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else inner
    return _IDS.findall(str(inner.get("Message-ID") or "")) if isinstance(inner, Message) else []


def _payload_text(part: Message) -> str:
    """A text part's payload, decoded as UTF-8 whatever it claims (reports quote mixed mail)."""
    data = part.get_payload(decode=True)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(part.get_payload())


# Automatic mail from a mail system (a bounce), not from a person's out-of-office.
_MAIL_SYSTEM = (
    "Auto-Submitted: auto-generated",
    "empty envelope sender",
    "empty Return-Path",
    "sent by mailer-daemon",
    "sent by postmaster",
)
_DIAGNOSTIC = re.compile(r"\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b[^\n)]*")


def legacy_bounce(msg: Message, auto: str | None) -> tuple[str | None, list[str]]:
    """What a bounce in a mail server's own words says failed (sendmail, qmail, Exim, older
    Exchange, Yahoo...: mail systems that send no RFC 3464 report), read with the detectors of
    flufl.bounce (Mailman's). Only for automatic mail from a mail system.

    Returns who failed, with the first SMTP status line of the report if it has one
    (``bob@x: 550 5.1.1 User unknown``), and the Message-IDs of the mail it is about, found in
    the copy of its headers that such reports quote or attach.
    """
    if auto is None or not auto.startswith(_MAIL_SYSTEM):
        return None, []
    from flufl.bounce import scan_message  # only for the rare bounce that is not a report

    failed = sorted(a.decode("utf-8", "replace") for a in scan_message(msg))
    if not failed:
        return None, []
    texts: list[str] = []
    originals: list[str] = []
    for part in _parts(msg):
        if part.get_content_type() in ("message/rfc822", "message/global"):
            originals += _attached_ids(part)
        elif part.get_content_maintype() == "text":
            texts.append(_payload_text(part))
    text = "\n".join(texts)
    why = _DIAGNOSTIC.search(text)
    failure = "; ".join(f"{a}: {why.group(0).strip()}" if why else a for a in failed)
    return failure, list(dict.fromkeys([*originals, *_HEADER_ID.findall(text)]))


def parse_mail(raw: bytes, *, envelope_from: str | None = None) -> ParsedMail:
    """Parse one mail as received.

    Raises:
        MailRejected: when neither the From header nor the envelope names a sender.
    """
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    fallback = BytesParser(policy=policy.compat32).parsebytes(raw)
    charset = next((c for c in fallback.get_charsets() if c), None)
    defects = [type(d).__name__ for part in _parts(fallback) for d in getattr(part, "defects", [])]

    name, address = "", ""
    for candidate_name, candidate in email.utils.getaddresses([_header(msg, fallback, "From", raw, charset)]):
        if "@" in candidate:
            name, address = candidate_name, candidate
            break
    if not address and envelope_from and "@" in envelope_from:
        address = envelope_from.strip("<> ")
        defects.append("FromFromEnvelope")
    if not address:
        raise MailRejected("the mail names no sender address (no usable From header or envelope sender)")
    address = address.strip().lower()

    message_id = (_IDS.findall(_header(msg, fallback, "Message-ID")) or [""])[0]
    if not message_id:
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@frontdesk.invalid>"
        defects.append("NoMessageID")
    references = _IDS.findall(_header(msg, fallback, "References"))
    thread = [*_IDS.findall(_header(msg, fallback, "In-Reply-To")), *reversed(references)]
    auto = auto_reason(fallback, envelope_from, address)
    try:
        bounce, originals = delivery_failure(fallback)
        if bounce is None and fallback.get_content_type() != "multipart/report":
            bounce, originals = legacy_bounce(fallback, auto)
    except Exception:  # a report too broken to read is still kept, as an automatic mail
        bounce, originals = None, []
        defects.append("UnreadableDeliveryReport")
    thread += originals

    plain: str | None = None
    html: str | None = None
    files: list[Attachment] = []
    for n, part in enumerate(_parts(fallback), 1):
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        data = data if isinstance(data, bytes) else str(part.get_payload() or "").encode()
        if kind == "message/rfc822" or part.get_content_maintype() == "message":
            files.append(Attachment(f"message-{n}.eml", "message/rfc822", data))
            continue
        filename = _filename(part, n, charset) if kind not in ("text/plain", "text/html") else None
        disposition = _text(part, "Content-Disposition").split(";")[0].strip().lower()
        if filename is None and kind in ("text/plain", "text/html") and disposition == "attachment":
            filename = _filename(part, n) or f"attachment-{n}.{part.get_content_subtype()}"
        if filename is not None:
            files.append(Attachment(filename, kind, data))
        elif kind == "text/plain" and plain is None:
            plain = _decode(data, part.get_content_charset())
        elif kind == "text/html" and html is None:
            html = _decode(data, part.get_content_charset())
    if plain is not None and plain.strip():
        body = plain
    elif html is not None:
        body = html_to_text(html)
    else:
        body = plain or ""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    subject = _header(msg, fallback, "Subject", raw, charset)
    copied = [
        found.strip().lower()
        for _, found in email.utils.getaddresses(
            [_header(msg, fallback, "To", raw, charset), _header(msg, fallback, "Cc", raw, charset)]
        )
        if "@" in found
    ]
    return ParsedMail(
        message_id=message_id,
        from_address=address,
        from_name=" ".join(name.split()) or None,
        subject=subject,
        body=body,
        # "Hi IT, is this phishing?" above a forwarded mail: the mail is what the team must see.
        reply=body
        if _FORWARD.match(subject)
        else strip_reply(body, sender_name=name, sender_address=address),
        attachments=tuple(files),
        thread_ids=tuple(dict.fromkeys(thread)),
        auto=auto,
        defects=tuple(dict.fromkeys(defects)),
        bounce=bounce,
        copied=tuple(dict.fromkeys(a for a in copied if a != address)),
        forwarder=strip_reply(body, sender_name=name, sender_address=address)
        if _FORWARD.match(subject)
        else None,
    )

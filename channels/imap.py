"""E-mail fetched from a mailbox: the desk's address stays on the company's mail system
(Exchange, Google Workspace, Dovecot), and ``serve`` collects its new mail over IMAP, as Zammad,
GLPI and osTicket do, when the mail system cannot forward to the desk's SMTP listener.

Each poll signs in, selects the folder and takes the unread mail (``UNSEEN``), oldest first.
Each mail is read without marking it (``BODY.PEEK[]``) and goes through the same path as mail
received over SMTP (:meth:`channels.email.EmailChannel.receive`). Only once the desk has stored
it is it marked read, or deleted when the mailbox is not to keep it. A mail the desk could not
store stays unread and is taken at the next poll; a retry of a stored one changes nothing (the
Message-ID identifies it). Mail from a sender over its limit stays unread too, while the rest is
taken. A mail the desk refuses (no sender at all, too large) is marked read
and flagged, left in the folder, and logged, so it is neither lost nor fetched again.

The client is the standard library's :mod:`imaplib`, one connection per poll, run in a worker
thread so the event loop never waits on the network. It signs in with a password (``LOGIN``) or,
where the mail system allows only OAuth 2.0 (Exchange Online, Google Workspace), with an access
token (``AUTHENTICATE XOAUTH2``) from :class:`channels.oauth.OAuthTokens`.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from channels.email import Received
from channels.oauth import OAuthTokens, TokenError, xoauth2

__all__ = ["ImapMailbox", "MailboxError", "run_mailbox"]

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
Receive = Callable[[bytes], Awaitable[Received]]
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox cannot be read: unreachable, sign-in refused, no such folder."""


class ImapMailbox:
    """The desk's mailbox on an IMAP server.

    Args:
        receive: What takes one mail's bytes (the e-mail channel's ``receive``).
        security: ``ssl`` (IMAPS, port 993), ``starttls`` (port 143, upgraded) or ``none``
            (a server on the same host only; the password would cross the network in clear).
        keep: Mark stored mail read (``True``) or delete it (``False``).
        max_size: Larger mail is refused unread, as the SMTP listener refuses it with 552.
        oauth: Sign in with its tokens (XOAUTH2) instead of ``password``.
    """

    def __init__(
        self,
        receive: Receive,
        *,
        host: str,
        username: str,
        password: str | None = None,
        oauth: OAuthTokens | None = None,
        port: int | None = None,
        security: Security = "ssl",
        folder: str = "INBOX",
        keep: bool = True,
        max_size: int = 25 * 1024 * 1024,
        timeout: float = 30.0,
    ) -> None:
        self._receive = receive
        self.host = host
        self.port = port or (993 if security == "ssl" else 143)
        self._security = security
        if (password is None) == (oauth is None):
            raise ValueError("a mailbox signs in with a password or with OAuth tokens")
        self._username, self._password, self._oauth = username, password, oauth
        self.folder = folder
        self._keep = keep
        self._max_size = max_size
        self._timeout = timeout

    def __str__(self) -> str:
        return f"the mailbox {self._username} on {self.host}:{self.port} ({self.folder})"

    async def poll(self) -> int:
        """Take the folder's unread mail once; returns how many mails the desk stored.

        Raises:
            MailboxError: when the mailbox cannot be read (nothing is marked then).
            OSError, imaplib.IMAP4.error: when the connection breaks during the poll; unread
                mail is taken at the next poll (one stored but not yet marked is recognised by
                its Message-ID).
        """
        client = await asyncio.to_thread(self._open)
        stored = 0
        try:
            for uid in await asyncio.to_thread(self._unread, client):
                size = await asyncio.to_thread(self._size, client, uid)
                if size > self._max_size:
                    log.warning("imap: %s: mail %s is %d bytes, over the limit of %d; marked read and flagged for a person",
                                self, uid, size, self._max_size)  # fmt: skip
                    await asyncio.to_thread(self._refused, client, uid)
                    continue
                raw = await asyncio.to_thread(self._fetch, client, uid)
                if raw is None:
                    continue  # gone meanwhile (another reader took it)
                received = await self._receive(raw)
                if received.stored:
                    await asyncio.to_thread(self._done, client, uid)
                    stored += 1
                elif received.later:
                    log.info("imap: %s: mail %s left unread: %s", self, uid, received.reason)
                    continue  # its sender's limit: taken at a later poll; others' mail goes on
                elif received.retry:
                    log.warning("imap: %s: mail %s could not be stored; taken again at the next poll",
                                self, uid)  # fmt: skip
                    break  # the database is away: the rest waits too, in order
                else:
                    log.warning("imap: %s: mail %s refused (%s); marked read and flagged in %s",
                                self, uid, received.reason, self.folder)  # fmt: skip
                    await asyncio.to_thread(self._refused, client, uid)
            if not self._keep:
                await asyncio.to_thread(self._expunge, client)
        finally:
            await asyncio.to_thread(_logout, client)
        return stored

    # The IMAP conversation, one blocking call each (run in a worker thread) -----------------

    def _open(self) -> imaplib.IMAP4:
        try:
            if self._security == "ssl":
                client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=ssl.create_default_context(), timeout=self._timeout
                )
            else:
                client = imaplib.IMAP4(self.host, self.port, timeout=self._timeout)
                if self._security == "starttls":
                    client.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        try:
            self._sign_in(client)
            typ, data = client.select(_quoted(self.folder))
            if typ != "OK":
                raise MailboxError(f"no folder {self.folder!r}: {_said(data)}")
        except (OSError, imaplib.IMAP4.error) as exc:
            _logout(client)
            raise MailboxError(f"{self._username} on {self.host}: {exc}") from exc
        except MailboxError:
            _logout(client)
            raise
        return client

    def _sign_in(self, client: imaplib.IMAP4) -> None:
        if self._oauth is None:
            assert self._password is not None
            client.login(self._username, self._password)
            return
        try:
            token = self._oauth.get()
        except TokenError as exc:
            raise MailboxError(str(exc)) from exc
        said = xoauth2(self._username, token)
        try:
            # A challenge after the token is the server's error (Google's JSON): answered empty,
            # it then refuses the command, with the reason.
            client.authenticate("XOAUTH2", lambda challenge: b"" if challenge else said)
        except imaplib.IMAP4.error:
            self._oauth.forget(token)
            raise

    def _unread(self, client: imaplib.IMAP4) -> list[str]:
        typ, data = client.uid("SEARCH", "UNSEEN")
        _ok(typ, "SEARCH", data)
        return sorted((u.decode() for u in (data[0] or b"").split()), key=int)

    def _size(self, client: imaplib.IMAP4, uid: str) -> int:
        typ, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
        _ok(typ, "FETCH", data)
        found = _SIZE.search(b" ".join(d for d in data if isinstance(d, bytes)))
        return int(found.group(1)) if found else 0

    def _fetch(self, client: imaplib.IMAP4, uid: str) -> bytes | None:
        typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
        _ok(typ, "FETCH", data)
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                return bytes(part[1])
        return None

    def _done(self, client: imaplib.IMAP4, uid: str) -> None:
        flag = "(\\Seen)" if self._keep else "(\\Seen \\Deleted)"
        typ, data = client.uid("STORE", uid, "+FLAGS", flag)
        _ok(typ, "STORE", data)

    def _refused(self, client: imaplib.IMAP4, uid: str) -> None:
        typ, data = client.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)")
        _ok(typ, "STORE", data)

    def _expunge(self, client: imaplib.IMAP4) -> None:
        typ, data = client.expunge()
        _ok(typ, "EXPUNGE", data)


def _quoted(folder: str) -> str:
    """A folder name as an IMAP string ("Helpdesk Inbox" has a space)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(data: Sequence[object]) -> str:
    return " ".join(d.decode(errors="replace") if isinstance(d, bytes) else str(d) for d in data if d)


def _ok(typ: str, command: str, data: Sequence[object]) -> None:
    if typ != "OK":
        raise MailboxError(f"{command} failed: {_said(data)}")


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


async def run_mailbox(mailbox: ImapMailbox, stop: asyncio.Event, every: float) -> None:
    """Poll ``mailbox`` every ``every`` seconds until ``stop``. A mailbox that cannot be read is
    logged when it fails and when it works again (not at every poll), and tried again."""
    failing: str | None = None
    log.info("imap: fetching mail from %s every %s s", mailbox, every)
    while not stop.is_set():
        try:
            stored = await mailbox.poll()
        except (MailboxError, OSError, imaplib.IMAP4.error) as exc:
            if str(exc) != failing:
                log.error("imap: %s cannot be read: %s; trying again every %s s", mailbox, exc, every)
            failing = str(exc)
        except Exception:  # a bug must not end the polling: mail would pile up unseen
            log.exception("imap: polling %s failed", mailbox)
        else:
            if failing is not None:
                log.info("imap: %s can be read again", mailbox)
                failing = None
            if stored:
                log.info("imap: took %d mail(s) from %s", stored, mailbox)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)

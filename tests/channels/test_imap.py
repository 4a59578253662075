"""E-mail fetched from the desk's mailbox over IMAP, on both databases: a real IMAP server
(pymap) holds the mailbox, the desk's real IMAP client (imaplib) takes its new mail into the
same path as SMTP mail, and replies go out through the local fake relay.

Only stored mail is marked read (or deleted); mail the desk could not store stays unread for
the next poll; mail it refuses is flagged and left; a mailbox that cannot be read is logged
and tried again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
import trustme
from sqlalchemy import select

from bots.wiring import Runtime, start_background
from channels.imap import ImapMailbox, MailboxError, run_mailbox
from desk.models import Message, Ticket
from desk.outbox import deliver_due
from nlu import EmbeddedEngine
from tests.channels.conftest import channel_runtime
from tests.channels.test_email import ALICE, DESK, _database_down, _text, email_config
from tests.conftest import Clock
from tests.fakes.imap import FakeMailbox
from tests.fakes.platforms import FakeOAuth
from tests.fakes.smtp import FakeRelay


@pytest.fixture(scope="module")
def mailbox_server() -> Iterator[FakeMailbox]:
    running = FakeMailbox().start()
    yield running
    running.close()


@pytest.fixture
def server(mailbox_server: FakeMailbox) -> FakeMailbox:
    """The mailbox, emptied of the last test's mail and folders (pymap keeps them while it runs),
    or started again after a test that stopped it."""
    if not mailbox_server.running:
        return mailbox_server.start()
    mailbox_server.empty()
    return mailbox_server


@pytest.fixture
def relay() -> Iterator[FakeRelay]:
    running = FakeRelay().start()
    yield running
    running.stop()


def imap_config(relay: FakeRelay, server: FakeMailbox, **more: Any) -> dict[str, Any]:
    return {**email_config(relay.port), "imap_host": "127.0.0.1", "imap_port": server.port,
            "imap_security": "none", "imap_username": server.user, "imap_password": server.password,
            **more}  # fmt: skip


@pytest.fixture
async def desk_mail(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine
) -> AsyncIterator[Runtime]:
    async with channel_runtime(db_url, clock, nlu_engine, "email", imap_config(relay, server)) as runtime:
        yield runtime


def mail_from(address: str, subject: str, body: str, *, reply_to: EmailMessage | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Alice Smith <{address}>"
    msg["To"] = f"IT Helpdesk <{DESK}>"
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain="corp.example.com")
    msg["Subject"] = f"Re: {reply_to['Subject']}" if reply_to is not None else subject
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
        msg["References"] = reply_to["Message-ID"]
    msg.set_content(body)
    return msg.as_bytes()


async def tickets(runtime: Runtime) -> list[Ticket]:
    async with runtime.desk.session() as s:
        return list(await s.scalars(select(Ticket).order_by(Ticket.id)))


def mailbox(runtime: Runtime) -> ImapMailbox:
    assert runtime.mailbox is not None
    return runtime.mailbox


async def test_new_mail_becomes_a_ticket_and_is_marked_read(
    desk_mail: Runtime, server: FakeMailbox, relay: FakeRelay
) -> None:
    first = server.deliver(mail_from(ALICE, "Scanner jams", "The scanner on floor 3 jams on every page."))
    read = server.deliver(mail_from(ALICE, "Old mail", "Someone read this one in Outlook."), seen=True)
    assert await mailbox(desk_mail).poll() == 1
    [ticket] = await tickets(desk_mail)
    assert ticket.subject == "Scanner jams" and ticket.channel == "email"
    assert server.flags() == {first: {"\\Seen"}, read: {"\\Seen"}}
    await deliver_due(desk_mail.desk, desk_mail.registry)
    [reply] = relay.to(ALICE)
    assert ticket.ref in _text(reply)
    # The next poll finds nothing new: no second ticket, no second reply.
    assert await mailbox(desk_mail).poll() == 0
    assert len(await tickets(desk_mail)) == 1
    # A reply in the thread, fetched the same way, is a comment on the same ticket.
    server.deliver(mail_from(ALICE, "", "It is the one by the kitchen.", reply_to=reply))
    assert await mailbox(desk_mail).poll() == 1
    assert len(await tickets(desk_mail)) == 1
    async with desk_mail.desk.session() as s:
        said = list(
            await s.scalars(
                select(Message.text).where(Message.ticket_id == ticket.id, Message.direction == "in")
            )
        )
    assert any("kitchen" in text for text in said), said


async def test_the_mailbox_itself_is_not_one_of_the_people_copied(
    desk_mail: Runtime, server: FakeMailbox
) -> None:
    """Mail to the mailbox names it in To: copying it on agents' comments would send the desk's
    own mail back into its mailbox. The colleague in Cc is copied."""
    raw = mail_from(ALICE, "Projector", "The projector in room 4 shows no picture.")
    raw = raw.replace(
        f"To: IT Helpdesk <{DESK}>".encode(), f"To: IT <{server.user}>\nCc: bob@corp.example.com".encode()
    )
    server.deliver(raw)
    assert await mailbox(desk_mail).poll() == 1
    [ticket] = await tickets(desk_mail)
    assert ticket.cc == ["bob@corp.example.com"]


async def test_a_mail_read_twice_is_one_ticket(desk_mail: Runtime, server: FakeMailbox) -> None:
    """The same mail again (a person marked it unread; two desk processes polled at once) is
    recognised by its Message-ID."""
    raw = mail_from(ALICE, "Monitor flickers", "My second monitor flickers since this morning.")
    server.deliver(raw)
    server.deliver(raw)
    assert await mailbox(desk_mail).poll() == 2
    assert len(await tickets(desk_mail)) == 1
    assert all(flags == {"\\Seen"} for flags in server.flags().values())


async def test_a_mail_that_cannot_be_stored_stays_unread_for_the_next_poll(
    desk_mail: Runtime, server: FakeMailbox, db_url: str
) -> None:
    uid = server.deliver(mail_from(ALICE, "Shared drive is gone", "The S: drive disappeared after lunch."))
    await desk_mail.desk.db.dispose()
    try:
        with _database_down(db_url):
            assert await mailbox(desk_mail).poll() == 0
    finally:
        await desk_mail.desk.db.dispose()
    assert server.flags() == {uid: set()}  # still unread: nothing lost
    assert await mailbox(desk_mail).poll() == 1
    [ticket] = await tickets(desk_mail)
    assert ticket.subject == "Shared drive is gone"
    assert server.flags() == {uid: {"\\Seen"}}


async def test_a_refused_mail_is_flagged_and_left_and_oversized_mail_is_not_fetched(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    nobody = server.deliver(b"Subject: no sender at all\r\n\r\nWho wrote this?\r\n")
    big = server.deliver(mail_from(ALICE, "Logs", "x" * 4000))
    fine = server.deliver(mail_from(ALICE, "Keyboard", "Three keys on my keyboard stopped working."))
    config = {**imap_config(relay, server), "max_message_bytes": 2048}
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        with caplog.at_level(logging.WARNING, logger="channels"):
            assert await mailbox(runtime).poll() == 1
        assert [t.subject for t in await tickets(runtime)] == ["Keyboard"]
        assert server.flags() == {nobody: {"\\Seen", "\\Flagged"}, big: {"\\Seen", "\\Flagged"},
                                  fine: {"\\Seen"}}  # fmt: skip
        logged = caplog.text
        assert (
            f"mail {nobody} refused" in logged and f"mail {big} is" in logged and "over the limit" in logged
        )
        assert await mailbox(runtime).poll() == 0  # not taken again


async def test_a_mailbox_that_does_not_keep_mail_deletes_what_was_stored(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine
) -> None:
    nobody = server.deliver(b"Subject: no sender at all\r\n\r\nWho wrote this?\r\n")
    server.deliver(mail_from(ALICE, "Keyboard", "Three keys on my keyboard stopped working."))
    config = imap_config(relay, server, imap_keep=False)
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        assert await mailbox(runtime).poll() == 1
        assert len(await tickets(runtime)) == 1
    assert server.flags() == {nobody: {"\\Seen", "\\Flagged"}}  # a refused mail is never deleted


async def test_a_folder_of_its_own(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine
) -> None:
    server.create("Help Desk")
    server.deliver(mail_from(ALICE, "In the inbox", "A personal mail the desk must leave alone."))
    uid = server.deliver(
        mail_from(ALICE, "VPN drops", "The VPN drops every ten minutes."), folder="Help Desk"
    )
    config = imap_config(relay, server, imap_folder="Help Desk")
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        assert await mailbox(runtime).poll() == 1
        assert [t.subject for t in await tickets(runtime)] == ["VPN drops"]
    assert server.flags("Help Desk") == {uid: {"\\Seen"}}
    assert all(flags == set() for flags in server.flags().values())


async def test_a_mailbox_that_cannot_be_read_says_why(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine
) -> None:
    wrong = imap_config(relay, server, imap_password="not-the-password")
    async with channel_runtime(db_url, clock, nlu_engine, "email", wrong) as runtime:
        with pytest.raises(MailboxError, match=server.user):
            await mailbox(runtime).poll()
    missing = imap_config(relay, server, imap_folder="Nowhere")
    async with channel_runtime(db_url, clock, nlu_engine, "email", missing) as runtime:
        with pytest.raises(MailboxError, match="Nowhere"):
            await mailbox(runtime).poll()
    server.stop()
    async with channel_runtime(db_url, clock, nlu_engine, "email", imap_config(relay, server)) as runtime:
        with pytest.raises(MailboxError, match="cannot reach"):
            await mailbox(runtime).poll()


async def test_no_password_means_no_fetching(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    config = imap_config(relay, server, imap_password=None)
    with caplog.at_level(logging.WARNING, logger="frontdesk"):
        async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
            assert runtime.mailbox is None
    assert "no channels.email.imap_password" in caplog.text


async def test_serve_polls_the_mailbox_and_an_outage_is_logged_once(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """As ``serve`` runs it: polled every ``imap_poll_seconds``; while the mail system is down
    the error is logged once, not at every poll, and its return is logged too."""
    config = imap_config(relay, server, imap_poll_seconds=1, smtp_port=0)
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        assert runtime.mailbox is not None
        server.stop()
        stop = asyncio.Event()
        with caplog.at_level(logging.INFO, logger="channels.imap"):
            task = asyncio.create_task(run_mailbox(runtime.mailbox, stop, 0.05))
            await asyncio.sleep(0.5)  # several polls against a mail system that is down
            server.start()
            server.deliver(mail_from(ALICE, "Docking station", "The dock shows no lights today."))
            for _ in range(200):
                if await tickets(runtime):
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await task
        [ticket] = await tickets(runtime)
        assert ticket.subject == "Docking station"
        failures = [r for r in caplog.records if "cannot be read" in r.getMessage()]
        assert len(failures) == 1, [r.getMessage() for r in failures]
        assert "can be read again" in caplog.text
        # And the task serve starts with the other background work.
        server.deliver(mail_from(ALICE, "Headset", "My headset microphone is not detected."))
        stop = asyncio.Event()
        tasks = start_background(runtime, stop)
        assert "imap" in [t.get_name() for t in tasks]
        for _ in range(100):
            if len(await tickets(runtime)) == 2:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*tasks)
        assert [t.subject for t in await tickets(runtime)] == ["Docking station", "Headset"]


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(tls_ca: trustme.CA) -> Iterator[FakeMailbox]:
    running = FakeMailbox(tls=tls_ca).start()
    yield running
    running.close()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_the_mailbox_is_read_over_tls_and_its_certificate_checked(
    db_url: str, clock: Clock, relay: FakeRelay, tls_server: FakeMailbox, tls_ca: trustme.CA,
    nlu_engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, security: str,
) -> None:  # fmt: skip
    """``ssl`` (port 993) and ``starttls``, the certificate checked against the system's
    authorities (``SSL_CERT_FILE`` adds a company's own): an unknown one is not trusted."""
    port = tls_server.tls_port if security == "ssl" else tls_server.port
    config = imap_config(relay, tls_server, imap_security=security, imap_port=port)
    tls_server.deliver(mail_from(ALICE, "Teams camera", "Teams does not find my camera."))
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
            await mailbox(runtime).poll()
        authorities = tmp_path / "ca.pem"
        tls_ca.cert_pem.write_to_path(str(authorities))
        monkeypatch.setenv("SSL_CERT_FILE", str(authorities))
        assert await mailbox(runtime).poll() == 1
        assert [t.subject for t in await tickets(runtime)] == ["Teams camera"]


async def test_mail_from_a_sender_over_the_limit_stays_unread_while_the_rest_is_taken(
    db_url: str, clock: Clock, relay: FakeRelay, server: FakeMailbox, nlu_engine: EmbeddedEngine
) -> None:
    config = imap_config(relay, server, sender_limit="2/minute")
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        alice = [
            server.deliver(mail_from(ALICE, f"Out of office ({n})", "Away until Monday.")) for n in (1, 2, 3)
        ]
        bob = server.deliver(
            mail_from("bob.jones@corp.example.com", "Printer jams", "It jams on every page.")
        )
        assert await mailbox(runtime).poll() == 3
        flags = server.flags()
        assert flags[alice[2]] == set()  # still unread: taken at a later poll, once there is room
        assert [flags[uid] for uid in (*alice[:2], bob)] == [{"\\Seen"}] * 3
        assert [t.subject for t in await tickets(runtime)] == [
            "Out of office (1)",
            "Out of office (2)",
            "Printer jams",
        ]


# Microsoft 365 and Google Workspace: no passwords over IMAP, an OAuth 2.0 access token instead.


@pytest.fixture(scope="module")
def oauth_mailbox_server() -> Iterator[FakeMailbox]:
    running = FakeMailbox(password=FakeOAuth.access_token, xoauth2=True).start()
    yield running
    running.close()


@pytest.fixture
def oauth_server(oauth_mailbox_server: FakeMailbox) -> FakeMailbox:
    oauth_mailbox_server.empty()
    return oauth_mailbox_server


def oauth_config(relay: FakeRelay, server: FakeMailbox, oauth: FakeOAuth, **more: Any) -> dict[str, Any]:
    client = {"oauth_token_url": oauth.token_url, "oauth_client_id": oauth.client_id,
              "oauth_client_secret": oauth.client_secret, "oauth_scope": "https://outlook.office365.com/.default"}  # fmt: skip
    return imap_config(relay, server, imap_password=None, imap_auth="oauth2", **{**client, **more})


async def test_a_microsoft_365_mailbox_is_read_with_an_app_token(
    db_url: str, clock: Clock, relay: FakeRelay, oauth_server: FakeMailbox, oauth: FakeOAuth,
    nlu_engine: EmbeddedEngine,
) -> None:  # fmt: skip
    """The client-credentials grant (an app registration), then ``AUTHENTICATE XOAUTH2`` on a
    server that refuses ``LOGIN``; the token serves every poll until it nears its expiry."""
    config = oauth_config(relay, oauth_server, oauth)
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        first = oauth_server.deliver(mail_from(ALICE, "Monitor flickers", "My second monitor flickers."))
        assert await mailbox(runtime).poll() == 1
        second = oauth_server.deliver(mail_from(ALICE, "Webcam", "The webcam shows a black picture."))
        assert await mailbox(runtime).poll() == 1
        assert [t.subject for t in await tickets(runtime)] == ["Monitor flickers", "Webcam"]
    assert {"\\Seen"} <= oauth_server.flags()[first] and {"\\Seen"} <= oauth_server.flags()[second]
    assert oauth.calls == [
        {"client_id": oauth.client_id, "client_secret": oauth.client_secret,
         "grant_type": "client_credentials", "scope": "https://outlook.office365.com/.default"}
    ]  # fmt: skip


async def test_a_token_that_expires_or_is_refused_is_asked_for_again(
    db_url: str, clock: Clock, relay: FakeRelay, oauth_server: FakeMailbox, oauth: FakeOAuth,
    nlu_engine: EmbeddedEngine,
) -> None:  # fmt: skip
    oauth.expires_in = 60  # used up within the minute kept in hand: a new one at every poll
    async with channel_runtime(
        db_url, clock, nlu_engine, "email", oauth_config(relay, oauth_server, oauth)
    ) as runtime:
        assert await mailbox(runtime).poll() == 0
        assert await mailbox(runtime).poll() == 0
        assert len(oauth.calls) == 2
    oauth.expires_in, oauth.access_token = 3600, "a-revoked-token"
    async with channel_runtime(
        db_url, clock, nlu_engine, "email", oauth_config(relay, oauth_server, oauth)
    ) as runtime:
        with pytest.raises(MailboxError, match=oauth_server.user):
            await mailbox(runtime).poll()
        oauth.access_token = FakeOAuth.access_token
        oauth_server.deliver(mail_from(ALICE, "Dock", "The dock shows no lights."))
        assert await mailbox(runtime).poll() == 1  # not the refused one again
        assert len(oauth.calls) == 4


async def test_a_refresh_token_is_used_and_its_successor_kept(
    db_url: str, clock: Clock, relay: FakeRelay, oauth_server: FakeMailbox, oauth: FakeOAuth,
    nlu_engine: EmbeddedEngine,
) -> None:  # fmt: skip
    """Google Workspace (and a delegated Microsoft sign-in): the refresh-token grant; Microsoft
    sends a new refresh token with each access token, and the next request uses it."""
    oauth.expires_in = 60
    config = oauth_config(relay, oauth_server, oauth, oauth_refresh_token=oauth.refresh_token,
                          oauth_scope=None)  # fmt: skip
    async with channel_runtime(db_url, clock, nlu_engine, "email", config) as runtime:
        oauth_server.deliver(mail_from(ALICE, "Keyboard", "Some keys do not work."))
        assert await mailbox(runtime).poll() == 1
        assert await mailbox(runtime).poll() == 0
    assert [(c["grant_type"], c["refresh_token"], "scope" in c) for c in oauth.calls] == [
        ("refresh_token", "refresh-1", False), ("refresh_token", "refresh-1+", False)
    ]  # fmt: skip


async def test_the_token_endpoint_says_why_there_is_no_token(
    db_url: str, clock: Clock, relay: FakeRelay, oauth_server: FakeMailbox, oauth: FakeOAuth,
    nlu_engine: EmbeddedEngine, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    wrong = oauth_config(relay, oauth_server, oauth, oauth_client_secret="an-expired-secret")
    async with channel_runtime(db_url, clock, nlu_engine, "email", wrong) as runtime:
        with pytest.raises(MailboxError, match="AADSTS7000215: Invalid client secret provided"):
            await mailbox(runtime).poll()
    nowhere = oauth_config(relay, oauth_server, oauth, oauth_token_url="http://127.0.0.1:9/token")
    async with channel_runtime(db_url, clock, nlu_engine, "email", nowhere) as runtime:
        with pytest.raises(MailboxError, match="cannot reach the token endpoint"):
            await mailbox(runtime).poll()
    unfinished = oauth_config(relay, oauth_server, oauth, oauth_client_id=None)
    with caplog.at_level(logging.WARNING, logger="frontdesk"):
        async with channel_runtime(db_url, clock, nlu_engine, "email", unfinished) as runtime:
            assert runtime.mailbox is None
    assert "no channels.email.oauth_client_id" in caplog.text

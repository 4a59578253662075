"""The composition root: builds the desk, the channel registry and the HTTP app from settings."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from bots.agent_room import AgentRoom, run_agent_room
from bots.registry import ChannelRegistry
from bots.router import BotRouter
from bots.turn import as_sent
from bots.understanding import Understanding
from channels.base import Address, Attachment, Outbound
from channels.email import EmailChannel, Received
from channels.imap import ImapMailbox, run_mailbox
from channels.oauth import OAuthTokens
from channels.slack import SlackChannel
from channels.sms import SmsChannel
from channels.telegram import TelegramChannel
from channels.throttle import Throttle, limit
from channels.web import FeedItem, HistoryItem, RestChannel
from desk.api import create_api
from desk.approvals import APPROVAL_JOBS
from desk.attachments import ATTACHMENT_JOBS, file_link
from desk.autoclose import AUTOCLOSE_JOBS
from desk.context import Desk
from desk.conversations import delivered_messages, transcript
from desk.db import Database
from desk.errors import ConfigError
from desk.escalation import ESCALATION_JOBS
from desk.migrate import pending_migrations
from desk.models import Agent, Message
from desk.notifications import tell_of_failed_delivery
from desk.outbox import run_delivery
from desk.routing import ROUTING_JOBS, route_waiting
from desk.scheduler import Job, run_router, run_scheduler
from desk.seed import missing_from_desk
from desk.settings import EmailSettings, Settings

__all__ = ["SCHEDULED_JOBS", "Runtime", "build_runtime", "serve", "start_background"]

# Everything the scheduler does on each tick, in this order; routing has its own woken loop.
SCHEDULED_JOBS: tuple[Job, ...] = (
    *ROUTING_JOBS,
    *ESCALATION_JOBS,
    *AUTOCLOSE_JOBS,
    *APPROVAL_JOBS,
    *ATTACHMENT_JOBS,
)

log = logging.getLogger("frontdesk")


@dataclass
class Runtime:
    """Everything one process runs, wired together."""

    settings: Settings
    desk: Desk
    registry: ChannelRegistry
    app: FastAPI
    bot: BotRouter
    email: EmailChannel  # its SMTP listener runs with the background tasks
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    agent_room: AgentRoom | None = None
    mailbox: ImapMailbox | None = None  # polled with the background tasks
    throttle: Throttle = field(default_factory=Throttle)  # the web chat's and mail's rate limits


def _register_channels(
    settings: Settings, registry: ChannelRegistry, bot: BotRouter, app: FastAPI
) -> AgentRoom | None:
    """Add each configured channel's sender and webhook; returns the agent room, if any."""
    room = None
    ch = settings.channels
    if ch.telegram.token is None or ch.telegram.secret_token is None:
        registry.mark_off("telegram", "no channels.telegram.token or secret_token")
    else:
        telegram = TelegramChannel(
            ch.telegram.token.get_secret_value(),
            bot.handle,
            secret_token=ch.telegram.secret_token.get_secret_value(),
            base_url=ch.telegram.base_url,
        )
        registry.add(telegram)
        app.include_router(telegram.router())
    if ch.slack.bot_token is None or ch.slack.signing_secret is None:
        registry.mark_off("slack", "no channels.slack.bot_token or signing_secret")
    else:
        if ch.slack.agent_channel:
            room = AgentRoom(bot.desk, Address("slack", ch.slack.agent_channel))
            bot.desk.release_hooks.append(room.on_release)
        slack = SlackChannel(
            ch.slack.bot_token.get_secret_value(),
            ch.slack.signing_secret.get_secret_value(),
            bot.handle,
            base_url=ch.slack.base_url,
            agent_channel=ch.slack.agent_channel,
            agent_handler=room.handle if room is not None else None,
        )
        registry.add(slack)
        app.include_router(slack.router())
    if not (ch.sms.account_sid and ch.sms.auth_token and ch.sms.from_number):
        registry.mark_off("sms", "no channels.sms.account_sid, auth_token or from_number")
    else:
        sms = SmsChannel(
            ch.sms.account_sid,
            ch.sms.auth_token.get_secret_value(),
            ch.sms.from_number,
            bot.handle,
            public_url=settings.public_url,
            base_url=ch.sms.base_url,
        )
        registry.add(sms)
        app.include_router(sms.router())
    return room


def _feed_outbound(desk: Desk, message: Message) -> Outbound:
    files = tuple(
        Attachment(a.filename, a.content_type, b"", file_link(desk, a)) for a in message.attachments
    )
    return dataclasses.replace(as_sent(message), attachments=files)


def _rest_feed(desk: Desk) -> Callable[[str, int], Awaitable[list[FeedItem]]]:
    async def feed(sender: str, after: int) -> list[FeedItem]:
        async with desk.session() as session:
            rows = await delivered_messages(session, "rest", sender, after)
            return [FeedItem(m.id, _feed_outbound(desk, m)) for m in rows]

    return feed


def _rest_history(desk: Desk) -> Callable[[str, int], Awaitable[list[HistoryItem]]]:
    async def history(sender: str, limit: int) -> list[HistoryItem]:
        items: list[HistoryItem] = []
        shown: dict[str, str] = {}
        async with desk.session() as session:
            for m in await transcript(session, "rest", sender, limit):
                said = _feed_outbound(desk, m)
                if m.direction == "in":
                    # A tap is stored as its payload ("/urgency high"); the user saw its title.
                    said = dataclasses.replace(said, text=shown.get(said.text, said.text))
                    items.append(HistoryItem(m.id, "user", said))
                    continue
                shown = {b.payload: b.title for b in said.buttons}
                items.append(HistoryItem(m.id, "agent" if m.author_kind == "agent" else "bot", said))
        return items

    return history


def build_runtime(
    settings: Settings, desk: Desk | None = None, understanding: Understanding | None = None
) -> Runtime:
    """Wire one process. Pass ``desk`` to share a database or a clock, ``understanding`` to
    share a trained model (tests)."""
    if desk is None:
        db = Database(
            settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size
        )
        desk = Desk(settings=settings, db=db)
    if tell_of_failed_delivery not in desk.failure_hooks:  # tests build several runtimes on one desk
        desk.failure_hooks.append(tell_of_failed_delivery)
    bot = BotRouter(desk, understanding or Understanding(settings.nlu))
    registry = ChannelRegistry()
    throttle = _throttle(settings)
    app = create_api(desk)
    room = _register_channels(settings, registry, bot, app)
    secret = settings.channels.rest.identity_secret
    if secret is None:
        log.warning(
            "channels.rest.identity_secret is not set: an e-mail or phone in REST metadata is taken on trust"
        )
    rest = RestChannel(
        bot.handle_inline,
        _rest_feed(desk),
        _rest_history(desk),
        secret.get_secret_value() if secret is not None else None,
        throttle=throttle,
        sender_limit=limit(settings.channels.rest.sender_limit),
        address_limit=limit(settings.channels.rest.address_limit),
    )
    registry.add(rest)
    app.include_router(rest.router())
    app.state.registry = registry
    mail = settings.channels.email
    tokens = _mail_tokens(mail)
    email = _email_channel(settings, bot, throttle, _is_agent(desk), tokens)
    where = f"{mail.smtp_host}:{mail.smtp_port}"
    unsigned = _unset_oauth(mail) if mail.relay_auth == "oauth2" else []
    if not mail.relay_host:
        registry.mark_off(
            "email", f"no channels.email.relay_host: mail is received on {where}, replies wait in the outbox"
        )
    elif unsigned:
        registry.mark_off("email", f"channels.email.relay_auth is oauth2 without {', '.join(unsigned)}: "
                                   f"mail is received on {where}, replies wait in the outbox")  # fmt: skip
    else:
        registry.add(email)
    return Runtime(
        settings=settings,
        desk=desk,
        registry=registry,
        app=app,
        bot=bot,
        agent_room=room,
        email=email,
        mailbox=_mailbox(settings, email, tokens),
        throttle=throttle,
    )


def _throttle(settings: Settings) -> Throttle:
    """The counts behind the channels' rate limits (one store for the process)."""
    uri = settings.channels.limits_storage
    try:
        return Throttle(uri)
    except Exception as exc:  # an unknown scheme, or Redis's client library missing
        raise ConfigError(f"channels.limits_storage {uri!r} cannot be used: {exc}") from None


def _is_agent(desk: Desk) -> Callable[[str], Awaitable[bool]]:
    """Whether an e-mail address is an active agent's: agents answering notifications by mail are
    spared the mail sender limit (a busy one may answer more than 60 an hour)."""

    async def is_agent(address: str) -> bool:
        async with desk.session() as s:
            return bool(await s.scalar(select(Agent.id).where(Agent.email == address, Agent.active)))

    return is_agent


def _email_channel(
    settings: Settings,
    bot: BotRouter,
    throttle: Throttle,
    unlimited: Callable[[str], Awaitable[bool]],
    tokens: OAuthTokens | None,
) -> EmailChannel:
    """The e-mail channel. Its SMTP listener always runs with ``serve`` (mail sent to the desk is
    never refused for want of a relay); without ``relay_host`` its replies wait in the outbox."""
    cfg = settings.channels.email
    return EmailChannel(
        bot.handle_strict,  # a mail that could not be stored gets 451: the sender's server retries
        from_address=cfg.from_address or f"helpdesk@{(cfg.domains or ['localhost'])[0]}",
        relay_host=cfg.relay_host,
        relay_port=cfg.relay_port,
        relay_username=cfg.relay_username,
        relay_password=cfg.relay_password.get_secret_value() if cfg.relay_password else None,
        relay_starttls=cfg.relay_starttls,
        relay_oauth=tokens if cfg.relay_auth == "oauth2" else None,
        domains=cfg.domains,
        host=cfg.smtp_host,
        port=cfg.smtp_port,
        desk_name=settings.desk.name,
        max_size=cfg.max_message_bytes,
        throttle=throttle,
        sender_limit=limit(cfg.sender_limit),
        unlimited=unlimited,
    )


def _mail_tokens(cfg: EmailSettings) -> OAuthTokens | None:
    """The OAuth client of the desk's mailbox, when IMAP or the relay signs in with it (``oauth2``)
    and it is set up; one for both, so one token serves both while it lasts."""
    if "oauth2" not in (cfg.imap_auth, cfg.relay_auth) or _unset_oauth(cfg):
        return None
    assert cfg.oauth_token_url
    assert cfg.oauth_client_id
    assert cfg.oauth_client_secret
    refresh = cfg.oauth_refresh_token
    return OAuthTokens(
        cfg.oauth_token_url,
        cfg.oauth_client_id,
        cfg.oauth_client_secret.get_secret_value(),
        scope=cfg.oauth_scope or None,
        refresh_token=refresh.get_secret_value() if refresh else None,
    )


def _unset_oauth(cfg: EmailSettings) -> list[str]:
    """The settings of the mailbox's OAuth client that are missing."""
    return [k for k in ("oauth_token_url", "oauth_client_id", "oauth_client_secret") if not getattr(cfg, k)]


def _mailbox(settings: Settings, email: EmailChannel, tokens: OAuthTokens | None) -> ImapMailbox | None:
    """The desk's mailbox to fetch mail from, when ``imap_host`` names one."""
    cfg = settings.channels.email
    if not cfg.imap_host:
        return None
    missing = [] if cfg.imap_username else ["imap_username"]
    if cfg.imap_auth == "oauth2":
        missing += _unset_oauth(cfg)
    elif not cfg.imap_password:
        missing.append("imap_password")
    if missing:
        log.warning(
            "email: no mail is fetched from %s: no channels.email.%s", cfg.imap_host, " or ".join(missing)
        )
        return None
    assert cfg.imap_username is not None
    username = cfg.imap_username

    async def receive(raw: bytes) -> Received:
        return await email.receive(raw, sender=None, recipients=[username])

    oauth = cfg.imap_auth == "oauth2"
    return ImapMailbox(
        receive,
        host=cfg.imap_host,
        port=cfg.imap_port,
        security=cfg.imap_security,
        username=username,
        password=None if oauth or cfg.imap_password is None else cfg.imap_password.get_secret_value(),
        oauth=tokens if oauth else None,
        folder=cfg.imap_folder,
        keep=cfg.imap_keep,
        max_size=cfg.max_message_bytes,
    )


def start_background(runtime: Runtime, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """Outbox delivery, the scheduler and the router, until ``stop`` is set."""
    desk = runtime.desk
    runtime.tasks += [
        asyncio.create_task(run_delivery(desk, runtime.registry, stop), name="outbox"),
        asyncio.create_task(run_scheduler(desk, SCHEDULED_JOBS, stop), name="scheduler"),
        asyncio.create_task(run_router(desk, route_waiting, stop), name="router"),
    ]
    if runtime.agent_room is not None:
        runtime.tasks.append(asyncio.create_task(run_agent_room(runtime.agent_room, stop), name="agent-room"))
    runtime.tasks.append(asyncio.create_task(_listen(runtime.email, stop), name="smtp"))
    if runtime.mailbox is not None:
        every = runtime.settings.channels.email.imap_poll_seconds
        runtime.tasks.append(asyncio.create_task(run_mailbox(runtime.mailbox, stop, every), name="imap"))
    return runtime.tasks


async def _listen(channel: EmailChannel, stop: asyncio.Event) -> None:
    """The SMTP server, until ``stop``; then it stops taking mail."""
    try:
        await channel.start()
    except OSError as exc:  # e.g. a second serve process on the same machine
        log.error("email: no SMTP listener in this process: %s", exc)
        return
    try:
        await stop.wait()
    finally:
        await channel.close()


class _Server(uvicorn.Server):
    """Uvicorn's server that, told to stop, first ends the consoles' change streams: it waits
    for open responses to finish, and a stream only ends on its own after minutes."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


async def serve(settings: Settings) -> None:
    """The HTTP API, the SMTP server, outbox delivery and the scheduler in one process."""
    pending = await pending_migrations(settings.database.url)
    if pending:
        raise SystemExit(f"frontdesk: the database needs {pending} migration(s); run `frontdesk db upgrade`")
    runtime = build_runtime(settings)
    await runtime.bot.understanding.start()
    for channel, reason in sorted(runtime.registry.off.items()):
        log.warning("channel %s is off: %s", channel, reason)
    async with runtime.desk.session() as session:
        for line in await missing_from_desk(session, settings):
            log.warning("%s", line)
    stop = asyncio.Event()
    start_background(runtime, stop)
    config = uvicorn.Config(
        runtime.app,
        host=settings.http.host,
        port=settings.http.port,
        log_level="info",
        lifespan="off",
        timeout_graceful_shutdown=10,
    )
    server = _Server(config, runtime.app.state.changes.close)
    try:
        await server.serve()
    finally:
        stop.set()
        await asyncio.gather(*runtime.tasks, return_exceptions=True)
        await runtime.registry.close()
        runtime.throttle.close()
        await runtime.desk.db.dispose()

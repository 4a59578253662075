"""Slack: the Events API, interactivity and slash commands on one path, through slack-bolt.

``POST /slack/events`` hands the raw request to a :class:`slack_bolt.async_app.AsyncApp`, which
checks the request signature (``v0`` HMAC of the timestamp and body with the signing secret;
bad or older than five minutes: 401), answers Slack's URL verification and dispatches to the
listeners here. Listeners only acknowledge and start the work in a task (Slack wants an answer
within 3 s); the work turns the event into an :class:`~channels.base.Inbound`:

- a direct message (``message`` with ``channel_type: im``) or a mention (``app_mention``);
  other bots, edits, deletions and every subtype but ``file_share`` are ignored; shared files
  are downloaded from ``url_private`` with the bot token. The message id is ``channel/ts``, so
  Slack's retries (``X-Slack-Retry-Num``) and the second event for the same message record
  nothing. A mention in a channel is answered in a thread under it.
- a button click (``block_actions``) arrives as the button's value: its payload.
- a slash command (``/frontdesk INC-12``) is a message whose answer goes to the user's direct
  messages with the app, never to the channel it was typed in.

Events from the agent channel (``channels.slack.agent_channel``) go to a second handler, whose
replies are shown to the acting agent only (ephemeral). Out, messages are ``chat.postMessage``
calls with Block Kit buttons (see :mod:`channels.slack_blocks`); rate limits, 5xx answers and
network trouble raise a temporary :class:`~channels.base.DeliveryError` for the outbox to retry.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from channels.base import (
    Address,
    Attachment,
    DeliveryError,
    Inbound,
    InboundHandler,
    Outbound,
    Part,
    send_parts,
)
from channels.slack_blocks import PERMANENT_ERRORS, blocks, escape, plain, slack_error

__all__ = ["SlackChannel"]

log = logging.getLogger(__name__)

MAX_FILE = 20 * 1024 * 1024
MAX_REMEMBERED = 10_000
# A person's message: plain, with files, or a thread reply also sent to the channel.
_USER_SUBTYPES = (None, "file_share", "thread_broadcast")
_ANY = re.compile(r".*")


def _refusal(exc: Exception) -> DeliveryError | None:
    """What a Slack error means for delivery; ``None`` for anything that is not one."""
    if isinstance(exc, SlackRequestError):  # the file host refused the bytes
        return DeliveryError(f"slack file upload: {exc}")
    if isinstance(exc, SlackApiError):
        status, code, retry = slack_error(exc.response)
        if status == 429 or code == "ratelimited":
            wait = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
            return DeliveryError(f"slack rate limited; retry after {retry or '?'} s", retry_after=wait)
        return DeliveryError(f"slack {status}: {code or exc}", permanent=code in PERMANENT_ERRORS)
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        return DeliveryError(f"slack unreachable: {exc!r}")
    return None


class SlackChannel:
    """The Slack adapter: a bolt app behind one route, and a sender holding one AsyncWebClient."""

    name = "slack"

    def __init__(
        self,
        bot_token: str,
        signing_secret: str,
        handler: InboundHandler,
        *,
        base_url: str = "https://slack.com/api/",
        agent_channel: str | None = None,
        agent_handler: InboundHandler | None = None,
    ) -> None:
        self.client = AsyncWebClient(token=bot_token, base_url=base_url.rstrip("/") + "/", timeout=10)
        self.app = AsyncApp(client=self.client, signing_secret=signing_secret, process_before_response=True)
        self._bolt = AsyncSlackRequestHandler(self.app)
        self._verifier = SignatureVerifier(signing_secret)
        self._token = bot_token
        self._http = httpx.AsyncClient(timeout=30, follow_redirects=False)
        self._file_hosts = {"files.slack.com", urlsplit(base_url).hostname or ""}
        self._handler = handler
        self._agent_channel = agent_channel if agent_handler is not None else None
        self._agent_handler = agent_handler
        self._people: dict[str, tuple[str | None, str | None]] = {}
        self._dms: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listen()

    async def close(self) -> None:
        await self.idle()
        await self._http.aclose()

    async def idle(self) -> None:
        """Wait until the work started by acknowledged requests is done (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- out ---------------------------------------------------------------------------------

    async def send(self, address: Address, message: Outbound) -> str | None:
        """Post the message (in its thread, if the address has one), then upload its files
        there (``files_upload_v2``); returns the post's ``ts``. The post and the upload are two
        parts (:class:`~channels.base.Outbound`): when the upload fails, its retry does not
        post the text again.

        Raises:
            DeliveryError: permanent when Slack refuses for good (an unknown or archived
                channel, a bot not in the channel, a deactivated account, a revoked token),
                temporary for rate limits (with Slack's ``Retry-After``), 5xx and network errors.
        """

        async def post() -> str | None:
            sent = await self.client.chat_postMessage(
                channel=address.chat_id,
                text=escape(message.text or " "),
                blocks=blocks(message.text, message.buttons) if message.buttons else None,
                thread_ts=address.thread_id,
                unfurl_links=False,
            )
            ts = sent.get("ts")
            return str(ts) if ts else None

        async def upload() -> None:
            await self.client.files_upload_v2(
                channel=address.chat_id,
                thread_ts=address.thread_id,
                file_uploads=[
                    {"content": f.data, "filename": f.filename, "title": f.filename}
                    for f in message.attachments
                ],
            )

        parts: list[Part] = []
        if message.text or message.buttons or not message.attachments:
            parts.append(post)
        if message.attachments:
            parts.append(upload)
        return await send_parts(parts, message, _refusal)

    async def _ephemeral(self, channel: str, user: str, thread: str | None, message: Outbound) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=escape(message.text),
                blocks=blocks(message.text, message.buttons) if message.buttons else None,
                thread_ts=thread,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("slack: could not show %s an ephemeral message: %s", user, exc)

    # -- in ----------------------------------------------------------------------------------

    def _listen(self) -> None:
        app = self.app

        @app.event("message")
        async def message(ack: Any, event: dict[str, Any]) -> None:
            await ack()
            if event.get("bot_id") or event.get("subtype") not in _USER_SUBTYPES:
                return  # other bots, edits, deletions, joins...
            if event.get("channel") == self._agent_channel:
                if event.get("thread_ts"):  # agents write in a conversation's thread
                    self._spawn(self._to_agents(event))
            elif event.get("channel_type") == "im":
                self._spawn(self._from_user(event))

        @app.event("app_mention")
        async def mention(ack: Any, event: dict[str, Any]) -> None:
            await ack()
            if event.get("channel") != self._agent_channel and not event.get("bot_id"):
                self._spawn(self._from_user(event))

        @app.event(_ANY)
        async def other_event(ack: Any) -> None:
            await ack()  # subscribed but not acted on (joins, reactions, uninstalls)

        @app.action(_ANY)
        async def click(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            if action.get("type") == "button" and action.get("value"):
                self._spawn(self._clicked(body, action))

        @app.command(_ANY)
        async def command(ack: Any, command: dict[str, Any]) -> None:
            await ack()
            self._spawn(self._commanded(command))

        @app.shortcut(_ANY)
        async def shortcut(ack: Any) -> None:
            await ack()

        @app.view(_ANY)
        async def view(ack: Any) -> None:
            await ack()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack: handling an event failed", exc_info=task.exception())

    async def _from_user(self, event: dict[str, Any]) -> None:
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
        thread = event.get("thread_ts") or (ts if event.get("channel_type") != "im" else None)
        attachments = await self._files(event.get("files") or ())
        text = plain(str(event.get("text") or ""))
        if not text and not attachments:
            return
        await self._handler(await self._inbound(Address("slack", channel, thread), user, text, f"{channel}/{ts}",
                                                attachments, ts))  # fmt: skip

    async def _to_agents(self, event: dict[str, Any]) -> None:
        assert self._agent_handler is not None
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
        address = Address("slack", channel, str(event["thread_ts"]))
        files = await self._files(event.get("files") or ())
        text = plain(str(event.get("text") or ""))
        if not text and not files:
            return
        inbound = await self._inbound(address, user, text, f"{channel}/{ts}", files)
        for reply in await self._agent_handler(inbound):
            await self._ephemeral(channel, user, address.thread_id, reply)

    async def _clicked(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        user = str(body["user"]["id"])
        thread = container.get("thread_ts") or message.get("thread_ts")
        ident = f"{channel}/click/{action.get('action_ts') or body.get('trigger_id')}"
        if channel and channel == self._agent_channel:
            assert self._agent_handler is not None
            thread = thread or container.get("message_ts")  # the announcement is the thread's root
            inbound = await self._inbound(
                Address("slack", channel, thread), user, str(action["value"]), ident
            )
            for reply in await self._agent_handler(inbound):
                await self._ephemeral(channel, user, thread, reply)
            return
        if not channel or container.get("is_ephemeral"):
            channel, thread = await self._dm(user), None  # answer privately
        await self._handler(
            await self._inbound(Address("slack", channel, thread), user, str(action["value"]), ident)
        )

    async def _commanded(self, command: dict[str, Any]) -> None:
        user = str(command["user_id"])
        text = plain(str(command.get("text") or "")) or "help"
        ident = f"command/{command.get('trigger_id') or command.get('response_url')}"
        await self._handler(await self._inbound(Address("slack", await self._dm(user)), user, text, ident))

    async def _inbound(
        self,
        address: Address,
        user: str,
        text: str,
        ident: str,
        attachments: tuple[Attachment, ...] = (),
        ts: str | None = None,
    ) -> Inbound:
        name, email = await self._person(user)
        when = datetime.fromtimestamp(float(ts), UTC) if ts and ts.replace(".", "").isdigit() else None
        return Inbound(address=address, user_id=user, text=text, external_id=ident, name=name, email=email,
                       attachments=attachments, received_at=when)  # fmt: skip

    async def _person(self, user: str) -> tuple[str | None, str | None]:
        """The user's name and e-mail from ``users.info`` (remembered; unknown if it fails)."""
        if user not in self._people:
            try:
                found = (await self.client.users_info(user=user)).get("user") or {}
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("slack: users.info %s failed: %s", user, exc)
                return None, None
            profile = found.get("profile") or {}
            name = profile.get("real_name") or found.get("real_name") or found.get("name")
            email = profile.get("email")
            if len(self._people) >= MAX_REMEMBERED:
                self._people.clear()  # profiles change; a large workspace is simply looked up again
            self._people[user] = (str(name) if name else None, str(email).lower() if email else None)
        return self._people[user]

    async def _dm(self, user: str) -> str:
        """The app's direct-message channel with ``user`` (``conversations.open``); the user id
        itself if that fails, which ``chat.postMessage`` also delivers to that DM."""
        if user not in self._dms:
            try:
                opened = await self.client.conversations_open(users=user)
                self._dms[user] = str((opened.get("channel") or {}).get("id") or user)
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("slack: conversations.open %s failed: %s", user, exc)
                return user
        return self._dms[user]

    async def _files(self, files: Any) -> tuple[Attachment, ...]:
        out = []
        for file in files:
            url = file.get("url_private_download") or file.get("url_private")
            name = str(file.get("name") or file.get("title") or "file")
            if not url or urlsplit(url).hostname not in self._file_hosts:
                continue  # never send the bot token anywhere but Slack's file host
            if int(file.get("size") or 0) > MAX_FILE:
                log.warning("slack: %s is over 20 MB; not downloaded", name)
                continue
            try:
                got = await self._http.get(url, headers={"Authorization": f"Bearer {self._token}"})
                got.raise_for_status()
            except httpx.HTTPError as exc:
                log.warning("slack: could not download %s: %s", name, exc)
                continue
            kind = str(file.get("mimetype") or got.headers.get("content-type") or "application/octet-stream")
            out.append(Attachment(name, kind, got.content))
        return tuple(out)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["slack"])

        @router.post("/slack/events", summary="Slack Events API, interactivity and slash commands (signed)")
        async def events(request: Request) -> Response:
            body = await request.body()
            try:
                text = body.decode()
                shape_ok = _well_formed(parse_body(text, request.headers.get("content-type")))
                if shape_ok:  # what bolt's handler will build; some bodies make it raise
                    AsyncBoltRequest(body=text, headers=dict(request.headers))
            except (ValueError, TypeError, AttributeError, KeyError, IndexError):
                shape_ok = False
            if not shape_ok:
                # Unreadable: tell a forger nothing more than a bad signature would.
                if not self._verifier.is_valid_request(body, dict(request.headers)):
                    raise HTTPException(401, "invalid Slack request signature")
                raise HTTPException(400, "not a Slack event, action or command")
            return await self._bolt.handle(request)

        return router


def _well_formed(body: Any) -> bool:
    """Whether the fields the listeners read are there, so that bolt never sees a body that
    would make it fail with a 500."""
    if not isinstance(body, dict):
        return False
    kind = body.get("type")
    if kind == "url_verification":
        return isinstance(body.get("challenge"), str)
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return False
        if event["type"] in ("message", "app_mention") and not event.get("subtype"):
            return all(isinstance(event.get(k), str) for k in ("channel", "ts")) and (
                isinstance(event.get("user"), str) or bool(event.get("bot_id"))
            )
        return True
    if kind == "block_actions":
        user, actions = body.get("user"), body.get("actions")
        return isinstance(user, dict) and isinstance(user.get("id"), str) and isinstance(actions, list)
    if "command" in body:
        return isinstance(body.get("user_id"), str) and isinstance(body.get("command"), str)
    return isinstance(kind, str) or "ssl_check" in body  # shortcuts, views, Slack's SSL check

"""Slack through the real slack-bolt and slack_sdk against a local fake Web API, on both databases:
request signatures (Slack's own vector), bolt's own scenario bodies, retries, buttons, slash
commands, files, delivery errors, an outage, and agents working from the agent channel."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select, update

from bots.wiring import Runtime, build_runtime
from channels.base import Address, Button, DeliveryError, Outbound
from channels.base import Attachment as File
from channels.slack import SlackChannel
from channels.slack_blocks import plain
from desk.context import Desk
from desk.handoff import agent_reply, get_conversation, release_conversation, take_over
from desk.i18n import t
from desk.models import Agent, Attachment, Conversation, Message, OutboxItem, Person, Ticket
from desk.notifications import notify_agent
from desk.outbox import deliver_due
from desk.tickets import get_ticket
from nlu import EmbeddedEngine
from tests.channels.conftest import asgi_client, channel_runtime
from tests.conftest import Clock, base_config, make_settings
from tests.fakes.platforms import SLACK_FILE, FakeSlack, serve_fake

FIXTURES = Path(__file__).parent.parent / "fixtures" / "slack"
VECTOR = json.loads((FIXTURES / "slack_signature_vectors.json").read_text(encoding="utf-8"))
SECRET = VECTOR["signing_secret"]
AGENTS = "CAGENTS1"
USERS = {
    "W111": {
        "id": "W111",
        "name": "wei",
        "profile": {"real_name": "Wei Wang", "email": "Wei.Wang@example.com"},
    },
    "UTOM": {
        "id": "UTOM",
        "name": "tom",
        "profile": {"real_name": "Tom B", "email": "Tom.Baker@example.com"},
    },
    "UEVE": {"id": "UEVE", "name": "eve", "profile": {"real_name": "Eve", "email": "eve@elsewhere.example"}},
}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with serve_fake(FakeSlack(users=copy.deepcopy(USERS))) as running:
        yield running


@pytest.fixture
async def slack(
    db_url: str, clock: Clock, fake: FakeSlack, nlu_engine: EmbeddedEngine
) -> AsyncIterator[Runtime]:
    config = {"bot_token": fake.token, "signing_secret": SECRET, "base_url": fake.base_url,
              "agent_channel": AGENTS}  # fmt: skip
    async with channel_runtime(db_url, clock, nlu_engine, "slack", config) as runtime:
        yield runtime


@pytest.fixture
async def web(slack: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(slack.app) as c:
        yield c


def signed(body: str, *, at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    """Headers as Slack sends them: ``v0=`` HMAC-SHA256 of ``v0:timestamp:body``."""
    ts = str(int(at if at is not None else time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Workspace:
    """Slack calling the desk: signs each request; waits for the work after the ack."""

    def __init__(self, web: httpx.AsyncClient, runtime: Runtime, fake: FakeSlack) -> None:
        self.web, self.runtime, self.fake = web, runtime, fake
        self.channel: SlackChannel = runtime.registry._senders["slack"]  # type: ignore[assignment]

    async def post(self, body: dict[str, Any] | str, *, form: bool = False, retry: int = 0) -> httpx.Response:
        if isinstance(body, dict) and form:  # interactivity: payload=<json>, form-encoded
            text, kind = urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
        elif isinstance(body, dict):
            text, kind = json.dumps(body), "application/json"
        else:
            text, kind = body, "application/x-www-form-urlencoded"
        headers = {**signed(text), "Content-Type": kind}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        response = await self.web.post("/slack/events", content=text, headers=headers)
        await self.channel.idle()
        return response

    async def deliver(self) -> list[dict[str, Any]]:
        before = len(self.fake.posted())
        await deliver_due(self.runtime.desk, self.runtime.registry)
        return self.fake.posted()[before:]

    async def handed_off(self, sender: str, name: str | None = None) -> tuple[dict[str, Any], Conversation]:
        """A web-chat user (called ``name``) asks for a person; the room announces it and learns
        its thread. Returns the announcement as Slack got it and the (detached) conversation."""
        room = self.runtime.agent_room
        assert room is not None
        said = {"sender": sender, "message": "I want to talk to a person"}
        await self.web.post(
            "/webhooks/rest/webhook", json={**said, "metadata": {"name": name}} if name else said
        )
        await room.sync()
        [announcement] = await self.deliver()
        await room.sync()  # learns the thread from the delivered post
        async with self.runtime.desk.session() as s:
            conversation = await s.scalar(
                select(Conversation).where(Conversation.channel == "rest", Conversation.chat_id == sender)
            )
        assert conversation is not None
        return announcement, conversation


@pytest.fixture
def ws(web: httpx.AsyncClient, slack: Runtime, fake: FakeSlack) -> Workspace:
    return Workspace(web, slack, fake)


def dm(text: str, ts: str, *, event_id: str | None = None, user: str = "W111") -> dict[str, Any]:
    """bolt's message scenario body, moved from a public channel to a direct message."""
    body = fixture("test_message__message_body.json")
    body["event_id"] = event_id or f"Ev{ts.replace('.', '')}"
    body["event"] |= {"channel": "D111", "channel_type": "im", "text": text, "ts": ts, "event_ts": ts,
                      "user": user, "client_msg_id": f"m-{ts}"}  # fmt: skip
    return body


def click(
    value: str, channel: str, user: str, *, message_ts: str = "111.222", action_ts: str = "1.1"
) -> dict[str, Any]:
    """bolt's block_actions scenario body, clicking a button with ``value`` on a bot message."""
    body = fixture("test_block_actions__body.json")
    body["user"] |= {"id": user}
    body["channel"]["id"] = channel
    body["container"] |= {"channel_id": channel, "message_ts": message_ts, "is_ephemeral": False}
    body["actions"][0] |= {"value": value, "action_ts": action_ts}
    return body


async def messages(desk: Desk, direction: str) -> list[Message]:
    async with desk.session() as s:
        return list(
            await s.scalars(select(Message).where(Message.direction == direction).order_by(Message.id))
        )


def button_values(post: dict[str, Any]) -> list[str]:
    return [e["value"] for b in post.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


# -- requests: signatures, shapes, URL verification --------------------------------------------


def test_slacks_signature_vector() -> None:
    """The documented example, checked with the verifier bolt uses (at the example's time)."""
    at = float(VECTOR["timestamp"])
    verifier = SignatureVerifier(SECRET, clock=type("C", (), {"now": lambda self: at})())
    headers = VECTOR["headers"]
    assert verifier.is_valid_request(VECTOR["body"], headers)
    assert not verifier.is_valid_request(VECTOR["body"] + "------", headers)
    assert signed(VECTOR["body"], at=at)["X-Slack-Signature"] == VECTOR["expected_signature"]


async def test_bad_or_stale_signatures_get_401_and_bad_bodies_4xx(web: httpx.AsyncClient) -> None:
    body = json.dumps(fixture("test_events_url_verification__event_body.json"))
    json_type = {"Content-Type": "application/json"}
    assert (await web.post("/slack/events", content=body, headers=json_type)).status_code == 401
    wrong = {**signed(body, secret="not-the-secret"), **json_type}
    assert (await web.post("/slack/events", content=body, headers=wrong)).status_code == 401
    stale = {**signed(body, at=time.time() - 600), **json_type}  # Slack allows five minutes
    assert (await web.post("/slack/events", content=body, headers=stale)).status_code == 401
    # Slack's documented example, correctly signed but in 2018: stale.
    form = {**VECTOR["headers"], "Content-Type": "application/x-www-form-urlencoded"}
    assert (await web.post("/slack/events", content=VECTOR["body"], headers=form)).status_code == 401
    for bad in ("{not json", "[1, 2]", '{"type": "event_callback"}', '{"type": "event_callback", "event": {"type":'
                ' "message", "channel": "D1"}}', '{"type": "block_actions", "actions": []}'):  # fmt: skip
        r = await web.post("/slack/events", content=bad, headers={**signed(bad), **json_type})
        assert r.status_code == 400 and r.json()["error"]["code"] and "Traceback" not in r.text, bad
        unsigned = await web.post("/slack/events", content=bad, headers=json_type)
        assert unsigned.status_code == 401, bad


async def test_url_verification_is_answered(ws: Workspace) -> None:
    body = fixture("test_events_url_verification__event_body.json")
    r = await ws.post(body)
    assert r.status_code == 200 and r.json() == {"challenge": body["challenge"]}


# -- users -------------------------------------------------------------------------------------


async def test_a_dm_is_answered_with_buttons_once_even_when_slack_retries(
    ws: Workspace, fake: FakeSlack
) -> None:
    body = dm("Hello World!", "1596183880.004200")
    assert (await ws.post(body)).status_code == 200
    assert (await ws.post(body, retry=1)).status_code == 200  # Slack's retry of the same event
    [inbound] = await messages(ws.runtime.desk, "in")
    assert (inbound.text, inbound.external_id, inbound.author_name) == ("Hello World!", "D111/1596183880.004200",
                                                                       "Wei Wang")  # fmt: skip
    posts = await ws.deliver()
    assert posts and all(p["channel"] == "D111" and p.get("thread_ts") is None for p in posts)
    assert len(posts) == len(await messages(ws.runtime.desk, "out"))  # answered once
    assert button_values(posts[-1]) == ["/report", "/request", "/status", "/human"]
    async with ws.runtime.desk.session() as s:
        person = (await s.scalars(select(Conversation))).one().person
        assert person.email == "wei.wang@example.com"  # users.info, through the fake


async def test_a_button_click_is_the_same_as_typing_its_payload(ws: Workspace, fake: FakeSlack) -> None:
    await ws.post(dm("hello", "1700000001.000100"))
    [*_, last] = await ws.deliver()
    human = next(v for v in button_values(last) if v == "/human")
    r = await ws.post(click(human, "D111", "W111"), form=True)
    assert r.status_code == 200 and r.text == ""
    [reply] = await ws.deliver()
    assert reply["channel"] == "D111" and "INC-1" in reply["text"]
    ins = await messages(ws.runtime.desk, "in")
    assert [m.text for m in ins] == ["hello", "/human"]
    async with ws.runtime.desk.session() as s:
        assert (await s.scalars(select(Conversation))).one().mode == "queued"


async def test_a_slash_command_is_answered_in_the_users_dm(ws: Workspace, fake: FakeSlack) -> None:
    body = (FIXTURES / "test_slash_command__slash_command_body.txt").read_text(encoding="utf-8").strip()
    body = body.replace(
        "command=%2Fhello-world&text=Hi", "command=%2Ffrontdesk&text=I+want+to+talk+to+a+person"
    )
    r = await ws.post(body)
    assert r.status_code == 200 and "Traceback" not in r.text
    assert fake.posted("conversations.open") == [{"users": "W111"}]
    [reply] = await ws.deliver()
    assert reply["channel"] == "D111" and "INC-1" in reply["text"]  # the DM, not #random (C111)
    assert [m.text for m in await messages(ws.runtime.desk, "in")] == ["I want to talk to a person"]


async def test_a_mention_is_answered_in_a_thread_and_other_events_are_ignored(ws: Workspace) -> None:
    ignored = [
        fixture("test_message__message_body.json"),  # chatter in a channel, no mention
        fixture("test_message_bot__user_message_event_payload.json"),
        fixture("test_message_bot__bot_message_event_payload.json"),
        fixture("test_message_changed__event_payload.json"),
        fixture("test_message_deleted__event_payload.json"),
        fixture("test_events__valid_reaction_added_body.json"),
        fixture("test_events__body.json"),  # member_left_channel
    ]
    for body in ignored:
        assert (await ws.post(body)).status_code == 200, body["event"]
    assert await messages(ws.runtime.desk, "in") == []
    mention = fixture("test_events__valid_event_body.json")  # "<@W111> Hi there!" in C111
    mention["event"]["user"] = "W111"
    assert (await ws.post(mention)).status_code == 200
    [inbound] = await messages(ws.runtime.desk, "in")
    assert inbound.text == "Hi there!"
    posts = await ws.deliver()
    assert posts and {(p["channel"], p["thread_ts"]) for p in posts} == {("C111", "1595926230.009600")}


async def test_a_shared_file_is_downloaded_with_the_bot_token(ws: Workspace, fake: FakeSlack) -> None:
    body = fixture("test_events__message_file_share_body.json")
    body["event"] |= {"channel": "D111", "channel_type": "im", "user": "W111"}
    good = body["event"]["files"][0]
    good["url_private_download"] = fake.file_url("test.png")
    elsewhere = copy.deepcopy(good) | {
        "name": "evil.png",
        "url_private_download": "http://evil.example/x.png",
    }
    body["event"]["files"].append(elsewhere)
    assert (await ws.post(body)).status_code == 200
    assert fake.downloads == [("test.png", f"Bearer {fake.token}")]  # and nothing to evil.example
    async with ws.runtime.desk.session() as s:
        [file] = list(await s.scalars(select(Attachment)))
        assert (file.filename, file.content_type, file.size) == ("test.png", "image/png", len(SLACK_FILE))
        assert file.sha256 == hashlib.sha256(SLACK_FILE).hexdigest()
    [inbound] = await messages(ws.runtime.desk, "in")
    assert inbound.text == "Here is your file!"


async def test_slack_gets_its_answer_before_the_work_is_done(fake: FakeSlack) -> None:
    """The listener acknowledges and the handler runs afterwards: a slow turn (a Rasa round trip,
    a busy database) never makes Slack wait past its 3 seconds and retry."""
    release, seen = asyncio.Event(), []

    async def slow(inbound: Any) -> list[Outbound]:
        await release.wait()
        seen.append(inbound.text)
        return []

    channel = SlackChannel(fake.token, SECRET, slow, base_url=fake.base_url)
    app = FastAPI()
    app.include_router(channel.router())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
            body = json.dumps(dm("are you there?", "1700000003.000100"))
            headers = {**signed(body), "Content-Type": "application/json"}
            r = await asyncio.wait_for(client.post("/slack/events", content=body, headers=headers), 3)
            assert r.status_code == 200 and seen == []
            release.set()
            await channel.idle()
            assert seen == ["are you there?"]
    finally:
        await channel.close()


# -- out: errors, an outage --------------------------------------------------------------------


async def test_delivery_errors_are_permanent_or_retried(fake: FakeSlack) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = SlackChannel(fake.token, SECRET, nobody, base_url=fake.base_url)
    try:
        to = Address("slack", "C111", "1595926230.009600")
        fake.fail_with = (200, {"ok": False, "error": "channel_not_found"}, {})
        with pytest.raises(DeliveryError) as gone:
            await channel.send(to, Outbound("hi"))
        assert gone.value.permanent and "channel_not_found" in str(gone.value)
        fake.fail_with = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"})
        with pytest.raises(DeliveryError) as limited:
            await channel.send(to, Outbound("hi"))
        assert not limited.value.permanent and limited.value.retry_after == 3.0
        fake.fail_with = (503, None, {})
        with pytest.raises(DeliveryError) as down:
            await channel.send(to, Outbound("hi"))
        assert not down.value.permanent
        fake.fail_with = None
        ts = await channel.send(to, Outbound("a < b & c", (Button("Yes", "/yes"), Button("No", "/no"))))
        post = fake.posted()[-1]
        assert ts and post["thread_ts"] == "1595926230.009600" and post["text"] == "a &lt; b &amp; c"
        assert button_values(post) == ["/yes", "/no"]
    finally:
        await channel.close()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    offline = SlackChannel(fake.token, SECRET, nobody, base_url=closed)
    try:
        with pytest.raises(DeliveryError) as unreachable:
            await offline.send(Address("slack", "D111"), Outbound("hi"))
        assert not unreachable.value.permanent
    finally:
        await offline.close()


async def test_a_slack_outage_is_retried_from_the_outbox_and_delivered_once(
    ws: Workspace, fake: FakeSlack, clock: Clock
) -> None:
    await ws.post(dm("Hello World!", "1700000002.000100"))
    expected = [m.text for m in await messages(ws.runtime.desk, "out")]
    fake.fail_with, fake.fail_times = (500, None, {}), 1
    [attempt] = await ws.deliver()  # the first fails; the rest wait behind it, in order
    assert attempt["text"] == expected[0]
    async with ws.runtime.desk.session() as s:
        rows = list(await s.scalars(select(OutboxItem).order_by(OutboxItem.id)))
        assert [r.status for r in rows] == ["pending"] * len(expected) and rows[0].attempts == 1
        assert "500" in (rows[0].last_error or "")
    assert await deliver_due(ws.runtime.desk, ws.runtime.registry) == 0  # waiting out the backoff
    clock.advance(seconds=5)
    assert await deliver_due(ws.runtime.desk, ws.runtime.registry) == len(expected)
    texts = [p["text"] for p in fake.posted()]
    assert texts[1:] == expected and texts[0] == expected[0]  # one failure, then each once
    assert await deliver_due(ws.runtime.desk, ws.runtime.registry) == 0


# -- agents in the agent channel ---------------------------------------------------------------


async def test_an_agent_takes_over_from_slack_answers_a_rest_user_and_releases(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    room = slack.agent_room
    assert room is not None
    sender = {"sender": "rest-ann", "metadata": {"name": "Ann Lee"}}
    first = await web.post("/webhooks/rest/webhook", json={**sender, "message": "I want to talk to a person"})
    assert "INC-1" in first.json()[-1]["text"]
    assert await room.sync() == 1
    [announcement] = await ws.deliver()
    assert announcement["channel"] == AGENTS and "thread_ts" not in announcement
    assert all(w in announcement["text"] for w in ("Ann Lee", "rest", "INC-1", "talk to a person"))
    assert "waiting for a person in Service Desk — INC-1" in plain(announcement["text"])
    [take] = button_values(announcement)
    assert await room.sync() == 1 and await room.sync() == 0  # learns the thread once
    async with slack.desk.session() as s:
        conversation = (await s.scalars(select(Conversation))).one()
        thread = conversation.state["agent_room"]["thread"]
        conversation_id = conversation.id

    # Someone who is not an agent is told so, privately, and nothing changes.
    await ws.post(click(take, AGENTS, "UEVE", message_ts=thread), form=True)
    [refusal] = fake.posted("chat.postEphemeral")
    assert refusal["user"] == "UEVE" and "not a Frontdesk agent" in refusal["text"]

    await ws.post(click(take, AGENTS, "UTOM", message_ts=thread, action_ts="2.2"), form=True)
    async with slack.desk.session() as s:
        taken = await s.get(Conversation, conversation_id)
        tom = await s.scalar(select(Agent).where(Agent.email == "tom.baker@example.com"))
        assert taken is not None and tom is not None and (taken.mode, taken.agent_id) == ("agent", tom.id)
    [note] = await ws.deliver()
    assert note["thread_ts"] == thread and "Tom Baker" in note["text"]
    assert button_values(note) == [f"release {conversation_id}"]

    async def feed() -> list[str]:
        got = await web.get("/webhooks/rest/messages", params={"sender": "rest-ann", "after": 0})
        return [m["text"] for m in got.json()["messages"]]

    joined = t("en", "handoff.joined", agent="Tom Baker")
    assert await feed() == [joined]

    # Tom answers in the thread; Slack's retry of it changes nothing.
    reply = dm("Hi Ann, I am restarting the print server now.", "1700000100.000100", user="UTOM")
    reply["event"] |= {"channel": AGENTS, "channel_type": "channel", "thread_ts": thread}
    await ws.post(reply)
    await ws.post(reply, retry=1)
    assert await feed() == [joined, "Hi Ann, I am restarting the print server now."]

    # The user's words while with an agent reach the thread.
    assert (
        await web.post("/webhooks/rest/webhook", json={**sender, "message": "thanks, waiting"})
    ).json() == []
    assert await room.sync() == 1
    [mirrored] = await ws.deliver()
    assert (mirrored["thread_ts"], mirrored["text"]) == (thread, "Ann Lee: thanks, waiting")

    # Another Slack user's message in the thread does not reach the user.
    other = copy.deepcopy(reply)
    other["event"] |= {"user": "UEVE", "ts": "1700000101.000100", "text": "lol"}
    await ws.post(other)
    assert await feed() == [joined, "Hi Ann, I am restarting the print server now."]

    # Typing release hands the conversation back to the bot.
    release = copy.deepcopy(reply)
    release["event"] |= {"ts": "1700000102.000100", "text": "release"}
    await ws.post(release)
    async with slack.desk.session() as s:
        back = await s.get(Conversation, conversation_id)
        assert back is not None and back.mode == "bot" and "agent_room" not in back.state
    assert (await feed())[-1] == t("en", "handoff.released")
    [handed_back] = await ws.deliver()
    assert handed_back["thread_ts"] == thread and "back to the bot" in handed_back["text"]
    answer = await web.post("/webhooks/rest/webhook", json={**sender, "message": "hello"})
    assert answer.json()  # the bot answers again


async def test_files_are_uploaded_into_the_thread(fake: FakeSlack) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = SlackChannel(fake.token, SECRET, nobody, base_url=fake.base_url)
    photo = File("截图.png", "image/png", b"\x89PNG\r\n\x1a\n picture")
    try:
        to = Address("slack", "D111", "1595926230.009600")
        ts = await channel.send(to, Outbound("Here is the screen", attachments=(photo,)))
        [post] = fake.posted()
        assert ts == "1700000000.000001" and post["text"] == "Here is the screen"
        [asked] = fake.posted("files.getUploadURLExternal")
        assert (asked["filename"], asked["length"]) == ("截图.png", str(len(photo.data)))
        assert fake.uploads == {"F0001": photo.data}
        [done] = fake.posted("files.completeUploadExternal")
        assert (done["channel_id"], done["thread_ts"]) == ("D111", "1595926230.009600")
        assert json.loads(done["files"]) == [{"id": "F0001", "title": "截图.png"}]
        before = len(fake.posted())
        await channel.send(to, Outbound("", attachments=(photo,)))  # a file alone: no empty post
        assert len(fake.posted()) == before
    finally:
        await channel.close()


async def test_a_failed_upload_is_retried_without_posting_the_text_again(fake: FakeSlack) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = SlackChannel(fake.token, SECRET, nobody, base_url=fake.base_url)
    photo = File("截图.png", "image/png", b"\x89PNG\r\n\x1a\n picture")
    message = Outbound("Here is the screen", attachments=(photo,))
    try:
        to = Address("slack", "D111", "1595926230.009600")
        fake.fail_on, fake.fail_times = "files.getUploadURLExternal", 1
        fake.fail_with = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
        with pytest.raises(DeliveryError) as limited:
            await channel.send(to, message)
        assert (limited.value.sent_parts, limited.value.first_id) == (1, "1700000000.000001")
        assert limited.value.retry_after == 7.0 and not limited.value.permanent
        assert await channel.send(to, replace(message, sent_parts=1)) is None
        assert len(fake.posted()) == 1  # the text once
        assert fake.uploads == {"F0002": photo.data}  # F0001 was the refused request
        assert len(fake.posted("files.completeUploadExternal")) == 1
    finally:
        await channel.close()


async def test_files_cross_the_agent_room_both_ways(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    room = slack.agent_room
    assert room is not None
    announcement, conversation = await ws.handed_off("rest-ann")
    thread = conversation.state["agent_room"]["thread"]
    await ws.post(click(button_values(announcement)[0], AGENTS, "UTOM", message_ts=thread), form=True)
    await ws.deliver()

    # Tom drops a screenshot into the thread: the web-chat user gets it as a link.
    share = fixture("test_events__message_file_share_body.json")
    share["event"] |= {"channel": AGENTS, "channel_type": "channel", "user": "UTOM", "thread_ts": thread,
                       "text": "Like this", "ts": "1700000200.000100"}  # fmt: skip
    share["event"]["files"][0]["url_private_download"] = fake.file_url("test.png")
    share["event_id"] = "EvFILE1"
    await ws.post(share)
    got = await web.get("/webhooks/rest/messages", params={"sender": "rest-ann", "after": 0})
    [with_file] = [m for m in got.json()["messages"] if m.get("attachments")]
    assert with_file["text"] == "Like this"
    [link] = with_file["attachments"]
    assert link["filename"] == "test.png"
    fetched = await web.get(link["url"].removeprefix(slack.settings.public_url.rstrip("/")))
    assert fetched.content == SLACK_FILE

    # The user's file reaches the thread as a file.
    sent = await web.post(
        "/webhooks/rest/upload",
        data={"sender": "rest-ann", "message": "my error"},
        files={"file": ("error.png", b"\x89PNG user's screen", "image/png")},
    )
    assert sent.status_code == 200 and sent.json() == []
    assert await room.sync() == 1
    [mirrored] = await ws.deliver()
    assert (mirrored["thread_ts"], mirrored["text"]) == (thread, "rest-ann: my error")
    [done] = fake.posted("files.completeUploadExternal")
    assert (done["channel_id"], done["thread_ts"]) == (AGENTS, thread)
    assert list(fake.uploads.values()) == [b"\x89PNG user's screen"]


async def test_the_release_button_and_a_queued_conversation_taken_in_the_console(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    _, conversation = await ws.handed_off("rest-bo")
    thread, ident = conversation.state["agent_room"]["thread"], conversation.id
    # Writing before taking over is refused privately.
    early = dm("hello?", "1700000200.000100", user="UTOM")
    early["event"] |= {"channel": AGENTS, "channel_type": "channel", "thread_ts": thread}
    await ws.post(early)
    assert "Take the conversation over" in fake.posted("chat.postEphemeral")[-1]["text"]
    await ws.post(click(f"takeover {ident}", AGENTS, "UTOM", message_ts=thread), form=True)
    [note] = await ws.deliver()
    await ws.post(
        click(button_values(note)[0], AGENTS, "UTOM", message_ts=thread, action_ts="3.3"), form=True
    )
    async with slack.desk.session() as s:
        assert (await s.get(Conversation, ident)).mode == "bot"  # type: ignore[union-attr]
    [released] = await ws.deliver()  # said once, in the thread
    assert released["thread_ts"] == thread and "back to the bot" in released["text"]
    # A second release (a stale button) is answered privately, not acted on.
    await ws.post(click(f"release {ident}", AGENTS, "UTOM", message_ts=thread, action_ts="4.4"), form=True)
    assert "Nobody has taken" in fake.posted("chat.postEphemeral")[-1]["text"]


async def test_resolve_in_the_thread_resolves_the_ticket_and_the_bot_asks_the_user_to_rate(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    _, conversation = await ws.handed_off("rest-cy")
    thread, ident = conversation.state["agent_room"]["thread"], conversation.id
    await ws.post(click(f"takeover {ident}", AGENTS, "UTOM", message_ts=thread), form=True)
    [note] = await ws.deliver()
    assert "resolve: what fixed it" in note["text"]

    def said(text: str, ts: str) -> dict[str, Any]:
        body = dm(text, ts, user="UTOM")
        body["event"] |= {"channel": AGENTS, "channel_type": "channel", "thread_ts": thread}
        return body

    # "resolve the ..." without the colon is a message to the user, not the command.
    await ws.post(said("resolve the DNS cache with ipconfig /flushdns, please", "1700000300.000100"))
    await ws.post(said("resolve:", "1700000301.000100"))  # no solution: nothing happens
    assert "was not resolved" in fake.posted("chat.postEphemeral")[-1]["text"]
    async with slack.desk.session() as s:
        assert (await s.scalar(select(Ticket).where(Ticket.ref == "INC-1"))).status != "resolved"  # type: ignore[union-attr]
    command = said("resolve: Flushed the DNS cache; the intranet loads again.", "1700000302.000100")
    await ws.post(command)
    await ws.post(command, retry=1)  # Slack's retry changes nothing
    async with slack.desk.session() as s:
        ticket = await s.scalar(select(Ticket).where(Ticket.ref == "INC-1"))
        back = await s.get(Conversation, ident)
        assert ticket is not None and back is not None
        assert (ticket.status, ticket.solution) == (
            "resolved",
            "Flushed the DNS cache; the intranet loads again.",
        )
        assert (back.mode, back.agent_id, back.state) == ("bot", None, {})
    [finished] = await ws.deliver()
    assert finished["thread_ts"] == thread
    assert plain(finished["text"]) == (
        "INC-1 was resolved by Tom Baker; the conversation went back to the bot, which asks for "
        "confirmation and a rating."
    )
    got = await web.get("/webhooks/rest/messages", params={"sender": "rest-cy", "after": 0})
    *earlier, last = got.json()["messages"]
    assert earlier[-1]["text"] == "resolve the DNS cache with ipconfig /flushdns, please"
    assert "Flushed the DNS cache" in last["text"]
    assert [b["payload"] for b in last["buttons"]] == ["/confirm INC-1", "/reopen INC-1"]
    confirmed = await web.post(
        "/webhooks/rest/webhook", json={"sender": "rest-cy", "message": "/confirm INC-1"}
    )
    assert [b["payload"] for b in confirmed.json()[-1]["buttons"]] == [
        f"/rate INC-1 {n}" for n in range(1, 6)
    ]


async def test_a_user_who_leaves_the_line_is_said_in_the_thread(
    ws: Workspace, web: httpx.AsyncClient, slack: Runtime
) -> None:
    _, conversation = await ws.handed_off("rest-ed", "Ed Lim")
    thread = conversation.state["agent_room"]["thread"]
    for said in ("never mind, it works now", "/leave_queue"):
        await web.post("/webhooks/rest/webhook", json={"sender": "rest-ed", "message": said})
    [left] = await ws.deliver()
    assert left["thread_ts"] == thread
    assert plain(left["text"]) == (
        "Ed Lim no longer needs a person and left the line; the conversation went back to the bot."
    )
    room = slack.agent_room
    assert room is not None and await room.sync() == 0  # out of the room's care: nothing more to copy


async def test_agents_who_act_in_the_agent_channel_get_their_notifications_on_slack(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    announcement, _ = await ws.handed_off("rest-cy")
    await ws.post(
        click(button_values(announcement)[0], AGENTS, "UTOM", message_ts="1700000000.000001"), form=True
    )
    async with slack.desk.session() as s:
        tom = await s.scalar(select(Agent).where(Agent.email == "tom.baker@example.com"))
        priya = await s.scalar(select(Agent).where(Agent.email == "priya.patel@example.com"))
        ticket = await get_ticket(s, "INC-1")
        assert tom is not None and priya is not None and tom.slack_user_id == "UTOM"
        await notify_agent(s, slack.desk, tom, ticket, "assigned", by="Maria Garcia")
        await notify_agent(s, slack.desk, priya, ticket, "assigned", by="Maria Garcia")  # not on Slack
    posts = await ws.deliver()
    dms = [p for p in posts if p["channel"] == "UTOM"]
    assert len(dms) == 1 and "INC-1" in dms[0]["text"] and "Maria Garcia" in dms[0]["text"]
    assert [p["channel"] for p in posts if p not in dms] == [AGENTS]  # the takeover note, in its thread


def test_slack_text_to_plain() -> None:
    assert plain("<@U0LAN0Z89> is <https://example.com|the site> &amp; <mailto:a@b.c|a@b.c> ok") == (
        "is the site & a@b.c ok"
    )
    assert plain("  <@U1>  ") == ""


def test_the_channel_is_off_without_a_signing_secret(tmp_path: Path) -> None:
    channels = base_config()["channels"]
    channels["slack"] = {"bot_token": "xoxb-1", "signing_secret": None}
    runtime = build_runtime(make_settings(f"sqlite:///{tmp_path}/x.db", channels=channels))
    assert "slack" in runtime.registry.off and not runtime.registry.handles("slack")
    assert runtime.agent_room is None


async def test_a_takeover_replies_and_a_release_in_the_console_show_in_the_thread(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    room = slack.agent_room
    assert room is not None
    _, conversation = await ws.handed_off("rest-di")
    thread = conversation.state["agent_room"]["thread"]
    async with slack.desk.session() as s:
        conversation = await get_conversation(s, conversation.id, lock=True)
        priya = await s.scalar(select(Agent).where(Agent.email == "priya.patel@example.com"))
        assert priya is not None
        await take_over(s, slack.desk, conversation, priya)
        await agent_reply(s, slack.desk, conversation, priya, "Hi, Priya here from the console.")
    await web.post("/webhooks/rest/webhook", json={"sender": "rest-di", "message": "thanks, go ahead"})
    await room.sync()
    posts = await ws.deliver()
    assert [p["thread_ts"] for p in posts] == [thread] * 3
    assert [plain(p["text"]) for p in posts] == [
        "Priya Patel took this conversation over in the console.",
        "Priya Patel: Hi, Priya here from the console.",
        "rest-di: thanks, go ahead",
    ]
    await room.sync()
    assert await ws.deliver() == []  # each thing once
    async with slack.desk.session() as s:
        conversation = await get_conversation(s, conversation.id, lock=True)
        priya = await s.scalar(select(Agent).where(Agent.email == "priya.patel@example.com"))
        assert priya is not None
        await release_conversation(s, slack.desk, conversation, priya)
    [released] = await ws.deliver()
    assert released["thread_ts"] == thread
    assert plain(released["text"]) == "Priya Patel handed this conversation back to the bot."
    await room.sync()
    assert await ws.deliver() == []


async def test_saved_replies_are_sent_from_the_thread_filled_in_and_in_the_users_language(
    ws: Workspace, web: httpx.AsyncClient, fake: FakeSlack, slack: Runtime
) -> None:
    room = slack.agent_room
    assert room is not None
    announcement, conversation = await ws.handed_off("rest-ann", "Ann Lee")
    thread = conversation.state["agent_room"]["thread"]
    await ws.post(click(button_values(announcement)[0], AGENTS, "UTOM", message_ts=thread), form=True)
    await ws.deliver()

    async def feed() -> list[str]:
        got = await web.get("/webhooks/rest/messages", params={"sender": "rest-ann", "after": 0})
        return [m["text"] for m in got.json()["messages"]][1:]  # after "Tom Baker joined"

    def in_thread(text: str, ts: str) -> dict[str, Any]:
        said = dm(text, ts, user="UTOM")
        said["event"] |= {"channel": AGENTS, "channel_type": "channel", "thread_ts": thread}
        return said

    # "!" lists them, to Tom alone; nothing reaches Ann.
    await ws.post(in_thread("!", "1700000300.000100"))
    [listing] = fake.posted("chat.postEphemeral")
    assert listing["user"] == "UTOM" and "Ann Lee" in listing["text"]
    assert "\n`!hi` Hi Ann, this is Tom Baker from the service desk." in plain(listing["text"])
    assert "`!vpn` Please open GlobalProtect" in plain(listing["text"])
    assert await feed() == []

    # A shortcut with no reply sends nothing and says why.
    await ws.post(in_thread("!vnp", "1700000301.000100"))
    unknown = fake.posted("chat.postEphemeral")[-1]
    assert "no saved reply `!vnp`" in unknown["text"] and "nothing was sent" in unknown["text"]
    assert await feed() == []

    # "!hi" and words around it: filled in for Ann; Slack's retry sends it once.
    hello = in_thread("!hi\nOne moment please.", "1700000302.000100")
    await ws.post(hello)
    await ws.post(hello, retry=1)
    expected = (
        "Hi Ann, this is Tom Baker from the service desk. I'm looking at INC-1 now.\nOne moment please."
    )
    assert await feed() == [expected]
    # The thread saw only "!hi": what Ann got is shown there, once.
    await room.sync()
    [shown] = await ws.deliver()
    assert (shown["thread_ts"], plain(shown["text"])) == (thread, f"Tom Baker: {expected}")
    await room.sync()
    assert await ws.deliver() == []

    # A plain message is not copied back into the thread it was written in.
    await ws.post(in_thread("ok!", "1700000303.000100"))
    assert (await feed())[-1] == "ok!"
    await room.sync()
    assert await ws.deliver() == []

    # A Chinese conversation gets the Chinese reply.
    async with slack.desk.session() as s:
        await s.execute(update(Conversation).values(language="zh"))
    await ws.post(in_thread("!restart", "1700000304.000100"))
    assert (await feed())[-1] == "请先重启一下电脑（开始 → 电源 → 重启），然后告诉我问题是否还在。"

    # Someone known by no name: "!hi" would send "{name}您好", so it is not sent.
    async with slack.desk.session() as s:
        await s.execute(update(Person).values(name=""))
    await ws.post(in_thread("!hi", "1700000305.000100"))
    assert "`!hi` needs {name}" in fake.posted("chat.postEphemeral")[-1]["text"]
    assert (await feed())[-1].startswith("请先重启")

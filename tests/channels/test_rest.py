"""The guards of the web chat's REST endpoints. Rate limits per sender and per client address:
429 with Retry-After for a message over them (not taken, counted against nothing), counts kept in
memory or in Redis (shared by every process of one desk), and a store that is away lets messages
through. Malformed metadata is the integrator's 422."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bots.understanding import Understanding
from bots.wiring import Runtime, build_runtime
from channels.throttle import Throttle, limit
from desk.errors import ConfigError
from desk.models import Message
from nlu import EmbeddedEngine
from tests.channels.conftest import asgi_client, channel_runtime
from tests.conftest import IN_CI, Clock, base_config, error_of, make_settings

REDIS = ("127.0.0.1", 6379)


@asynccontextmanager
async def web(db_url: str, clock: Clock, engine: EmbeddedEngine, **rest: Any) -> AsyncIterator[Runtime]:
    async with channel_runtime(db_url, clock, engine, "rest", rest) as runtime:
        yield runtime


async def say(client: httpx.AsyncClient, sender: str, text: str) -> httpx.Response:
    return await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})


async def texts_in(runtime: Runtime) -> list[str]:
    async with runtime.desk.session() as s:
        rows = await s.scalars(
            select(Message.text)
            .where(Message.direction == "in", Message.channel == "rest")
            .order_by(Message.id)
        )
        return list(rows)


async def test_a_sender_over_the_limit_is_told_when_to_send_again_and_nothing_is_taken(
    db_url: str, clock: Clock, nlu_engine: EmbeddedEngine
) -> None:
    async with web(db_url, clock, nlu_engine, sender_limit="3/minute", address_limit="") as runtime:
        async with asgi_client(runtime.app, address="10.0.0.7") as browser:
            for text in ("hi", "my vpn drops", "since this morning"):
                assert (await say(browser, "flood", text)).status_code == 200
            refused = await say(browser, "flood", "one message too many")
            assert refused.status_code == 429
            assert error_of(refused) == {
                "code": "rate_limited",
                "message": f"too many messages from this chat; send again in {refused.headers['Retry-After']} s",
            }
            assert 55 <= int(refused.headers["Retry-After"]) <= 60
            upload = await browser.post(
                "/webhooks/rest/upload",
                data={"sender": "flood", "message": ""},
                files={"file": ("log.txt", b"error 42", "text/plain")},
            )
            assert upload.status_code == 429  # a file is a message too
            assert (await say(browser, "someone-else", "hi")).status_code == 200  # only that chat's
        taken = await texts_in(runtime)
        assert "since this morning" in taken and "one message too many" not in taken


async def test_a_message_refused_counts_against_no_limit(
    db_url: str, clock: Clock, nlu_engine: EmbeddedEngine
) -> None:
    async with web(db_url, clock, nlu_engine, sender_limit="2/minute", address_limit="4/minute") as runtime:
        async with asgi_client(runtime.app, address="10.0.0.8") as office:
            assert [(await say(office, "ann", t)).status_code for t in ("hi", "hello", "hey")] == [
                200,
                200,
                429,
            ]
            # Ann's refused third did not use up the office's room: Bob still has two.
            assert [(await say(office, "bob", t)).status_code for t in ("hi", "hello")] == [200, 200]
            refused = await say(office, "carol", "hi")
            assert refused.status_code == 429
            assert error_of(refused)["message"].startswith("too many messages from your network")
        async with asgi_client(runtime.app, address="10.9.9.9") as elsewhere:
            assert (await say(elsewhere, "carol", "hi")).status_code == 200  # another address


async def test_room_comes_back_as_the_window_moves_on() -> None:
    throttle, key = Throttle(), ("rest-sender", "quick")
    windows = limit("2/second")
    assert [await throttle.wait((windows, key)) for _ in range(2)] == [None, None]
    refused = await throttle.wait((windows, key))
    assert refused is not None and refused.seconds == 1
    await asyncio.sleep(1.1)
    assert await throttle.wait((windows, key)) is None


async def test_without_limits_nothing_is_refused(
    db_url: str, clock: Clock, nlu_engine: EmbeddedEngine
) -> None:
    async with (
        web(db_url, clock, nlu_engine, sender_limit="", address_limit="") as runtime,
        asgi_client(runtime.app, address="10.0.0.10") as browser,
    ):
        codes = [(await say(browser, "chatty", f"message {n}")).status_code for n in range(12)]
    assert codes == [200] * 12


def test_limits_are_checked_when_the_configuration_is_read(db_url: str) -> None:
    channels = base_config()["channels"]
    channels["rest"] = {"sender_limit": "lots per minute"}
    with pytest.raises(ValidationError, match="is not a rate limit such as '30/minute'"):
        make_settings(db_url, channels=channels)
    channels["rest"] = {}
    channels["email"] = {**channels["email"], "sender_limit": "10/fortnight"}
    with pytest.raises(ValidationError, match="sender_limit"):
        make_settings(db_url, channels=channels)
    channels["email"]["sender_limit"] = "5/minute;50/day"
    settings = make_settings(db_url, channels=channels)
    assert [str(w) for w in limit(settings.channels.email.sender_limit)] == ["5 per 1 minute", "50 per 1 day"]
    assert settings.channels.rest.sender_limit == "30/minute;300/hour"  # the default


async def test_an_unknown_store_is_a_configuration_error(
    db_url: str, clock: Clock, nlu_engine: EmbeddedEngine
) -> None:
    channels = base_config()["channels"]
    channels["limits_storage"] = "carrier-pigeon://loft"
    settings = make_settings(db_url, channels=channels)
    with pytest.raises(
        ConfigError, match=re.escape("channels.limits_storage 'carrier-pigeon://loft' cannot be used")
    ):
        build_runtime(settings, understanding=Understanding(settings.nlu, engine=nlu_engine))


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not _redis_up():
        if IN_CI:
            pytest.fail("Redis is required in CI at 127.0.0.1:6379 (the shared rate-limit store)")
        pytest.skip("Redis unreachable at 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/0"


async def test_processes_sharing_redis_share_the_counts(redis_url: str) -> None:
    first, second = Throttle(redis_url), Throttle(redis_url)  # two processes of one desk
    try:
        windows = limit("3/minute")
        key = ("rest-sender", f"test-{uuid.uuid4().hex}")  # Redis outlives the test run
        assert [await t.wait((windows, key)) for t in (first, second, first)] == [None, None, None]
        refused = await second.wait((windows, key))
        assert refused is not None and refused.key == key and 55 <= refused.seconds <= 60
        alone = Throttle()  # a process counting in its own memory sees none of it
        assert await alone.wait((windows, key)) is None
    finally:
        first.close()
        second.close()


async def test_a_store_that_is_away_lets_messages_through_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    throttle = Throttle(f"redis://127.0.0.1:{port}/0")
    windows = limit("1/minute")
    with caplog.at_level(logging.WARNING, logger="channels.throttle"):
        results = [await throttle.wait((windows, ("rest-sender", "anyone"))) for _ in range(3)]
    throttle.close()
    assert results == [None, None, None]
    told = [r.getMessage() for r in caplog.records if r.name == "channels.throttle"]
    assert len(told) == 1 and "messages are not limited" in told[0], told


async def test_a_malformed_email_or_phone_in_the_metadata_is_a_422_not_an_apology(
    db_url: str, clock: Clock, nlu_engine: EmbeddedEngine
) -> None:
    # A typo in an integrator's metadata got "Sorry, something went wrong" and a stack trace.
    async with (
        web(db_url, clock, nlu_engine) as runtime,
        asgi_client(runtime.app, address="10.0.0.11") as client,
    ):
        for meta, said in (
            ({"email": "not-an-email"}, "metadata.email: 'not-an-email' is not an e-mail address"),
            ({"phone": "12"}, "metadata.phone: '12' is not a phone number"),
        ):
            answer = await client.post(
                "/webhooks/rest/webhook", json={"sender": "ann", "message": "hi", "metadata": meta}
            )
            assert (answer.status_code, error_of(answer)) == (422, {"code": "invalid", "message": said})
        # A body that is not JSON was "8: JSON decode error": the 8 was where it went wrong.
        broken = await client.post(
            "/webhooks/rest/webhook",
            content=b'{"sender": "ann",',
            headers={"Content-Type": "application/json"},
        )
        assert (broken.status_code, error_of(broken)) == (
            422,
            {
                "code": "invalid",
                "message": "the body is not JSON: Expecting property name enclosed in double quotes"
                " (at character 17)",
            },
        )
        fine = {"email": "Ann.Lee@Corp.Example", "phone": "+86 138 0013 8000"}
        answer = await client.post(
            "/webhooks/rest/webhook", json={"sender": "ann", "message": "hi", "metadata": fine}
        )
        assert answer.status_code == 200 and "something went wrong" not in answer.text


async def test_an_empty_file_is_answered_with_what_became_of_it_with_the_bot_or_in_line(
    db_url: str, clock: Clock, nlu_engine: EmbeddedEngine
) -> None:
    async def upload(client: httpx.AsyncClient) -> str:
        answer = await client.post(
            "/webhooks/rest/upload",
            data={"sender": "ann", "message": ""},
            files={"file": ("crash.png", b"", "image/png")},
        )
        assert answer.status_code == 200, answer.text
        return "\n".join(r["text"] for r in answer.json())

    async with (
        web(db_url, clock, nlu_engine) as runtime,
        asgi_client(runtime.app, address="10.0.0.12") as client,
    ):
        said = await upload(client)
        assert "crash.png came through empty, so I could not keep it." in said and "went wrong" not in said
        await say(client, "ann", "转人工")  # in line for a person: the bot is quiet, the note is not
        said = await upload(client)
        assert said.startswith("crash.png 是空文件，没有保存") and "went wrong" not in said

"""Telegram through the real python-telegram-bot against a local fake Bot API, on both databases:
the secret header, Telegram's own example updates, retries, buttons, files and delivery errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bots.wiring import Runtime, build_runtime
from channels.base import Address, Button, DeliveryError, Outbound
from channels.base import Attachment as File
from channels.telegram import TelegramChannel, _chunks, file_url
from desk.attachments import store_attachment
from desk.chinese import to_simplified, to_traditional
from desk.context import Actor, Desk
from desk.models import Attachment, Message, OutboxItem
from desk.outbox import deliver_due
from desk.tickets import add_comment, get_ticket
from nlu import EmbeddedEngine
from tests.channels.conftest import asgi_client, channel_runtime
from tests.conftest import Clock, base_config, make_settings
from tests.fakes.platforms import FakeTelegram, serve_fake

EXAMPLES = Path(__file__).parent.parent / "fixtures" / "channels" / "telegram-official-webhook-examples"
SECRET = "s3cret-webhook-token"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serve_fake(FakeTelegram()) as running:
        yield running


@pytest.fixture
async def tg(
    db_url: str, clock: Clock, fake: FakeTelegram, nlu_engine: EmbeddedEngine
) -> AsyncIterator[Runtime]:
    config = {"token": fake.token, "secret_token": SECRET, "base_url": fake.base_url}
    async with channel_runtime(db_url, clock, nlu_engine, "telegram", config) as runtime:
        yield runtime


@pytest.fixture
async def web(tg: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(tg.app) as c:
        yield c


def update(update_id: int, text: str, chat: int = 1111111, language: str = "zh-hans") -> dict[str, Any]:
    user = {"id": chat, "first_name": "Wei", "last_name": "Wang", "language_code": language}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1441645532,
            "chat": {"id": chat, "type": "private"},
            "from": user,
            "text": text,
        },
    }


async def transcript(desk: Desk) -> list[tuple[str, str]]:
    async with desk.session() as s:
        rows = await s.scalars(select(Message).where(Message.channel == "telegram").order_by(Message.id))
        return [(m.direction, m.text) for m in rows]


async def test_the_secret_header_is_required_and_bodies_must_be_updates(web: httpx.AsyncClient) -> None:
    body = update(1, "hello")
    assert (await web.post("/telegram/webhook", json=body)).status_code == 401
    bad = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    r = await web.post("/telegram/webhook", json=body, headers=bad)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = await web.post(
        "/telegram/webhook", content=b"{not json", headers={**HEADERS, "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and "Traceback" not in r.text
    assert (await web.post("/telegram/webhook", json=[1, 2], headers=HEADERS)).status_code == 400
    assert (await web.post("/telegram/webhook", json={"message": {}}, headers=HEADERS)).status_code == 400


async def test_a_chinese_message_is_answered_on_telegram_with_buttons_once(
    web: httpx.AsyncClient, tg: Runtime, fake: FakeTelegram
) -> None:
    r = await web.post("/telegram/webhook", json=update(7, "你好"), headers=HEADERS)
    assert r.status_code == 200
    assert (
        await web.post("/telegram/webhook", json=update(7, "你好"), headers=HEADERS)
    ).status_code == 200  # retry
    assert await deliver_due(tg.desk, tg.registry) == 2  # greeting and help, once
    sent = fake.sent()
    assert [m["chat_id"] for m in sent] == [1111111, 1111111]
    assert "王" in sent[0]["text"] or "Wei" in sent[0]["text"] or "您好" in sent[0]["text"]
    keyboard = sent[1]["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["text"] == "报告问题"
    payload = keyboard[3][0]["callback_data"]  # "talk to a person"
    click = {"update_id": 8, "callback_query": {"id": "cb1", "from": {"id": 1111111, "first_name": "Wei"},
             "chat_instance": "x", "data": payload,
             "message": {"message_id": 501, "date": 1441645532, "chat": {"id": 1111111, "type": "private"}}}}  # fmt: skip
    assert (await web.post("/telegram/webhook", json=click, headers=HEADERS)).status_code == 200
    assert ("answerCallbackQuery", {"callback_query_id": "cb1"}) in fake.calls
    await deliver_due(tg.desk, tg.registry)
    assert "INC-1" in fake.sent()[-1]["text"]
    directions = [d for d, _ in await transcript(tg.desk)]
    assert directions.count("in") == 2  # the retried update was recorded once


async def test_the_apps_language_stands_in_only_where_the_words_do_not_tell(
    web: httpx.AsyncClient, tg: Runtime, fake: FakeTelegram
) -> None:
    """Telegram's ``language_code`` is the app's: a Taiwanese user's "hi" is answered in Traditional
    characters, while an English app's user who writes Chinese is answered in Chinese."""
    await web.post("/telegram/webhook", json=update(30, "hi", chat=2222, language="zh-hant"), headers=HEADERS)
    await web.post(
        "/telegram/webhook", json=update(31, "VPN连不上", chat=3333, language="en"), headers=HEADERS
    )
    await deliver_due(tg.desk, tg.registry)
    said = {chat: [m["text"] for m in fake.sent() if m["chat_id"] == chat] for chat in (2222, 3333)}
    traditional, simplified = said[2222][0], said[3333][0]
    assert "您好" in traditional and to_simplified(traditional) != traditional, said
    assert "这些文章" in simplified and to_traditional(simplified) != simplified, said  # the KB first


async def test_an_agents_ticket_comment_with_a_screenshot_reaches_the_telegram_user(
    web: httpx.AsyncClient, tg: Runtime, fake: FakeTelegram
) -> None:
    await web.post("/telegram/webhook", json=update(20, "转人工"), headers=HEADERS)
    await deliver_due(tg.desk, tg.registry)
    shot = b"\x89PNG\r\n\x1a\n where to click"
    async with tg.desk.session() as s:
        upload = await store_attachment(s, tg.desk, shot, "设置.png")
        ticket = await get_ticket(s, "INC-1")
        await add_comment(s, tg.desk, Actor("agent", None, "Li Wei"), ticket, "请按图操作", files=[upload])
    fake.calls.clear()
    assert await deliver_due(tg.desk, tg.registry) == 1
    sent = [(m, p) for m, p in fake.calls if m.startswith("send")]
    assert [m for m, _ in sent] == ["sendMessage", "sendPhoto"]
    assert "请按图操作" in sent[0][1]["text"]
    assert sent[1][1]["photo"] == {"filename": "设置.png", "data": shot}


async def test_a_retry_after_a_flood_limit_sends_only_what_did_not_arrive(
    web: httpx.AsyncClient, tg: Runtime, fake: FakeTelegram, clock: Clock
) -> None:
    # The text and the picture arrived, the document hit the flood limit: the retry used to
    # send the text and the picture again.
    await web.post("/telegram/webhook", json=update(21, "转人工"), headers=HEADERS)
    await deliver_due(tg.desk, tg.registry)
    async with tg.desk.session() as s:
        shot = await store_attachment(s, tg.desk, b"\x89PNG\r\n\x1a\n screen", "屏幕.png")
        guide = await store_attachment(s, tg.desk, b"%PDF-1.4 steps", "steps.pdf")
        ticket = await get_ticket(s, "INC-1")
        await add_comment(
            s, tg.desk, Actor("agent", None, "Li Wei"), ticket, "按步骤操作", files=[shot, guide]
        )
    fake.calls.clear()
    fake.fail_on, fake.fail_times = "sendDocument", 1
    fake.fail_with = (429, "Too Many Requests: retry after 5", {"retry_after": 5})
    assert await deliver_due(tg.desk, tg.registry) == 0
    first = [m for m, _ in fake.calls if m.startswith("send")]
    assert first == ["sendMessage", "sendPhoto", "sendDocument"]
    text_id = str(fake._next_id - 1)  # the text's; the picture's is the last one given
    clock.advance(seconds=60)
    fake.calls.clear()
    assert await deliver_due(tg.desk, tg.registry) == 1
    assert [(m, p["document"]["filename"]) for m, p in fake.calls] == [("sendDocument", "steps.pdf")]
    async with tg.desk.session() as s:
        row = await s.scalar(select(OutboxItem).order_by(OutboxItem.id.desc()))
        assert (row.status, row.attempts, row.external_id) == ("sent", 2, text_id)


EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.json"))
assert len(EXAMPLE_FILES) == 13, f"Telegram's example updates are missing from {EXAMPLES}"


@pytest.mark.parametrize("example", EXAMPLE_FILES)
async def test_telegrams_own_example_updates_are_accepted(
    web: httpx.AsyncClient, tg: Runtime, example: str
) -> None:
    body = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    r = await web.post("/telegram/webhook", json=body, headers=HEADERS)
    assert r.status_code == 200, r.text
    ins = [t for d, t in await transcript(tg.desk) if d == "in"]
    acted = "message" in body or "callback_query" in body
    if example.startswith(("06", "11", "12")):  # edited message, inline query, chosen result
        assert ins == []
    elif (acted and body.get("message", {}).get("text")) or "callback_query" in body:
        assert len(ins) == 1


async def test_a_document_is_downloaded_and_kept(web: httpx.AsyncClient, tg: Runtime) -> None:
    body = json.loads((EXAMPLES / "10_message_with_document.json").read_text(encoding="utf-8"))
    assert (await web.post("/telegram/webhook", json=body, headers=HEADERS)).status_code == 200
    async with tg.desk.session() as s:
        files = list(await s.scalars(select(Attachment)))
        assert [(f.filename, f.content_type) for f in files] == [("Testfile.pdf", "application/pdf")]
        assert await s.scalar(select(func.count(Message.id)).where(Message.direction == "in")) == 1


async def test_delivery_errors_are_permanent_or_retried(fake: FakeTelegram) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = TelegramChannel(fake.token, nobody, secret_token=SECRET, base_url=fake.base_url)
    try:
        to = Address("telegram", "1111111")
        fake.fail_with = (403, "Forbidden: bot was blocked by the user", {})
        with pytest.raises(DeliveryError) as blocked:
            await channel.send(to, Outbound("hi"))
        assert blocked.value.permanent
        fake.fail_with = (429, "Too Many Requests: retry after 3", {"retry_after": 3})
        with pytest.raises(DeliveryError) as flood:
            await channel.send(to, Outbound("hi"))
        assert not flood.value.permanent and flood.value.retry_after == 3.0
        fake.fail_with = None
        long_payload = "/category " + "x" * 80
        ident = await channel.send(
            to, Outbound("a" * 5000, (Button("Yes", "/yes"), Button("Other", long_payload)))
        )
        parts = fake.sent()[-2:]
        assert ident is not None and [len(p["text"]) for p in parts] == [4096, 904 + len("\n2. Other")]
        assert parts[0].get("reply_markup") is None
        assert parts[1]["reply_markup"]["inline_keyboard"] == [[{"text": "Yes", "callback_data": "/yes"}]]
    finally:
        await channel.close()


async def test_files_go_as_photos_or_documents_after_the_text(fake: FakeTelegram) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = TelegramChannel(fake.token, nobody, secret_token=SECRET, base_url=fake.base_url)
    photo = File("屏幕.png", "image/png", b"\x89PNG\r\n\x1a\n picture")
    guide = File("guide.pdf", "application/pdf", b"%PDF-1.4 guide")
    try:
        to = Address("telegram", "1111111")
        ident = await channel.send(to, Outbound("Follow these steps", attachments=(photo, guide)))
        methods = [m for m, _ in fake.calls if m.startswith("send")]
        assert methods == ["sendMessage", "sendPhoto", "sendDocument"]
        sent = {m: p for m, p in fake.calls if m.startswith("send")}
        assert ident == str(fake._next_id - 2)  # the text's id
        assert sent["sendPhoto"]["photo"] == {"filename": "屏幕.png", "data": photo.data}
        assert sent["sendDocument"]["document"] == {"filename": "guide.pdf", "data": guide.data}
        assert str(sent["sendPhoto"]["chat_id"]) == "1111111"
        fake.calls.clear()
        await channel.send(to, Outbound("", attachments=(guide,)))  # a file alone: no empty text
        assert [m for m, _ in fake.calls if m.startswith("send")] == ["sendDocument"]
    finally:
        await channel.close()


def test_file_url_and_chunks() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:9/bot") == "http://127.0.0.1:9/file/bot"
    text = "line\n" * 2000
    parts = _chunks(text)
    assert all(len(p) <= 4096 for p in parts) and "".join(p + "\n" for p in parts).count("line") == 2000


def test_the_channel_is_off_without_a_secret(tmp_path: Path) -> None:
    channels = base_config()["channels"]
    channels["telegram"] = {"token": "1:x", "secret_token": None}
    runtime = build_runtime(make_settings(f"sqlite:///{tmp_path}/x.db", channels=channels))
    assert "telegram" in runtime.registry.off and not runtime.registry.handles("telegram")

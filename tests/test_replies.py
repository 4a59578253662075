"""Saved replies on both databases: any agent reads them, supervisors keep them, input is checked."""

from __future__ import annotations

import httpx
import pytest

from desk import replies
from desk.context import Desk
from desk.errors import Conflict
from desk.seed import seed_demo
from tests.test_api import create, error_of


async def test_agents_find_the_demo_replies_in_their_language_first(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    h = {"Authorization": tokens["agent"]}
    listed = (await client.get("/api/v1/replies", params={"q": "/vp", "lang": "zh"}, headers=h)).json()
    assert [(r["shortcut"], r["language"]) for r in listed["items"]] == [("vpn", "zh"), ("vpn", "en")]
    assert listed["placeholders"] == ["name", "ref", "agent"]
    by_words = (await client.get("/api/v1/replies", params={"q": "SCREENSHOT of"}, headers=h)).json()
    assert [(r["shortcut"], r["language"]) for r in by_words["items"]] == [("screenshot", "en")]
    everything = (await client.get("/api/v1/replies", headers=h)).json()["items"]
    assert len(everything) == 10 and {r["language"] for r in everything} == {"en", "zh"}
    odd = (await client.get("/api/v1/replies", params={"q": "100%_"}, headers=h)).json()["items"]
    assert odd == []  # LIKE wildcards are plain characters


async def test_supervisors_keep_them_and_agents_may_not(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    made = await client.post(
        "/api/v1/replies",
        json={
            "shortcut": "/Printer-Reset",
            "language": "en",
            "text": " Hi {name}, I reset the queue for {ref}. ",
        },
        headers={"Authorization": tokens["supervisor"]},
    )
    assert made.status_code == 201, made.text
    reply = made.json()
    assert (reply["shortcut"], reply["text"]) == ("printer-reset", "Hi {name}, I reset the queue for {ref}.")
    refused = await client.post(
        "/api/v1/replies",
        json={"shortcut": "mine", "language": "en", "text": "hello"},
        headers={"Authorization": tokens["agent"]},
    )
    assert refused.status_code == 403
    admin = {"Authorization": tokens["admin"]}
    changed = await client.put(f"/api/v1/replies/{reply['id']}", json={"language": "zh"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["language"] == "zh"
    assert changed.json()["text"] == reply["text"]  # what was not given stays
    assert (await client.delete(f"/api/v1/replies/{reply['id']}", headers=admin)).status_code == 204
    gone = await client.put(f"/api/v1/replies/{reply['id']}", json={"text": "x"}, headers=admin)
    assert gone.status_code == 404 and error_of(gone)["code"] == "not_found"
    assert (await client.get("/api/v1/replies")).status_code == 401


async def test_bad_replies_get_a_clear_error(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    h = {"Authorization": tokens["supervisor"]}
    cases = [
        ({"shortcut": "two words", "language": "en", "text": "x"}, 422, "invalid_shortcut"),
        ({"shortcut": "", "language": "en", "text": "x"}, 422, "invalid_shortcut"),
        ({"shortcut": "ok", "language": "fr", "text": "x"}, 422, "invalid_language"),
        ({"shortcut": "ok", "language": "en", "text": "   "}, 422, "invalid_text"),
        ({"shortcut": "ok", "language": "en", "text": "Dear {customer}"}, 422, "invalid_placeholder"),
        ({"shortcut": "vpn", "language": "en", "text": "again"}, 409, "duplicate_shortcut"),
    ]
    for body, status, code in cases:
        answer = await client.post("/api/v1/replies", json=body, headers=h)
        assert (answer.status_code, error_of(answer)["code"]) == (status, code), body
    vpn_zh = next(
        r for r in (await client.get("/api/v1/replies", params={"q": "vpn"}, headers=h)).json()["items"]
        if r["language"] == "zh"
    )  # fmt: skip
    clash = await client.put(f"/api/v1/replies/{vpn_zh['id']}", json={"language": "en"}, headers=h)
    assert clash.status_code == 409 and error_of(clash)["code"] == "duplicate_shortcut"


async def test_the_demo_seed_adds_replies_once(seeded: Desk) -> None:
    async with seeded.session() as session:
        again = await seed_demo(session, seeded)
    assert again.replies == 0 and "0 saved replies" in str(again)


async def test_two_supervisors_saving_one_shortcut_at_once_get_a_409_not_a_500(seeded: Desk) -> None:
    # No check ahead of the insert could see the other's uncommitted row: the unique constraint decides.
    async with seeded.session() as session:
        with pytest.raises(Conflict) as clash:
            await replies.create_reply(session, seeded, None, shortcut="vpn", language="en", text="again")
        assert clash.value.code == "duplicate_shortcut"
        # The session is still usable: the failed insert was rolled back to its savepoint.
        made = await replies.create_reply(session, seeded, None, shortcut="vpn2", language="en", text="ok")
        assert made.id is not None


async def test_for_a_conversation_or_a_ticket_each_reply_comes_filled_in(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    h = {"Authorization": tokens["agent"]}
    said = await client.post(
        "/webhooks/rest/webhook",
        json={"sender": "web-wang", "message": "我的电脑开不了机，转人工", "metadata": {"name": "王芳"}},
    )
    assert said.status_code == 200
    [waiting] = (await client.get("/api/v1/conversations?mode=queued", headers=h)).json()["items"]
    ref = waiting["ticket"]
    listed = await client.get("/api/v1/replies", params={"conversation": waiting["id"], "q": "hi"}, headers=h)
    first = listed.json()["items"][0]  # the conversation is in Chinese: the Chinese one first
    assert (first["language"], first["filled"]) == (
        "zh",
        f"王芳您好，我是服务台的Test agent，正在处理您的工单 {ref}。",
    )
    assert first["text"].startswith("{name}您好")

    ticket = await create(client, tokens["agent"])  # for Ann Lee
    listed = await client.get("/api/v1/replies", params={"ticket": ticket["ref"], "q": "hi"}, headers=h)
    first = listed.json()["items"][0]
    assert (
        first["filled"]
        == f"Hi Ann, this is Test agent from the service desk. I'm looking at {ticket['ref']} now."
    )
    plain = (await client.get("/api/v1/replies", params={"q": "hi"}, headers=h)).json()["items"]
    assert "filled" not in plain[0]

    missing = await client.get("/api/v1/replies", params={"conversation": 999999}, headers=h)
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    both = await client.get("/api/v1/replies", params={"conversation": 1, "ticket": ref}, headers=h)
    assert both.status_code == 422 and error_of(both)["code"] == "invalid_query"


def test_placeholders_are_filled_and_names_shortened_as_people_greet() -> None:
    filling = replies.Filling(name=replies.first_name(" Ann  Lee "), ref="INC-7", agent="Tom Baker")
    assert (
        replies.fill("Hi {name}, {agent} on {ref}. {other}", filling) == "Hi Ann, Tom Baker on INC-7. {other}"
    )
    assert replies.first_name("王芳") == "王芳" and replies.first_name(None) == ""
    # Nothing to fill it with: it stays, for the agent to see, and is reported.
    no_ticket = replies.fill("I'm on {ref} for you, {name}.", replies.Filling(name="Ann", agent="Tom"))
    assert no_ticket == "I'm on {ref} for you, Ann." and replies.unfilled(no_ticket) == ["{ref}"]
    assert replies.fill("{language}", replies.Filling(language="en")) == "{language}"  # not a placeholder

"""During an outage, reporters of its category are asked whether it is the known issue."""

from __future__ import annotations

import httpx
import pytest

from desk.context import Desk
from tests.bots.conftest import LANGS, Chat, t, ticket

SAID = {
    "en": {
        "mail": "outlook says disconnected and no new mail",
        "yes": "yes",
        "no": "no",
        "printer": "printer is offline",
    },
    "zh": {
        "mail": "outlook显示已断开，收不到新邮件",
        "yes": "是的",
        "no": "不是",
        "printer": "打印机显示脱机了",
    },
}


async def _known_issue(client: httpx.AsyncClient, tokens: dict[str, str], category: str = "email") -> str:
    body = {"subject": "Exchange is down", "category": category, "known_issue": True}
    made = await client.post("/api/v1/problems", json=body, headers={"Authorization": tokens["agent"]})
    assert made.status_code == 201 and made.json()["known_issue"] is True, made.text
    return str(made.json()["ref"])


@pytest.mark.parametrize("lang", LANGS)
async def test_a_reporter_who_has_the_known_issue_is_filed_under_it_and_hears_of_its_fix(
    users: dict[str, Chat], client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    problem = await _known_issue(client, tokens)
    await chat.say(SAID[lang]["mail"])
    assert chat.text == t(lang, "known.offer", ref=problem, subject="Exchange is down")
    assert chat.payloads == [f"/known {problem}", "/not_known"]  # before the articles and questions
    await chat.say(SAID[lang]["yes"])
    assert chat.text == t(lang, "known.linked", ticket="INC-1", ref=problem)
    incident = await ticket(seeded, "INC-1")
    assert (incident.problem_id, incident.category_path, incident.status) == (
        (await ticket(seeded, problem)).id,
        "email",
        "new",
    )
    assert incident.description == SAID[lang]["mail"]
    await client.post(
        f"/api/v1/tickets/{problem}/resolve",
        json={"solution": "Exchange is back"},
        headers={"Authorization": tokens["agent"]},
    )
    [told] = await chat.fetch()
    assert "INC-1" in told["text"] and "Exchange is back" in told["text"]


@pytest.mark.parametrize("lang", LANGS)
async def test_a_reporter_with_another_problem_goes_on_as_usual(
    users: dict[str, Chat], client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk, lang: str
) -> None:
    chat = users[lang]
    await _known_issue(client, tokens)
    await chat.say(SAID[lang]["mail"])
    await chat.say(SAID[lang]["no"])
    assert t(lang, "kb.intro") in chat.text  # the articles, as without a known issue
    await chat.say("/not_solved")
    assert chat.text == t(lang, "ask.urgency")  # and the questions, asked once
    await chat.say("/urgency high")
    assert "INC-1" in chat.text
    assert (await ticket(seeded, "INC-1")).problem_id is None


async def test_only_an_open_known_issue_of_the_reports_category_is_offered(
    users: dict[str, Chat], client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    chat, h = users["en"], {"Authorization": tokens["agent"]}
    problem = await _known_issue(client, tokens)
    await chat.say(SAID["en"]["printer"])
    assert t("en", "kb.intro") in chat.text  # a printer is not e-mail
    await chat.say("never mind")
    quiet = await client.post(
        "/api/v1/problems", json={"subject": "Mail queue", "category": "email"}, headers=h
    )
    await client.patch(f"/api/v1/tickets/{problem}", json={"known_issue": False}, headers=h)
    await chat.say(SAID["en"]["mail"])
    assert "/not_known" not in chat.payloads  # a problem nobody marked is the desk's own business
    await chat.say("never mind")
    await client.patch(f"/api/v1/tickets/{quiet.json()['ref']}", json={"known_issue": True}, headers=h)
    await client.patch(f"/api/v1/tickets/{quiet.json()['ref']}", json={"status": "cancelled"}, headers=h)
    await chat.say(SAID["en"]["mail"])
    assert "/not_known" not in chat.payloads


async def test_a_known_issue_fixed_before_the_answer_leaves_the_report_to_go_on(
    users: dict[str, Chat], client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk
) -> None:
    chat = users["en"]
    problem = await _known_issue(client, tokens)
    await chat.say(SAID["en"]["mail"])
    await client.post(
        f"/api/v1/tickets/{problem}/resolve",
        json={"solution": "fixed"},
        headers={"Authorization": tokens["agent"]},
    )
    await chat.say(f"/known {problem}")
    assert t("en", "kb.intro") in chat.text  # nothing to join: the articles, as for any report


async def test_only_a_problem_is_a_known_issue(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    h = {"Authorization": tokens["agent"]}
    problem = await _known_issue(client, tokens)
    body = {"subject": "No mail", "description": "since 9", "requester": {"email": "ann@corp.example"}}
    incident = (await client.post("/api/v1/tickets", json=body, headers=h)).json()["ref"]
    wrong = await client.patch(f"/api/v1/tickets/{incident}", json={"known_issue": True}, headers=h)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "not_a_problem"
    off = await client.patch(f"/api/v1/tickets/{problem}", json={"known_issue": False}, headers=h)
    assert off.json()["known_issue"] is False
    change = off.json()["events"][-1]
    assert (change["field"], change["before"], change["after"]) == ("known_issue", "True", "False")


@pytest.mark.parametrize(
    ("lang", "more"),
    [
        ("en", "it started at 9 when I came in, and webmail doesn't load either"),
        ("zh", "早上九点开始的，网页版邮箱也打不开"),
    ],
)
async def test_more_words_at_the_known_issue_question_join_the_report(
    users: dict[str, Chat],
    client: httpx.AsyncClient,
    tokens: dict[str, str],
    seeded: Desk,
    lang: str,
    more: str,
) -> None:
    chat = users[lang]
    problem = await _known_issue(client, tokens)
    await chat.say(SAID[lang]["mail"])
    await chat.say(more)  # neither yes nor no: it began a new report, without the first words
    assert chat.payloads == [f"/known {problem}", "/not_known"], chat.replies
    await chat.say(SAID[lang]["yes"])
    incident = await ticket(seeded, "INC-1")
    assert SAID[lang]["mail"] in incident.description and more in incident.description


ASKS_OUTAGE = {"en": "is there an outage right now?", "zh": "系统是不是出故障了？"}


@pytest.mark.parametrize("lang", LANGS)
async def test_asking_after_an_outage_naming_no_area_is_offered_every_known_issue(
    users: dict[str, Chat], client: httpx.AsyncClient, tokens: dict[str, str], seeded: Desk, lang: str
) -> None:
    # "is there an outage right now?" was asked "which area is it about?", and the outage it
    # asked after came only once an area was chosen (2026-12-07).
    chat = users[lang]
    mail = await _known_issue(client, tokens)
    await chat.say(ASKS_OUTAGE[lang])
    assert chat.text == t(lang, "known.offer", ref=mail, subject="Exchange is down"), chat.replies
    printers = await _known_issue(client, tokens, "printer")
    other = users["zh" if lang == "en" else "en"]
    await other.say(ASKS_OUTAGE["zh" if lang == "en" else "en"])
    assert other.text == t("zh" if lang == "en" else "en", "known.offer_some")
    assert other.payloads == [f"/known {printers}", f"/known {mail}", "/not_known"]  # the latest first
    # A yes files the report under it, in its area.
    await chat.say("/known " + mail)
    assert chat.text == t(lang, "known.linked", ticket="INC-1", ref=mail)
    incident = await ticket(seeded, "INC-1")
    assert (incident.problem_id, incident.category_path) == ((await ticket(seeded, mail)).id, "email")


@pytest.mark.parametrize("lang", LANGS)
async def test_asking_after_an_outage_when_there_is_none_is_told_so_and_asked_what_is_wrong(
    users: dict[str, Chat], lang: str
) -> None:
    chat = users[lang]
    await chat.say(ASKS_OUTAGE[lang])
    assert [r["text"] for r in chat.replies] == [t(lang, "known.none"), t(lang, "ask.category")]
    await chat.say("/category printer")  # the report goes on
    assert t(lang, "known.none") not in chat.text

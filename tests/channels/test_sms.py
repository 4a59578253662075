"""SMS through the real twilio library against a local fake Twilio, on both databases: signatures
(Twilio's own vectors), TwiML, retries, numbered options, a bare "4" rating, MMS and errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bots.wiring import Runtime
from channels.base import Address, Button, DeliveryError, Outbound
from channels.base import Attachment as File
from channels.sms import SmsChannel, sms_text
from desk.context import Actor
from desk.models import Attachment, Message
from desk.outbox import deliver_due
from desk.tickets import get_ticket, resolve_ticket
from nlu import EmbeddedEngine
from tests.channels.conftest import asgi_client, channel_runtime
from tests.conftest import Clock
from tests.fakes.platforms import FakeTwilio, serve_fake

FIXTURES = Path(__file__).parent.parent / "fixtures" / "channels"
VECTORS = json.loads(
    (FIXTURES / "twilio-signature" / "twilio_request_validator_vectors.json").read_text(encoding="utf-8")
)
PUBLIC = "https://desk.example.com"
PHONE = "+8613800138000"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with serve_fake(FakeTwilio()) as running:
        yield running


@pytest.fixture
async def sms(
    db_url: str, clock: Clock, fake: FakeTwilio, nlu_engine: EmbeddedEngine
) -> AsyncIterator[Runtime]:
    config = {"account_sid": fake.account_sid, "auth_token": fake.auth_token,
              "from_number": "+15005550006", "base_url": fake.base_url}  # fmt: skip
    async with channel_runtime(db_url, clock, nlu_engine, "sms", config, public_url=PUBLIC) as runtime:
        yield runtime


@pytest.fixture
async def web(sms: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(sms.app, "http://10.0.0.5:8000") as c:
        yield c


class Phone:
    """Someone texting the desk: signs each webhook as Twilio would."""

    def __init__(self, web: httpx.AsyncClient, fake: FakeTwilio, runtime: Runtime) -> None:
        self.web, self.fake, self.runtime, self.n = web, fake, runtime, 0
        self.validator = RequestValidator(fake.auth_token)

    async def text(
        self, body: str, *, sid: str | None = None, extra: dict[str, str] | None = None
    ) -> httpx.Response:
        self.n += 1
        form = {"MessageSid": sid or f"SM{self.n:032d}", "From": PHONE, "To": "+15005550006", "Body": body,
                "NumMedia": "0", **(extra or {})}  # fmt: skip
        signature = self.validator.compute_signature(f"{PUBLIC}/sms/twilio", form)
        return await self.web.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": signature})

    async def inbox(self) -> list[str]:
        before = len(self.fake.calls)
        await deliver_due(self.runtime.desk, self.runtime.registry)
        return [c["Body"] for c in self.fake.calls[before:]]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_twilios_signature_vectors(vector: dict[str, Any]) -> None:
    """The validator the webhook uses, fed the way the webhook feeds it (form data with getlist)."""
    validator = RequestValidator(VECTORS["auth_token"])
    signature = vector.get("signature") or vector["expected_signature"]
    if "body" in vector:
        params: Any = vector["body"]
    elif "params_multi" in vector:
        params = FormData([tuple(pair) for pair in vector["params_multi"]])
    else:
        params = FormData(list(vector["params"].items()))
    assert validator.validate(vector["url"], params, signature) is vector.get("expected_valid", True)


async def test_signatures_are_checked_against_the_public_url(web: httpx.AsyncClient, sms: Runtime) -> None:
    form = {"MessageSid": "SM1", "From": PHONE, "Body": "hi"}
    assert (await web.post("/sms/twilio", data=form)).status_code == 403
    # Signed for the address the request happened to reach, not the public one: refused.
    wrong = RequestValidator("twilio-auth-token").compute_signature("http://10.0.0.5:8000/sms/twilio", form)
    r = await web.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": wrong})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    good = RequestValidator("twilio-auth-token").compute_signature(f"{PUBLIC}/sms/twilio", form)
    r = await web.post("/sms/twilio", data=form, headers={"X-Twilio-Signature": good})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert r.text.endswith("<Response></Response>")
    unsigned_fields = {"Body": "hi"}
    sig = RequestValidator("twilio-auth-token").compute_signature(f"{PUBLIC}/sms/twilio", unsigned_fields)
    assert (
        await web.post("/sms/twilio", data=unsigned_fields, headers={"X-Twilio-Signature": sig})
    ).status_code == 400


async def test_a_texted_problem_becomes_a_ticket_and_a_plain_4_rates_it(
    web: httpx.AsyncClient, sms: Runtime, fake: FakeTwilio
) -> None:
    phone = Phone(web, fake, sms)
    assert (await phone.text("打印机卡纸了，一直显示脱机")).status_code == 200
    first = await phone.inbox()
    assert len(first) == 1 and "1. " in first[0] and "2. " in first[0]  # articles, then numbered options
    await phone.text("2")  # "not solved", by number
    await phone.text("3")  # urgency: "I can't work"
    texts = await phone.inbox()
    if "INC-1" not in texts[-1]:
        await phone.text("从早上开始就这样，型号是 HP M404")
        texts = await phone.inbox()
    assert "INC-1" in texts[-1]
    assert all(call["To"] == PHONE and call["From"] == "+15005550006" for call in fake.calls)
    again = await phone.text("还是不行", sid="SM-retry")  # "still not working", the ticket still open
    assert again.status_code == 200
    assert (await phone.text("还是不行", sid="SM-retry")).status_code == 200  # Twilio retries
    [added] = await phone.inbox()
    assert "INC-1" in added and "重开" not in added  # added to the open ticket, not "which to reopen?"
    async with sms.desk.session() as s:
        ins = list(await s.scalars(select(Message).where(Message.external_id == "SM-retry")))
        assert len(ins) == 1
        await resolve_ticket(
            s, sms.desk, Actor("agent", None, "Tom"), await get_ticket(s, "INC-1"), "Cleared the jam"
        )
    [resolved] = await phone.inbox()
    assert "INC-1" in resolved and resolved.endswith("1. 已解决\n2. 还没解决")
    await phone.text("1")  # "yes, it is fixed": the number picks the desk's own question's option
    closed, prompt = await phone.inbox()
    assert "INC-1" in closed and prompt.endswith("5. ⭐⭐⭐⭐⭐")
    await phone.text("4")
    await phone.inbox()
    async with sms.desk.session() as s:
        assert (await get_ticket(s, "INC-1")).csat_score == 4


async def test_a_picture_message_is_kept(web: httpx.AsyncClient, sms: Runtime, fake: FakeTwilio) -> None:
    phone = Phone(web, fake, sms)
    extra = {"NumMedia": "1", "MediaUrl0": f"{fake.base_url}/media/photo1", "MediaContentType0": "image/jpeg"}
    assert (await phone.text("screen is cracked", extra=extra)).status_code == 200
    async with sms.desk.session() as s:
        files = list(await s.scalars(select(Attachment)))
    assert [(f.filename, f.content_type) for f in files] == [("mms-1.jpeg", "image/jpeg")]


async def test_delivery_errors_and_long_texts(fake: FakeTwilio) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = SmsChannel(fake.account_sid, fake.auth_token, "+15005550006", nobody, public_url=PUBLIC,
                         base_url=fake.base_url)  # fmt: skip
    try:
        to = Address("sms", PHONE)
        fake.fail_with = (400, 21211, "Invalid 'To' Phone Number")
        with pytest.raises(DeliveryError) as bad:
            await channel.send(to, Outbound("hi"))
        assert bad.value.permanent and "21211" in str(bad.value)
        fake.fail_with = (503, 20500, "Service unavailable")
        with pytest.raises(DeliveryError) as down:
            await channel.send(to, Outbound("hi"))
        assert not down.value.permanent
        fake.fail_with = None
        sid = await channel.send(to, Outbound("x" * 2000))
        assert sid is not None and [len(c["Body"]) for c in fake.calls[-2:]] == [1600, 400]
        assert sid == f"SM{len(fake.calls) - 1:032d}"  # the first part's

        # The second part fails: the error says one went, and the retry sends only the second.
        fake.fail_with, fake.fail_after = (503, 20500, "Service unavailable"), len(fake.calls) + 1
        long = Outbound("y" * 1600 + "\n" + "z" * 100)
        with pytest.raises(DeliveryError) as half:
            await channel.send(to, long)
        assert (half.value.sent_parts, half.value.first_id) == (1, f"SM{fake.fail_after:032d}")
        fake.fail_with = None
        await channel.send(to, replace(long, sent_parts=half.value.sent_parts))
        assert [c["Body"][0] for c in fake.calls[-3:]] == ["y", "z", "z"]  # y once
    finally:
        await channel.close()


def test_options_become_numbered_lines() -> None:
    buttons = (Button("⭐", "/rate INC-1 1"), Button("⭐⭐", "/rate INC-1 2"))
    assert sms_text("How did we do?", buttons) == "How did we do?\n1. ⭐\n2. ⭐⭐"
    assert sms_text("Plain", ()) == "Plain"


async def test_files_go_as_links(fake: FakeTwilio) -> None:
    async def nobody(_inbound: Any) -> list[Outbound]:
        return []

    channel = SmsChannel(fake.account_sid, fake.auth_token, "+15005550006", nobody, public_url=PUBLIC,
                         base_url=fake.base_url)  # fmt: skip
    guide = File("vpn-指南.pdf", "application/pdf", b"%PDF", f"{PUBLIC}/files/7/tok/vpn-指南.pdf")
    unlinked = File("inner.log", "text/plain", b"x")  # no link: not offered
    try:
        await channel.send(Address("sms", PHONE), Outbound("See the guide", attachments=(guide, unlinked)))
        assert fake.calls[-1]["Body"] == f"See the guide\nvpn-指南.pdf: {PUBLIC}/files/7/tok/vpn-指南.pdf"
        await channel.send(Address("sms", PHONE), Outbound("", attachments=(guide,)))
        assert fake.calls[-1]["Body"] == f"vpn-指南.pdf: {guide.url}"
    finally:
        await channel.close()


async def test_a_text_from_a_short_code_is_answered_though_it_is_no_phone_number(
    web: httpx.AsyncClient, sms: Runtime, fake: FakeTwilio
) -> None:
    # A five-digit sender is no phone number: the message died in an exception, unanswered.
    phone = Phone(web, fake, sms)
    assert (await phone.text("hi", extra={"From": "12345"})).status_code == 200
    texts = await phone.inbox()
    assert texts and "IT service desk" in texts[0]
    assert fake.calls[-1]["To"] == "12345"


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        ("STOP", {}),
        (" unsubscribe ", {}),
        ("Cancel", {}),
        ("停止", {"OptOutType": "STOP"}),
        ("START", {"OptOutType": "START"}),
    ],
)
async def test_twilios_opt_out_words_are_twilios_to_answer(
    web: httpx.AsyncClient, sms: Runtime, fake: FakeTwilio, body: str, extra: dict[str, str]
) -> None:
    """ "STOP" got "I'm not sure what you'd like me to do", which Twilio refuses to send to
    someone who has just opted out (21610): it answers those words itself."""
    phone = Phone(web, fake, sms)
    reply = await phone.text(body, extra=extra)
    assert (
        reply.status_code == 200
        and reply.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    )
    assert await phone.inbox() == []
    async with sms.desk.session() as s:
        assert list(await s.scalars(select(Message))) == []
    await phone.text("yes")  # START's "YES" is an answer like any other without OptOutType
    await phone.text("stop the printer from jamming please")  # not the word on its own
    assert len(await phone.inbox()) == 2

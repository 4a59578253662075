"""Quote and signature stripping against other projects' expected outputs (talon's and
email-reply-parser's test suites, copied into tests/fixtures/email), HTML to text, and parsing
every malformed and legacy sample through the real SMTP server without a crash."""

from __future__ import annotations

import asyncio
import email
import json
import re
import smtplib
import time
from collections.abc import AsyncIterator
from email import policy
from email.header import Header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from channels.base import Inbound, Outbound
from channels.email import EmailChannel
from channels.email_parse import parse_mail
from channels.email_text import html_to_text, strip_reply

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"
TALON = FIXTURES / "talon"
ERP = FIXTURES / "email-reply-parser"
TALON_EXPECTED = json.loads((TALON / "expected_from_tests.json").read_text(encoding="utf-8"))
ERP_EXPECTED = json.loads((ERP / "expected_from_tests.json").read_text(encoding="utf-8"))
SAMPLES = sorted((FIXTURES / "stalwart").glob("*/*.eml"))


def _plain(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _flat(text: str) -> str:
    return " ".join(text.split())


# talon keeps signatures when it strips quotations ("Sent from my iPhone", Sparrow's); the desk
# removes them (email-reply-parser's tests want "Sent from my iPhone" gone too): "Hello" both.
SIGNATURE_KEPT_BY_TALON = {"iphone.eml", "sparrow.eml"}


@pytest.mark.parametrize(("name", "expected"), sorted(TALON_EXPECTED["standard_replies"]["cases"].items()))
def test_talons_standard_replies(name: str, expected: str) -> None:
    got = strip_reply(_plain(TALON / "standard_replies" / name))
    assert got == ("Hello" if name in SIGNATURE_KEPT_BY_TALON else expected.strip())


@pytest.mark.parametrize(
    "body", sorted((TALON / "signature" / "emails" / "stripped").glob("*_body")), ids=lambda p: p.name
)
def test_talons_signatures_go_given_the_sender(body: Path) -> None:
    name = body.name.removesuffix("_body")
    signature = (body.parent / f"{name}_signature").read_text(encoding="utf-8").strip()
    sender_name, sender_address = email.utils.parseaddr((body.parent / f"{name}_sender").read_text().strip())
    if "@" not in sender_address:
        sender_name, sender_address = (body.parent / f"{name}_sender").read_text().strip(), ""
    text = body.read_text(encoding="utf-8")
    expected = text.replace(signature, "").strip() if signature else text.strip()
    assert _flat(strip_reply(text, sender_name=sender_name, sender_address=sender_address)) == _flat(expected)


@pytest.mark.parametrize("page", sorted((TALON / "html_replies").glob("*.html")), ids=lambda p: p.name)
def test_talons_html_replies(page: Path) -> None:
    """talon expects "Hi. I am fine. Thanks, Alex": the quotation goes; the desk also drops the
    sign-off ("Thanks,\\nAlex" is mail-parser-reply's signature rule)."""
    text = html_to_text(page.read_text(encoding="utf-8", errors="replace"))
    assert _flat(TALON_EXPECTED["html_replies"]["expected_text"]).startswith(_flat(strip_reply(text)))
    assert _flat(strip_reply(text)) == "Hi. I am fine."


def test_talons_shared_block_reply() -> None:
    got = strip_reply(_plain(TALON / "reply-quotations-share-block.eml"))
    assert got and "From" not in got


def _erp_checks() -> list[tuple[str, str, Any]]:
    keys = ("parse_reply_equals", "reply_stripped_equals", "parse_reply_not_contains", "reply_contains",
            "max_seconds")  # fmt: skip
    return [(c["file"], k, c[k]) for c in ERP_EXPECTED["cases"] for k in keys if k in c]


@pytest.mark.parametrize(("file", "check", "value"), _erp_checks(), ids=lambda v: str(v)[:40])
def test_email_reply_parsers_cases(file: str, check: str, value: Any) -> None:
    text = (ERP / file).read_text(encoding="utf-8")
    started = time.perf_counter()
    got = strip_reply(text)
    took = time.perf_counter() - started
    if check in ("parse_reply_equals", "reply_stripped_equals"):
        assert got == value
    elif check == "parse_reply_not_contains":
        assert all(part not in got for part in value)
    elif check == "reply_contains":
        assert all(part in got for part in value)
    else:
        assert took < value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("好的，现在可以打印了。\n\n在 2026年11月18日 10:02，IT Service Desk <helpdesk@helpdesk.example.com> 写道：\n"
         "> 已为您创建工单 INC-3。\n", "好的，现在可以打印了。"),
        ("还是连不上。\n\n发件人: IT Service Desk <helpdesk@helpdesk.example.com>\n发送时间: 2026年11月18日 10:02\n"
         "收件人: 张伟\n主题: 回复: VPN连不上 [INC-4]\n\n已为您创建工单 INC-4。\n", "还是连不上。"),
        ("4\n\nOn Wed, Nov 18, 2026 at 10:00 AM IT Service Desk <helpdesk@helpdesk.example.com>\nwrote:\n\n"
         "> How did we do?\n> 1. ⭐\n", "4"),
        # Outlook in Chinese and QQ Mail / Foxmail open the history with a rule naming the
        # original mail; it was left at the end of the comment agents read (2026-12-07).
        ("好了，可以访问了，谢谢！\n\n-----原始邮件-----\n发件人: IT Service Desk <helpdesk@helpdesk.example.com>\n"
         "发送时间: 2026年12月8日 4:13\n收件人: zhao.lei@corp.example\n主题: Re: [INC-3] 共享盘访问不了\n\n"
         "INC-3 有新进展（Li Wei）：\n", "好了，可以访问了，谢谢！"),
        ("好了，谢谢\n\n\n------------------\xa0原始邮件\xa0------------------\n"
         "发件人: \"IT Service Desk\"<helpdesk@helpdesk.example.com>;\n发送时间:\xa02026年12月8日(星期二) 凌晨4:13\n"
         "收件人:\xa0\"zhao.lei\"<zhao.lei@corp.example>;\n主题:\xa0Re: [INC-3] 共享盘访问不了\n\nINC-3 有新进展\n",
         "好了，谢谢"),
        ("Works now.\n\n-----Original Message-----\nFrom: IT Service Desk\nINC-3 update\n", "Works now."),
        # NetEase (163.com) quotes without ">" under its "在 ... 写道：".
        ("好了，谢谢\n\n在 2026-12-08 04:13:00，\"IT Service Desk\" <helpdesk@helpdesk.example.com> 写道：\n"
         "INC-3 有新进展（Li Wei）：\n您好\n", "好了，谢谢"),
    ],
    ids=["zh-wrote", "zh-outlook", "en-wrapped", "zh-outlook-rule", "zh-qq", "en-outlook-short", "zh-163"],
)  # fmt: skip
def test_replies_to_the_desk(text: str, expected: str) -> None:
    assert strip_reply(text) == expected


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_stripping_never_fails_and_never_loses_everything(text: str) -> None:
    got = strip_reply(text)
    assert isinstance(got, str)
    if text.strip() and not all(
        line.lstrip().startswith(">") or not line.strip() for line in text.splitlines()
    ):
        assert got.strip()


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60),
    st.sampled_from(["utf-8", "gb18030", "gbk"]),
)
@example("\ufffd", "utf-8")  # an encoded U+FFFD is not a mis-decoded 8-bit header
def test_encoded_subjects_decode_to_what_was_written(subject: str, charset: str) -> None:
    try:
        encoded = Header(subject, charset).encode()
    except UnicodeEncodeError:
        return  # not writable in that charset (GBK lacks some characters)
    raw = f"From: a@corp.example.com\r\nSubject: {encoded}\r\n\r\nx\r\n".encode()
    assert parse_mail(raw).subject == " ".join(subject.split())


def test_raw_8bit_chinese_headers_decode_with_the_bodys_charset() -> None:
    raw = (b"From: " + "张伟".encode("gbk") + b" <zhang.wei@corp.example.com>\r\nSubject: "
           + "打印机坏了".encode("gbk") + b"\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n"
           + "三楼的打印机坏了。".encode("gbk") + b"\r\n")  # fmt: skip
    parsed = parse_mail(raw)
    assert (parsed.subject, parsed.from_name, parsed.body) == ("打印机坏了", "张伟", "三楼的打印机坏了。")


def test_html_mail_becomes_readable_text() -> None:
    page = ("<html><head><style>p{color:red}</style></head><body><p>Printer&nbsp;is <b>offline</b>.</p>"
            "<ul><li>tried restarting</li><li>tried another cable</li></ul><div>Thanks<br>Ann</div>"
            "<blockquote>old mail</blockquote></body></html>")  # fmt: skip
    assert (
        html_to_text(page)
        == "Printer is offline.\n- tried restarting\n- tried another cable\nThanks\nAnn\n> old mail"
    )


@pytest.fixture
async def recorded() -> AsyncIterator[tuple[EmailChannel, list[Inbound]]]:
    got: list[Inbound] = []

    async def handler(inbound: Inbound) -> list[Outbound]:
        got.append(inbound)
        return []

    channel = EmailChannel(handler, from_address="helpdesk@helpdesk.example.com", relay_host="127.0.0.1",
                           domains=["helpdesk.example.com"], port=0)  # fmt: skip
    await channel.start()
    yield channel, got
    await channel.close()


def _smtp(port: int, sender: str, data: bytes) -> tuple[int, bytes]:
    data = re.sub(rb"\r?\n", b"\r\n", data)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        try:
            client.sendmail(sender, ["helpdesk@helpdesk.example.com"], data)
        except smtplib.SMTPDataError as exc:
            return exc.smtp_code, exc.smtp_error
    return 250, b""


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
async def test_every_malformed_and_legacy_mail_is_taken(
    recorded: tuple[EmailChannel, list[Inbound]], sample: Path
) -> None:
    """Through the real server: each sample is accepted as a message with a sender, a Message-ID,
    readable text; mail with defects carries the original bytes."""
    channel, got = recorded
    raw = await asyncio.to_thread(sample.read_bytes)
    code, _ = await asyncio.to_thread(_smtp, channel.port, "sender@corp.example.com", raw)
    assert code == 250
    [inbound] = got
    assert inbound.user_id and "@" in inbound.user_id and inbound.external_id.startswith("<")
    assert inbound.address.thread_id == inbound.external_id
    parsed = parse_mail(raw, envelope_from="sender@corp.example.com")
    assert inbound.text == (parsed.reply or parsed.subject)
    if parsed.defects:
        assert any(a.filename == "original.eml" for a in inbound.attachments)
    if sample.parent.name == "legacy":
        assert "\ufffd" not in inbound.subject  # 8-bit and RFC 2047 subjects decode
        assert all("\ufffd" not in a.filename for a in inbound.attachments)  # and file names


async def test_a_mail_with_no_sender_at_all_is_refused_with_a_reason(
    recorded: tuple[EmailChannel, list[Inbound]], caplog: pytest.LogCaptureFixture
) -> None:
    channel, got = recorded
    raw = (FIXTURES / "stalwart" / "malformed" / "000.eml").read_bytes()  # no From header
    code, message = await asyncio.to_thread(_smtp, channel.port, "", raw)
    assert code == 550 and b"no sender address" in message
    assert got == [] and "no sender address" in caplog.text


async def test_a_store_failure_asks_the_sender_to_retry(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(inbound: Inbound) -> list[Outbound]:
        raise RuntimeError("database is down")

    channel = EmailChannel(
        broken, from_address="helpdesk@helpdesk.example.com", relay_host="127.0.0.1", port=0
    )
    await channel.start()
    try:
        code, _ = await asyncio.to_thread(
            _smtp, channel.port, "a@corp.example.com", b"Subject: x\r\n\r\nbody\r\n"
        )
    finally:
        await channel.close()
    assert code == 451 and "could not store" in caplog.text


def test_automatic_mail_is_recognised() -> None:
    def auto(headers: str, envelope: str | None = "a@corp.example.com") -> str | None:
        return parse_mail(
            f"From: a@corp.example.com\r\n{headers}\r\n\r\nx\r\n".encode(), envelope_from=envelope
        ).auto

    assert auto("Auto-Submitted: auto-replied") == "Auto-Submitted: auto-replied"
    assert auto("Auto-Submitted: no") is None
    assert auto("Precedence: bulk") == "Precedence: bulk"
    assert auto("Subject: hi", envelope="") == "empty envelope sender (a bounce)"
    assert auto("Return-Path: <>") == "empty Return-Path (a bounce)"
    assert auto("Subject: hello") is None

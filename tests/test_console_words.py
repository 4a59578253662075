"""The agent console speaks English and Chinese: every word it shows is in both languages."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import httpx

from channels.base import CHANNELS
from desk.api.console import console_page
from desk.models import ARTICLE_STATUSES, MODES
from desk.models.agents import ROLES
from desk.models.tickets import STATUSES
from desk.settings import LEVELS

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "desk" / "static" / "console.html").read_text(encoding="utf-8")
WORDS = json.loads((ROOT / "desk" / "static" / "console.i18n.json").read_text(encoding="utf-8"))


def _event_actions() -> set[str]:
    """The audit actions the desk records (``record_event(session, ticket, actor, "action", ...)``)."""
    actions: set[str] = set()
    for path in (ROOT / "desk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 4:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "record_event":
                actions |= {n.value for n in ast.walk(node.args[3]) if isinstance(n, ast.Constant)}
    return {a for a in actions if isinstance(a, str)}


def test_both_languages_have_the_same_words() -> None:
    assert set(WORDS) == {"en", "zh"}
    assert set(WORDS["en"]) == set(WORDS["zh"])
    for lang, words in WORDS.items():
        for key, text in words.items():
            assert text.strip(), f"{lang}.{key} is empty"
            # A placeholder in one language is in the other ("{ref}", "{at}").
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", WORDS["en"][key])), key


def test_every_word_the_page_uses_is_translated() -> None:
    used = {k for k in re.findall(r'\btr\("([\w.]+)"', PAGE) if not k.endswith(".")}  # not "mode." + c.mode
    used |= set(re.findall(r'data-t[pt]?="([\w.]+)"', PAGE))
    used |= {
        f"filter.{k}" for k in re.findall(r'"(\w+)"', PAGE.split("const FILTERS = ", 1)[1].split(";", 1)[0])
    }
    used |= {f"mode.{m}" for m in MODES} | {f"status.{s}" for s in STATUSES} | {f"role.{r}" for r in ROLES}
    used |= {f"event.{a}" for a in _event_actions()}
    used |= {f"channel.{c}" for c in (*CHANNELS, "api")}  # the report's "by channel"
    used |= {f"kb.status.{k}" for k in ARTICLE_STATUSES}
    used |= {f"prop.{k}" for k in ("status", "impact", "urgency", "category")} | {
        f"level.{v}" for v in LEVELS
    }
    used |= {f"rep.{k}" for k in re.findall(r'\b(?:tile|bars)\("(\w+)"', PAGE)}
    assert len(used) > 90
    assert used - set(WORDS["en"]) == set()
    assert {"event.handoff", "event.took_over", "event.escalated"} <= used  # the scan finds them


async def test_the_console_carries_its_words(client: httpx.AsyncClient) -> None:
    page = (await client.get("/console")).text
    assert "/*I18N*/" not in page and "坐席控制台" in page and "Agent console" in page
    inline = json.loads(page.split("const WORDS = ", 1)[1].split(";\n", 1)[0])
    hant, taiwan = inline.pop("zh-Hant"), inline.pop("zh-TW")
    assert inline == WORDS
    assert console_page() == page
    # For browsers set to Hong Kong's Chinese: the same words in Traditional characters; for
    # Taiwan's, in its words too.
    assert set(hant) == set(WORDS["zh"]) == set(taiwan) and hant["tab.conv"] == taiwan["tab.conv"] == "會話"
    assert hant["tick.cc"].count("{") == WORDS["zh"]["tick.cc"].count("{") == taiwan["tick.cc"].count("{")
    differ = [k for k in hant if hant[k] != taiwan[k]]
    assert differ and all(hant[k].count("{") == taiwan[k].count("{") for k in differ)

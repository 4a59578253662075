"""The packaged training data: coverage per intent and language."""

from __future__ import annotations

from collections import Counter

import pytest

from nlu import detect_language, load_training_data
from nlu.default import DEFAULT_DATA_DIR

INTENTS = {
    "greet", "goodbye", "thanks", "help", "report_problem", "request_service", "check_status",
    "add_info", "talk_to_human", "cancel_ticket", "reopen", "affirm", "deny", "rate",
    "kb_helpful", "kb_not_helpful", "out_of_scope",
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_intent_has_40_examples_per_language(language: str) -> None:
    data = load_training_data(DEFAULT_DATA_DIR / f"{language}.yml")
    counts = data.intent_counts()
    assert set(counts) == INTENTS
    assert {intent: n for intent, n in counts.items() if n < 40} == {}
    detected = Counter(detect_language(ex.text) for ex in data.examples)
    assert detected[language] / len(data.examples) > 0.9


def test_no_duplicate_examples_across_intents() -> None:
    data = load_training_data(DEFAULT_DATA_DIR)
    seen: dict[str, set[str]] = {}
    for example in data.examples:
        seen.setdefault(example.text.lower().strip(), set()).add(example.intent)
    assert {text: intents for text, intents in seen.items() if len(intents) > 1} == {}


def test_entity_tables() -> None:
    data = load_training_data(DEFAULT_DATA_DIR)
    assert set(data.lookups["category"]) == {
        "email", "vpn", "printer", "erp", "account", "hardware", "network", "software", "security",
    }  # fmt: skip
    assert {data.synonyms[s] for s in ["phishing", "钓鱼邮件", "病毒", "ransomware"]} == {"security"}
    assert {data.synonyms[s] for s in ["邮箱", "邮件", "outlook", "打印机", "密码", "账号", "password"]} == {
        "email",
        "printer",
        "account",
    }
    assert data.synonyms["wifi"] == data.synonyms["wi-fi"] == data.synonyms["网络"] == "network"
    assert {r.name for r in data.regexes} == {"ticket_ref", "rating", "urgency", "category"}
    annotated = {span.entity for ex in data.examples for span in ex.entities}
    assert annotated == {"category", "ticket_ref", "urgency", "rating"}

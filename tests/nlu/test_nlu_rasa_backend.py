"""RasaBackend against a fake Rasa server on 127.0.0.1: mapping and fallback."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from nlu import EmbeddedEngine, RasaBackend

RASA_ANSWER = {
    "text": "my outlook is down INC-5",
    "intent": {"name": "report_problem", "confidence": 0.91},
    "entities": [
        {"entity": "category", "start": 3, "end": 10, "confidence_entity": 0.98, "value": "email",
         "extractor": "DIETClassifier", "processors": ["EntitySynonymMapper"]},
        {"entity": "ticket_ref", "start": 19, "end": 24, "value": "INC-5", "extractor": "RegexEntityExtractor"},
    ],
    "intent_ranking": [
        {"name": "report_problem", "confidence": 0.91},
        {"name": "check_status", "confidence": 0.09},
    ],
}  # fmt: skip


def _answer(payload: Any, status: int = 200) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return lambda _request: (status, body)


async def test_maps_rasa_parse(fake_rasa: Any, small_engine: EmbeddedEngine) -> None:
    fake_rasa.respond = _answer(RASA_ANSWER)
    async with RasaBackend(fake_rasa.url + "/", small_engine, timeout=2) as backend:
        parse = await backend.parse("my outlook is down INC-5")
    assert fake_rasa.requests == [
        {"line": "POST /model/parse HTTP/1.1", "json": {"text": "my outlook is down INC-5"}}
    ]
    assert (parse.intent.name, parse.intent.confidence) == ("report_problem", 0.91)
    assert [(e.entity, e.value, e.text, e.confidence, e.extractor) for e in parse.entities] == [
        ("category", "email", "outlook", 0.98, "DIETClassifier"),
        ("ticket_ref", "INC-5", "INC-5", 1.0, "RegexEntityExtractor"),
    ]
    assert [i.name for i in parse.intent_ranking] == ["report_problem", "check_status"]
    assert parse.language == "en"
    rasa = parse.to_rasa()
    assert rasa["intent"] == RASA_ANSWER["intent"] and rasa["language"] == "en"


async def test_low_confidence_and_nlu_fallback_become_oos(
    fake_rasa: Any, small_engine: EmbeddedEngine
) -> None:
    backend = RasaBackend(fake_rasa.url, small_engine, threshold=0.5)
    fake_rasa.respond = _answer({"text": "x", "intent": {"name": "greet", "confidence": 0.4}, "entities": []})
    low = await backend.parse("x")
    fake_rasa.respond = _answer(
        {"text": "y", "intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": []}
    )
    fallback = await backend.parse("y")
    await backend.aclose()
    assert (low.intent.name, low.intent.confidence) == ("oos", pytest.approx(0.6))
    assert fallback.intent.name == "oos"


@pytest.mark.parametrize(
    ("respond", "delay", "message"),
    [
        (_answer(RASA_ANSWER), 1.0, "timed out"),
        (_answer({"error": "boom"}, status=500), 0.0, "answered HTTP 500"),
        (_answer(b"<html>not json</html>"), 0.0, "sent no parse result"),
        (_answer([1, 2, 3]), 0.0, "sent no parse result"),
    ],
)
async def test_falls_back_to_embedded_engine_with_one_warning(
    fake_rasa: Any,
    small_engine: EmbeddedEngine,
    caplog: pytest.LogCaptureFixture,
    respond: Any,
    delay: float,
    message: str,
) -> None:
    fake_rasa.respond, fake_rasa.delay = respond, delay
    async with RasaBackend(fake_rasa.url, small_engine, timeout=0.2) as backend:
        with caplog.at_level(logging.WARNING, logger="nlu.rasa_backend"):
            parse = await backend.parse("我的邮箱打不开")
    assert parse == small_engine.parse("我的邮箱打不开", threshold=backend.threshold)
    warnings = [r for r in caplog.records if r.name == "nlu.rasa_backend"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING and message in warnings[0].getMessage()
    assert warnings[0].exc_info is None


async def test_connection_refused_falls_back(
    small_engine: EmbeddedEngine, caplog: pytest.LogCaptureFixture
) -> None:
    async with RasaBackend("http://127.0.0.1:9", small_engine, timeout=1) as backend:
        parse = await backend.aparse("hello there")
    assert parse.intent.name == "greet"
    assert "failed (ConnectError)" in caplog.text

"""The Rasa ``[text](entity)`` markup parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlu import EntitySpan, format_annotated, parse_annotated


def test_short_form_gives_surface_as_value() -> None:
    text, spans = parse_annotated("my [outlook](category) is down")
    assert text == "my outlook is down"
    assert spans == (EntitySpan(3, 10, "category", "outlook"),)


def test_value_after_colon_and_json_form() -> None:
    text, spans = parse_annotated(
        '[NYC](city:New York) and [打印机]{"entity": "category", "value": "printer", "role": "x"}'
    )
    assert text == "NYC and 打印机"
    assert spans[0] == EntitySpan(0, 3, "city", "New York")
    assert spans[1] == EntitySpan(8, 11, "category", "printer", role="x")


def test_brackets_without_annotation_stay_text() -> None:
    assert parse_annotated("see [docs] (page 3)") == ("see [docs] (page 3)", ())


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("my [outlook]() is down", "empty entity name"),
        ('[x]{"entity": }', "invalid JSON"),
        ('[x]{"value": "y"}', '"entity" key'),
    ],
)
def test_malformed_annotations_raise(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_annotated(line)


_plain = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="[](){}\n\r", exclude_categories=("Cs", "Cc")),
    max_size=12,
)
_surface = _plain.filter(lambda s: s != "")
_name = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_value = st.one_of(st.none(), _plain.filter(lambda s: s.strip() == s and s != ""))


@given(st.lists(st.tuples(_plain, _surface, _name, _value), max_size=4), _plain)
def test_format_then_parse_round_trips(pieces: list[tuple[str, str, str, str | None]], tail: str) -> None:
    text, spans = "", []
    for before, surface, entity, value in pieces:
        text += before
        spans.append(EntitySpan(len(text), len(text) + len(surface), entity, value or surface))
        text += surface
    text += tail
    assert parse_annotated(format_annotated(text, spans)) == (text, tuple(spans))

"""Reading Rasa 3.x YAML, Rasa 1.x Markdown, CSV and Braun 2017 JSON; errors name file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu import NluDataError, load_braun2017, load_training_data, parse_markdown, parse_yaml, to_rasa_yaml

YAML = """\
version: "3.1"
nlu:
- intent: report_problem
  examples: |
    - my [outlook](category) is down
    - [VPN]{"entity": "category", "value": "vpn"} broken
    - [wifi](category:network) dead
- synonym: email
  examples: |
    - Outlook
- regex: ticket_ref
  examples: |
    - (?i)INC-\\d+
- lookup: category
  examples: |
    - printer
    - vpn
"""


def test_yaml_sections() -> None:
    data = parse_yaml(YAML, "nlu.yml")
    assert [ex.text for ex in data.examples] == ["my outlook is down", "VPN broken", "wifi dead"]
    assert data.examples[1].entities[0].value == "vpn"
    assert data.synonyms == {"vpn": "vpn", "wifi": "network", "outlook": "email"}
    assert [(r.name, r.pattern) for r in data.regexes] == [("ticket_ref", r"(?i)INC-\d+")]
    assert data.lookups == {"category": ("printer", "vpn")}


def test_yaml_examples_with_metadata_form() -> None:
    text = "nlu:\n- intent: greet\n  examples:\n  - text: hi\n    metadata: {a: 1}\n  - hello\n"
    assert [ex.text for ex in parse_yaml(text).examples] == ["hi", "hello"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("nlu:\n- intent: greet\n  examples: |\n    - hi\n    - [x]()\n", 5, "empty entity name"),
        ("nlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n", 5, "expected a list item"),
        ("nlu:\n- intent: greet\n", 2, "has no 'examples:'"),
        ("nlu:\n- intnet: greet\n  examples: |\n    - hi\n", 2, "exactly one of intent"),
        ("nlu:\n- regex: r\n  examples: |\n    - ((\n", 4, "invalid regular expression"),
        ("nlu:\n- intent: greet\n  examples: |\n    - hi\n  - bad: [\n", 5, "invalid YAML"),
        ("version: '3.1'\nresponses: {}\n", 1, "no 'nlu:' key"),
    ],
)
def test_yaml_errors_name_file_and_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NluDataError) as caught:
        load_training_data(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert problem in str(caught.value)
    assert caught.value.line == line


def test_markdown_format() -> None:
    text = """<!-- comment -->
## intent:greet
- hi
* hello

## intent:LAUNCH
- 打开[微信](name)
## synonym:email
- outlook
## regex:ticket
- INC-\\d+
## lookup:category
- printer
"""
    data = parse_markdown(text, "x.md")
    assert [(ex.intent, ex.text) for ex in data.examples] == [
        ("greet", "hi"),
        ("greet", "hello"),
        ("LAUNCH", "打开微信"),
    ]
    assert data.examples[2].entities[0].entity == "name"
    assert data.synonyms == {"outlook": "email"}
    assert data.regexes[0].name == "ticket"
    assert data.lookups == {"category": ("printer",)}


def test_markdown_errors() -> None:
    with pytest.raises(NluDataError, match=r"^x.md:2: unknown section"):
        parse_markdown("## intent:a\n## story:b\n", "x.md")
    with pytest.raises(NluDataError, match=r"^x.md:1: text before"):
        parse_markdown("- hi\n", "x.md")
    with pytest.raises(NluDataError, match=r"^x.md:3: expected a list item"):
        parse_markdown("## intent:a\n- hi\nhello\n", "x.md")


def test_folder_merges_and_skips_other_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(YAML, encoding="utf-8")
    (tmp_path / "b.md").write_text("## intent:greet\n- hi\n", encoding="utf-8")
    (tmp_path / "stories.yml").write_text("version: '3.1'\nstories: []\n", encoding="utf-8")
    data = load_training_data(tmp_path)
    assert data.intents == ["greet", "report_problem"]
    assert len(data.examples) == 4


def test_csv_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text('sentence,label\n"hi, there",greet\nbye,goodbye\n', encoding="utf-8")
    assert [(e.text, e.intent) for e in load_training_data(tmp_path / "t.csv").examples] == [
        ("hi, there", "greet"),
        ("bye", "goodbye"),
    ]
    with pytest.raises(NluDataError, match="no such file"):
        load_training_data(tmp_path / "missing.yml")
    (tmp_path / "bad.csv").write_text("text,intent\n", encoding="utf-8")
    with pytest.raises(NluDataError, match=r"bad.csv:1: expected a 'sentence,label' header"):
        load_training_data(tmp_path / "bad.csv")


def test_braun_corpus(tmp_path: Path) -> None:
    corpus = {
        "sentences": [
            {
                "text": "next train to garching",
                "intent": "FindConnection",
                "training": True,
                "entities": [{"entity": "StationDest", "start": 3, "stop": 3, "text": "garching"}],
            },
            {"text": "when is the bus", "intent": "DepartureTime", "training": False, "entities": []},
        ]
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(corpus), encoding="utf-8")
    train, test = load_braun2017(path)
    assert [e.text for e in train.examples] == ["next train to garching"]
    span = train.examples[0].entities[0]
    assert train.examples[0].text[span.start : span.end] == "garching"
    assert [e.intent for e in test.examples] == ["DepartureTime"]


def test_writer_round_trips() -> None:
    data = parse_yaml(YAML)
    again = parse_yaml(to_rasa_yaml(data))
    assert again.examples == data.examples
    assert again.synonyms == data.synonyms
    assert again.lookups == data.lookups
    assert again.regexes == data.regexes

"""``frontdesk nlu train|parse|evaluate`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bots.nlu_cli import nlu
from nlu import DEFAULT_MODEL_PATH, PACKAGED
from nlu.model_file import read_header

TRAIN = """\
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - good morning
    - hey there
- intent: report_problem
  examples: |
    - my printer is broken
    - outlook does not start
    - vpn keeps dropping
    - laptop will not boot
"""
TEST = """\
nlu:
- intent: greet
  examples: |
    - hello there
    - morning
- intent: report_problem
  examples: |
    - the printer is broken again
- intent: out_of_scope
  examples: |
    - what is the capital of peru
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    train, test = tmp_path / "train.yml", tmp_path / "test.yml"
    train.write_text(TRAIN, encoding="utf-8")
    test.write_text(TEST, encoding="utf-8")
    return train, test


def test_evaluate_prints_metrics_and_writes_predictions(files: tuple[Path, Path], tmp_path: Path) -> None:
    train, test = files
    out = tmp_path / "preds" / "out.jsonl"
    result = CliRunner().invoke(
        nlu, ["evaluate", "--train", str(train), "--test", str(test), "--predictions", str(out)]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert {"accuracy", "macro_f1", "micro_f1", "per_intent", "in_scope_accuracy", "oos_recall"} <= set(
        metrics
    )
    assert metrics["n"] == 4
    assert set(metrics["per_intent"]["greet"]) == {"precision", "recall", "f1", "support"}
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == [
        "hello there",
        "morning",
        "the printer is broken again",
        "what is the capital of peru",
    ]
    for line in lines:
        assert set(line) == {"text", "intent", "confidence", "latency_ms"}
        assert 0 <= line["confidence"] <= 1 and line["latency_ms"] >= 0


def test_threshold_one_makes_everything_oos(files: tuple[Path, Path], tmp_path: Path) -> None:
    train, test = files
    out = tmp_path / "out.jsonl"
    args = [
        "evaluate",
        "--train",
        str(train),
        "--test",
        str(test),
        "--predictions",
        str(out),
        "--threshold",
        "1",
    ]
    result = CliRunner().invoke(nlu, args)
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["intent"] for line in out.read_text(encoding="utf-8").splitlines()} == {"oos"}
    metrics = json.loads(result.output)
    assert metrics["oos_recall"] == 1.0 and metrics["in_scope_accuracy"] == 0.0


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "--train", "missing.yml", "--test", "missing.yml"],
        ["evaluate", "--train", "{bad}", "--test", "{test}"],
        ["evaluate", "--train", "{train}", "--test", "{test}", "--threshold", "2"],
        ["train", "--data", "{bad}", "--out", "{tmp}/m.npz"],
        ["train", "--data", "nowhere/"],
        ["parse", "hello", "--model", "{tmp}/absent.npz"],
    ],
)
def test_bad_input_exits_2_with_one_line(files: tuple[Path, Path], tmp_path: Path, args: list[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: greet\n  examples: |\n    - [hi]()\n", encoding="utf-8")
    train, test = files
    values = {"bad": bad, "train": train, "test": test, "tmp": tmp_path}
    result = CliRunner().invoke(nlu, [a.format(**values) for a in args])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1


def test_bad_data_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: greet\n  examples: |\n    - [hi]()\n", encoding="utf-8")
    result = CliRunner().invoke(nlu, ["train", "--data", str(bad), "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 2
    assert f"Error: {bad}:4: empty entity name" in result.output


def test_train_then_parse(files: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = files
    model = tmp_path / "m.npz"
    trained = CliRunner().invoke(nlu, ["train", "--data", str(train), "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.output)["intents"] == {"greet": 4, "report_problem": 4}
    parsed = CliRunner().invoke(nlu, ["parse", "my printer is broken", "--model", str(model)])
    assert parsed.exit_code == 0, parsed.output
    payload = json.loads(parsed.output)
    assert payload["intent"]["name"] == "report_problem"
    assert set(payload) == {"text", "intent", "entities", "intent_ranking", "language"}


def test_parse_with_default_model_trains_packaged_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(nlu, ["parse", "我的邮箱打不开了 INC-7"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["language"] == "zh"
    assert {e["entity"]: e["value"] for e in payload["entities"]} == {
        "category": "email",
        "ticket_ref": "INC-7",
    }
    assert (tmp_path / "var" / "nlu-model.npz").is_file()


def test_train_with_no_options_trains_the_packaged_data_where_the_bot_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    trained = CliRunner().invoke(nlu, ["train"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.output)["model"] == str(DEFAULT_MODEL_PATH)
    assert read_header(tmp_path / DEFAULT_MODEL_PATH)["source"] == PACKAGED  # so the bot keeps it

"""``frontdesk nlu ...``: train, parse and evaluate the embedded NLU from the command line.

The main ``frontdesk`` group registers :data:`nlu`. This module imports only ``nlu`` and click,
never desk or channels, so it works without a database or configuration; and ``nlu`` only when a
command runs, so ``frontdesk --help`` and the desk's own commands do not load the engine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from nlu import TrainingData

__all__ = ["nlu"]


class NluCliError(click.ClickException):
    """Bad input (missing file, malformed training data or model): one line on stderr, status 2."""

    exit_code = 2


def _dump(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _existing(path: Path, option: str) -> Path:
    if not path.exists():
        raise click.UsageError(f"{option}: {path}: no such file or folder")
    return path


@click.group(name="nlu")
def nlu() -> None:
    """Train, try and evaluate the embedded NLU (Rasa-format training data)."""


_MODEL = "var/nlu-model.npz"  # nlu.DEFAULT_MODEL_PATH (a test parses with it)


@nlu.command()
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=None,
    show_default="packaged nlu/data",
    help="Rasa YAML / Markdown file or folder.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=_MODEL,
    show_default=True,
    help="Where to write the model.",
)
def train(data: Path | None, out: Path) -> None:
    """Train the embedded NLU from Rasa-format YAML and save the model."""
    from nlu import DEFAULT_DATA_DIR, PACKAGED, EmbeddedEngine

    data = DEFAULT_DATA_DIR if data is None else data
    source = PACKAGED if data == DEFAULT_DATA_DIR else str(data)
    training = _load(_existing(data, "--data"))
    try:
        engine = EmbeddedEngine.train(training, source=source)
    except ValueError as exc:
        raise NluCliError(f"{data}: {exc}") from None
    engine.save(out)
    counts = training.intent_counts()
    _dump({"model": str(out), "examples": len(training.examples), "intents": dict(sorted(counts.items()))})


@nlu.command()
@click.argument("text")
@click.option(
    "--model",
    type=click.Path(path_type=Path, dir_okay=False),
    default=_MODEL,
    show_default=True,
    help="Model file; trained from the packaged data when missing or stale.",
)
@click.option("--threshold", type=click.FloatRange(0, 1), default=None, help="Out-of-scope threshold.")
def parse(text: str, model: Path, threshold: float | None) -> None:
    """Print the parse of TEXT as JSON (Rasa /model/parse shape)."""
    from nlu import DEFAULT_MODEL_PATH, EmbeddedEngine, NluDataError, NluModelError, load_default_engine

    try:
        engine = load_default_engine(model) if model == DEFAULT_MODEL_PATH else EmbeddedEngine.load(model)
    except (NluDataError, NluModelError) as exc:
        raise NluCliError(str(exc)) from None
    _dump(engine.parse(text, threshold=threshold).to_rasa())


@nlu.command(name="evaluate")
@click.option("--train", "train_path", type=click.Path(path_type=Path), required=True, help="Training data.")
@click.option("--test", "test_path", type=click.Path(path_type=Path), required=True, help="Test data.")
@click.option(
    "--predictions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write one JSON line per test example here.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Out-of-scope threshold (default 0.35): below it the intent is 'oos'.",
)
def evaluate_command(
    train_path: Path, test_path: Path, predictions: Path | None, threshold: float | None
) -> None:
    """Train on TRAIN, predict TEST and print JSON metrics."""
    from nlu import EmbeddedEngine, evaluate

    training = _load(_existing(train_path, "--train"))
    test = _load(_existing(test_path, "--test"))
    if not test.examples:
        raise NluCliError(f"{test_path}: no test examples")
    try:
        engine = EmbeddedEngine.train(training)
    except ValueError as exc:
        raise NluCliError(f"{train_path}: {exc}") from None
    result = evaluate(engine, test, threshold)
    if predictions is not None:
        predictions.parent.mkdir(parents=True, exist_ok=True)
        lines = (json.dumps(p.to_json(), ensure_ascii=False) for p in result.predictions)
        predictions.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    _dump(result.metrics)


def _load(path: Path) -> TrainingData:
    from nlu import NluDataError, load_training_data

    try:
        return load_training_data(path)
    except NluDataError as exc:
        raise NluCliError(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover - handy while developing: python -m bots.nlu_cli
    sys.exit(nlu())

"""Writes :class:`TrainingData` as Rasa 3.x YAML (for the Rasa peer, benchmarks and round trips)."""

from __future__ import annotations

import json

from nlu.training_data import TrainingData

__all__ = ["to_rasa_yaml"]


def to_rasa_yaml(data: TrainingData) -> str:
    """The data as a Rasa 3.x ``nlu:`` file that :func:`~nlu.load_training_data` reads back."""
    lines = ['version: "3.1"', "nlu:"]
    by_intent: dict[str, list[str]] = {}
    for example in data.examples:
        by_intent.setdefault(example.intent, []).append(" ".join(example.annotated().split()))
    for intent, texts in by_intent.items():
        lines += [f"- intent: {_scalar(intent)}", "  examples: |", *(f"    - {text}" for text in texts)]
    by_value: dict[str, list[str]] = {}
    for alias, value in data.synonyms.items():
        by_value.setdefault(value, []).append(alias)
    for value, aliases in by_value.items():
        lines += [f"- synonym: {_scalar(value)}", "  examples: |", *(f"    - {a}" for a in aliases)]
    for regex in data.regexes:
        lines += [f"- regex: {_scalar(regex.name)}", "  examples: |", f"    - {regex.pattern}"]
    for name, entries in data.lookups.items():
        lines += [f"- lookup: {_scalar(name)}", "  examples: |", *(f"    - {e}" for e in entries)]
    return "\n".join(lines) + "\n"


def _scalar(name: str) -> str:
    # JSON strings are valid YAML double-quoted scalars; always quoting keeps "5" or "yes" strings.
    return json.dumps(name, ensure_ascii=False)

"""Shared assembly of :class:`TrainingData` from ``(kind, name, items)`` sections.

Both Rasa formats (3.x YAML and 1.x Markdown) describe the same four section kinds; the format
readers only find the sections and the line of every item, and this module checks the items.
"""

from __future__ import annotations

import re
from pathlib import Path

from nlu.errors import NluDataError
from nlu.markup import parse_annotated
from nlu.training_data import Example, RegexPattern, TrainingData

SECTION_KINDS = ("intent", "synonym", "regex", "lookup")


class DataBuilder:
    """Collects sections of one file and reports problems as ``path:line: problem``."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.examples: list[Example] = []
        self.synonyms: dict[str, str] = {}
        self.regexes: list[RegexPattern] = []
        self.lookups: dict[str, list[str]] = {}

    def error(self, line: int | None, problem: str) -> NluDataError:
        """An error located in this file."""
        return NluDataError(self.path, line, problem)

    def add(self, kind: str, name: str, line: int, items: list[tuple[int, str]]) -> None:
        """Adds one section.

        Args:
            kind: One of ``intent``, ``synonym``, ``regex``, ``lookup``.
            name: The section's name (intent, canonical value, pattern name or entity).
            line: The 1-based line of the section header.
            items: ``(line, text)`` for each list item, with the list marker removed.
        """
        name = name.strip()
        if not name:
            raise self.error(line, f"{kind} section without a name")
        for item_line, text in items:
            text = text.strip()
            if not text:
                raise self.error(item_line, f"empty example in {kind} {name!r}")
            if kind == "intent":
                self._add_example(name, item_line, text)
            elif kind == "synonym":
                self.synonyms[text.lower()] = name
            elif kind == "regex":
                try:
                    re.compile(text)
                except re.error as exc:
                    raise self.error(item_line, f"invalid regular expression {text!r}: {exc}") from None
                self.regexes.append(RegexPattern(name, text))
            else:
                self.lookups.setdefault(name, []).append(text)

    def _add_example(self, intent: str, line: int, text: str) -> None:
        try:
            plain, spans = parse_annotated(text)
        except ValueError as exc:
            raise self.error(line, str(exc)) from None
        if not plain.strip():
            raise self.error(line, f"empty example in intent {intent!r}")
        for span in spans:
            surface = plain[span.start : span.end]
            if span.value != surface:
                self.synonyms[surface.lower()] = span.value
        self.examples.append(Example(plain, intent, spans))

    def build(self) -> TrainingData:
        """The finished data."""
        lookups = {k: tuple(dict.fromkeys(v)) for k, v in self.lookups.items()}
        return TrainingData(tuple(self.examples), dict(self.synonyms), tuple(self.regexes), lookups)

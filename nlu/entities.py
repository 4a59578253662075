"""Entity extraction: named regexes, lookup tables (exact and fuzzy), annotated values, synonyms.

Precedence when spans overlap: regex, then exact dictionary matches (longest first), then fuzzy
matches. A dictionary holds the lookup-table entries, the values annotated in training examples,
and every synonym of a value already in it, so ``outlook`` is found as a ``category`` once
``email`` is a ``category`` value and ``outlook`` a synonym of ``email``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from nlu.parse import Entity
from nlu.script import spellings, to_simplified

__all__ = ["EntityExtractor"]

_WORDISH = re.compile(r"[A-Za-z0-9]")
_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z]+(?![A-Za-z0-9_-])")
_TERMINAL = ""  # trie key that holds (entity, value) at the end of an entry
_FUZZY_MIN_LEN = 4
_STARS = "⭐★"
_CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5"}
# A score out of 10 or 100: "9/10", "8 out of 10", "90分", "8分"; "4分" (up to 5) is out of 5.
_SCALED = re.compile(r"^\s*(\d{1,3})\s*(?:(/\s*10|out of (?:10|ten))|分)", re.IGNORECASE)


_NONE = "none"  # the named group of a regex that finds words that are no entity


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    entity: str
    value: str
    confidence: float
    extractor: str


class EntityExtractor:
    """Finds entities in text; built once from training data, then pure and fast.

    Args:
        regexes: ``(entity, pattern)`` pairs, matched case-insensitively.
        dictionary: entity name to ``{surface form: value}``; surface forms are matched
            case-insensitively, at word boundaries for Latin script and anywhere for CJK.
        synonyms: lower-cased surface form to canonical value, applied to every match.
        normalizers: entity name to a value format: ``upper``, ``ref`` (``inc 7`` to ``INC-7``)
            or ``rating`` (first digit 1-5, or Chinese numeral, or the number of stars).
        fuzzy_cutoff: minimum rapidfuzz ratio (0-100) for a fuzzy dictionary match.
    """

    def __init__(
        self,
        regexes: list[tuple[str, str]],
        dictionary: Mapping[str, Mapping[str, str]],
        synonyms: Mapping[str, str],
        normalizers: Mapping[str, str],
        fuzzy_cutoff: float = 85.0,
    ) -> None:
        self.regexes = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in regexes]
        self.dictionary = {entity: dict(entries) for entity, entries in dictionary.items()}
        self.synonyms = dict(synonyms)
        self.normalizers = dict(normalizers)
        self.fuzzy_cutoff = fuzzy_cutoff
        self._trie: dict[str, Any] = {}
        self._fuzzy: dict[str, tuple[str, str]] = {}
        for entity, entries in dictionary.items():
            for surface, value in entries.items():
                for spelling in spellings(surface):  # 打印机 is found as 印表機 too
                    self._insert(_lower(spelling), entity, value)
                if len(surface) >= _FUZZY_MIN_LEN and surface.isascii() and surface.isalpha():
                    self._fuzzy.setdefault(surface.lower(), (entity, value))
        self._fuzzy_choices = list(self._fuzzy)

    def _insert(self, surface: str, entity: str, value: str) -> None:
        node = self._trie
        for char in surface:
            node = node.setdefault(char, {})
        node.setdefault(_TERMINAL, (entity, value))

    def extract(self, text: str) -> list[Entity]:
        """All entities in ``text``, ordered by position, without overlaps."""
        matches = self._regex_matches(text)
        taken = [False] * len(text)
        chosen: list[_Match] = []
        for match in [*matches, *self._dictionary_matches(text)]:
            if not any(taken[match.start : match.end]):
                chosen.append(match)
                taken[match.start : match.end] = [True] * (match.end - match.start)
        chosen.extend(self._fuzzy_matches(text, taken))
        # A regex's ``(?P<none>...)`` claims words that hold an entry but are none: 应急 (emergency
        # response) holds 急 (urgent), "the laptop can't work with the dock" holds "can't work".
        return [self._entity(text, m) for m in sorted(chosen, key=lambda m: m.start) if m.entity]

    def _entity(self, text: str, match: _Match) -> Entity:
        surface = text[match.start : match.end]
        value = self.synonyms.get(match.value.lower(), match.value)
        value = _normalize(self.normalizers.get(match.entity), value)
        return Entity(match.entity, value, match.start, match.end, match.confidence, match.extractor, surface)

    def _regex_matches(self, text: str) -> list[_Match]:
        simple = to_simplified(text)
        if len(simple) == len(text):  # "5顆星" is "5颗星"; offsets stay those of ``text``
            text = simple
        found = [
            _Match(
                m.start(),
                m.end(),
                "" if m.lastgroup == _NONE else name,
                m.lastgroup or m.group(0),
                1.0,
                "RegexEntityExtractor",
            )
            for name, pattern in self.regexes
            for m in pattern.finditer(text)
            if m.end() > m.start()
        ]
        return sorted(found, key=lambda m: (m.start - m.end, m.start))

    def _dictionary_matches(self, text: str) -> list[_Match]:
        lowered = _lower(text)
        found = []
        for start, char in enumerate(lowered):
            if char not in self._trie or (
                _WORDISH.match(char) and start and _WORDISH.match(lowered[start - 1])
            ):
                continue
            node: dict[str, Any] = self._trie
            best = None
            for end in range(start, len(lowered)):
                child = node.get(lowered[end])
                if child is None:
                    break
                node = child
                if _TERMINAL in node and not (
                    _WORDISH.match(lowered[end])
                    and end + 1 < len(lowered)
                    and _WORDISH.match(lowered[end + 1])
                ):
                    best = (end + 1, node[_TERMINAL])
            if best:
                end, (entity, value) = best
                found.append(_Match(start, end, entity, value, 1.0, "LookupEntityExtractor"))
        return sorted(found, key=lambda m: (m.start - m.end, m.start))

    def _fuzzy_matches(self, text: str, taken: list[bool]) -> list[_Match]:
        if not self._fuzzy_choices:
            return []
        found = []
        for token in _TOKEN.finditer(text):
            if len(token.group(0)) < _FUZZY_MIN_LEN or any(taken[token.start() : token.end()]):
                continue
            word = token.group(0).lower()
            candidates = process.extract(
                word, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff, limit=3
            )
            # Typos rarely hit the first letter; requiring it keeps "sprinter" from being a printer.
            # A word that is the name less its final "s" is a word of its own, not a typo: "team"
            # is not Microsoft Teams, "window" not Windows (while "printers" is still a printer).
            best = next(
                (c for c in candidates if c[0][0] == word[0] and c[0] not in (word + "s", word + "es")),
                None,
            )
            if best is not None:
                entity, value = self._fuzzy[best[0]]
                confidence = round(best[1] / 100, 4)
                found.append(
                    _Match(token.start(), token.end(), entity, value, confidence, "FuzzyEntityExtractor")
                )
        return found


def _lower(text: str) -> str:
    # Keep offsets: a few characters change length when lower-cased ("İ"); leave those alone.
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _normalize(kind: str | None, value: str) -> str:
    if kind == "upper":
        return value.upper()
    if kind == "ref":
        compact = re.sub(r"[\s_-]+", "", value.upper())
        return re.sub(r"^([A-Z]+)(\d+)$", r"\1-\2", compact)
    if kind == "rating":
        scaled = _SCALED.search(value)
        if scaled and (scaled.group(2) or int(scaled.group(1)) > 5):  # "9/10", "90分" (not "5分")
            score = int(scaled.group(1))
            top = 10 if scaled.group(2) or score <= 10 else 100
            return str(min(5, max(1, int(score * 5 / top + 0.5))))  # to 1-5, half up
        digit = re.search(r"[1-5]", value)
        if digit:
            return digit.group(0)
        numeral = next((_CHINESE_DIGITS[c] for c in value if c in _CHINESE_DIGITS), None)
        if numeral:
            return numeral  # 五分 (five points) is 5
        stars = sum(value.count(s) for s in _STARS)
        return str(min(stars, 5)) if stars else value
    return value

"""In-memory training data: intent examples, synonyms, regex patterns and lookup tables."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nlu.markup import EntitySpan, format_annotated

__all__ = ["Example", "RegexPattern", "TrainingData"]


@dataclass(frozen=True, slots=True)
class Example:
    """One training or test utterance.

    Attributes:
        text: The plain text, without entity markup.
        intent: The intent label.
        entities: Annotated entity spans over ``text``.
    """

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()

    def annotated(self) -> str:
        """The example as one Rasa markup line."""
        return format_annotated(self.text, self.entities)


@dataclass(frozen=True, slots=True)
class RegexPattern:
    """A named regular expression; its name is the entity it extracts (Rasa's ``- regex:``)."""

    name: str
    pattern: str


@dataclass(frozen=True)
class TrainingData:
    """Everything one or more Rasa NLU files define.

    Attributes:
        examples: Intent examples in file order.
        synonyms: Lower-cased surface form to canonical value (Rasa's ``- synonym:``).
        regexes: Named patterns in file order.
        lookups: Entity name to its lookup-table entries.
    """

    examples: tuple[Example, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    regexes: tuple[RegexPattern, ...] = ()
    lookups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        """The distinct intent labels, sorted."""
        return sorted({ex.intent for ex in self.examples})

    def intent_counts(self) -> Counter[str]:
        """How many examples each intent has."""
        return Counter(ex.intent for ex in self.examples)

    def merge(self, other: TrainingData) -> TrainingData:
        """Both data sets together; on a clash ``other``'s synonym wins, lookup entries add up."""
        lookups = {name: tuple(entries) for name, entries in self.lookups.items()}
        for name, entries in other.lookups.items():
            lookups[name] = tuple(dict.fromkeys((*lookups.get(name, ()), *entries)))
        return TrainingData(
            examples=self.examples + other.examples,
            synonyms={**self.synonyms, **other.synonyms},
            regexes=self.regexes + other.regexes,
            lookups=lookups,
        )

    def filter(self, keep: Iterable[int]) -> TrainingData:
        """A copy with only the examples at the given indexes (for splits); the rest is shared."""
        wanted = set(keep)
        examples = tuple(ex for i, ex in enumerate(self.examples) if i in wanted)
        return TrainingData(examples, self.synonyms, self.regexes, self.lookups)

    def fingerprint(self) -> str:
        """A stable SHA-256 of the content, used to notice that a saved model is stale."""
        payload = {
            "examples": [[ex.intent, ex.annotated()] for ex in self.examples],
            "synonyms": sorted(self.synonyms.items()),
            "regexes": [[r.name, r.pattern] for r in self.regexes],
            "lookups": sorted((k, list(v)) for k, v in self.lookups.items()),
        }
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()

"""The result of parsing one message, shaped like Rasa's ``/model/parse`` answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nlu.language import detect_language

__all__ = ["OOS_INTENT", "Entity", "IntentScore", "Parse"]

OOS_INTENT = "oos"
"""Intent name given to messages whose best intent is below the confidence threshold."""


@dataclass(frozen=True, slots=True)
class IntentScore:
    """An intent with its probability in ``[0, 1]``."""

    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    """An extracted entity.

    Attributes:
        entity: Entity type, e.g. ``category``.
        value: Canonical value after synonyms and normalisation (``outlook`` gives ``email``).
        start: Offset of the first character in the message.
        end: Offset one past the last character.
        confidence: 1.0 for exact matches; the similarity for fuzzy ones.
        extractor: Which extractor found it (Rasa-style class name).
        text: The surface form as written.
    """

    entity: str
    value: str
    start: int
    end: int
    confidence: float
    extractor: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Parse:
    """What the NLU understood of one message.

    ``intent.confidence`` is a calibrated probability that the intent is right. When the best
    intent scored below the threshold, ``intent`` is ``oos`` with confidence ``1 - best`` and
    ``intent_ranking`` still lists the real candidates (at most ten), best first.
    """

    text: str
    intent: IntentScore
    intent_ranking: tuple[IntentScore, ...]
    entities: tuple[Entity, ...]
    language: str

    def entity(self, name: str) -> str | None:
        """The value of the first entity of type ``name``, if any."""
        return next((e.value for e in self.entities if e.entity == name), None)

    def to_rasa(self) -> dict[str, Any]:
        """The Rasa ``/model/parse`` JSON shape, plus ``language``."""
        entities = []
        for e in self.entities:
            item: dict[str, Any] = {
                "entity": e.entity,
                "value": e.value,
                "start": e.start,
                "end": e.end,
                "confidence_entity": e.confidence,
                "extractor": e.extractor,
            }
            if e.text and e.text != e.value:
                item["processors"] = ["EntitySynonymMapper"]
            entities.append(item)
        return {
            "text": self.text,
            "intent": {"name": self.intent.name, "confidence": self.intent.confidence},
            "entities": entities,
            "intent_ranking": [{"name": i.name, "confidence": i.confidence} for i in self.intent_ranking],
            "language": self.language,
        }

    @classmethod
    def from_rasa(cls, payload: Mapping[str, Any], text: str | None = None) -> Parse:
        """Builds a parse from a Rasa ``/model/parse`` answer.

        Rasa's ``nlu_fallback`` and a missing intent both become ``oos``.

        Raises:
            ValueError: The payload does not have Rasa's shape.
        """
        try:
            message = str(payload.get("text", text or ""))
            intent = payload.get("intent") or {}
            name = intent.get("name") or OOS_INTENT
            ranking = tuple(
                IntentScore(str(i["name"]), float(i["confidence"]))
                for i in payload.get("intent_ranking") or []
            )
            entities = tuple(
                Entity(
                    entity=str(e["entity"]),
                    value=str(e["value"]),
                    start=int(e["start"]),
                    end=int(e["end"]),
                    confidence=float(e.get("confidence_entity", e.get("confidence", 1.0)) or 1.0),
                    extractor=str(e.get("extractor", "rasa")),
                    text=message[int(e["start"]) : int(e["end"])],
                )
                for e in payload.get("entities") or []
            )
            top = IntentScore(
                OOS_INTENT if name == "nlu_fallback" else str(name), float(intent.get("confidence") or 0.0)
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a Rasa parse result: {exc!r}") from None
        return cls(message, top, ranking[:10], entities, detect_language(message))

"""Hyperparameters of the embedded engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DEFAULT_THRESHOLD", "EngineConfig"]

DEFAULT_THRESHOLD = 0.35


def _desk_normalizers() -> dict[str, str]:
    return {"ticket_ref": "ref", "rating": "rating"}


@dataclass(frozen=True)
class EngineConfig:
    """Settings of :class:`~nlu.EmbeddedEngine`; saved with the model.

    The classifier values were chosen once by cross-validation on the training splits of the
    Braun 2017 corpora and the desk's own data, and are used unchanged for every data set.

    Attributes:
        threshold: Below this calibrated confidence the intent is ``oos``.
        classifier: ``svm`` (class-balanced linear SVM, one-vs-rest) or ``logreg`` (softmax
            regression, the model before 2026-11; use it with ``c=30``).
        c: Inverse L2 regularisation strength of the classifier.
        balanced: Weights classes inversely to their frequency (helps when some intents have
            only a handful of examples).
        calibration_folds: Folds used to fit the softmax temperature (``0`` disables it).
        min_df: Features seen in fewer training examples are dropped.
        char_ngrams: Smallest and largest character n-gram.
        word_weight: Weight of the word n-gram block relative to the character block.
        use_idf: Weights features by inverse document frequency.
        fuzzy_cutoff: Minimum similarity (0-100) of a fuzzy lookup match.
        entity_features: Adds found entity types as classifier features.
        normalizers: Entity name to value format (``upper``, ``ref``, ``rating``).
    """

    threshold: float = DEFAULT_THRESHOLD
    classifier: str = "svm"
    c: float = 1.0
    balanced: bool = True
    calibration_folds: int = 3
    min_df: int = 1
    char_ngrams: tuple[int, int] = (1, 4)
    word_weight: float = 1.0
    use_idf: bool = True
    fuzzy_cutoff: float = 85.0
    entity_features: bool = True
    normalizers: Mapping[str, str] = field(default_factory=_desk_normalizers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["normalizers"] = dict(self.normalizers)
        data["char_ngrams"] = list(self.char_ngrams)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "char_ngrams" in known:
            low, high = known["char_ngrams"]
            known["char_ngrams"] = (int(low), int(high))
        return cls(**known)

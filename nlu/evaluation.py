"""Intent-classification metrics: accuracy, F1, out-of-scope handling and calibration."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nlu.engine import EmbeddedEngine
from nlu.parse import OOS_INTENT
from nlu.training_data import TrainingData

__all__ = ["OOS_LABELS", "Evaluation", "Prediction", "evaluate", "score"]

OOS_LABELS = frozenset({OOS_INTENT, "out_of_scope", "NO_NODES_DETECTED", "nlu_fallback"})
"""Labels that all mean "none of the known intents" (ours, the desk data's, HINT3's, Rasa's)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """One test example and what the engine said about it."""

    text: str
    expected: str
    intent: str
    confidence: float
    top_intent: str
    top_confidence: float
    latency_ms: float

    def to_json(self) -> dict[str, Any]:
        """The predictions-file line: ``text``, ``intent``, ``confidence``, ``latency_ms``."""
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": self.confidence,
            "latency_ms": round(self.latency_ms, 4),
        }


@dataclass(frozen=True)
class Evaluation:
    """Predictions and the metrics computed from them."""

    predictions: list[Prediction]
    metrics: dict[str, Any]


def evaluate(engine: EmbeddedEngine, test: TrainingData, threshold: float | None = None) -> Evaluation:
    """Parses every test example and scores the intents.

    Args:
        engine: A trained engine.
        test: Labelled examples; labels in :data:`OOS_LABELS` count as out of scope.
        threshold: Out-of-scope threshold; the engine's own when ``None``.
    """
    limit = engine.config.threshold if threshold is None else threshold
    predictions = []
    for example in test.examples:
        started = time.perf_counter()
        parse = engine.parse(example.text, threshold=limit)
        elapsed = (time.perf_counter() - started) * 1000
        top = parse.intent_ranking[0] if parse.intent_ranking else parse.intent
        predictions.append(
            Prediction(
                example.text,
                example.intent,
                parse.intent.name,
                parse.intent.confidence,
                top.name,
                top.confidence,
                elapsed,
            )
        )
    metrics = score(
        [p.expected for p in predictions],
        [p.intent for p in predictions],
        top=[(p.top_intent, p.top_confidence) for p in predictions],
    )
    metrics["threshold"] = limit
    return Evaluation(predictions, metrics)


def _norm(label: str) -> str:
    return OOS_INTENT if label in OOS_LABELS else label


def score(
    expected: Sequence[str], predicted: Sequence[str], top: Sequence[tuple[str, float]] | None = None
) -> dict[str, Any]:
    """Metrics for parallel lists of gold and predicted labels.

    Args:
        expected: Gold labels.
        predicted: Predicted labels (after out-of-scope thresholding).
        top: Optional ``(label, confidence)`` of the best intent before thresholding, for the
            expected calibration error (``ece``).

    Returns:
        ``n``, ``accuracy``, ``macro_f1`` (over labels that occur in gold or predictions),
        ``micro_f1``, ``per_intent`` precision/recall/F1/support and, when the gold labels contain
        out-of-scope examples, ``in_scope_accuracy``, ``oos_recall`` and ``oos_precision``.
    """
    gold = [_norm(g) for g in expected]
    pred = [_norm(p) for p in predicted]
    n = len(gold)
    tp: Counter[str] = Counter(g for g, p in zip(gold, pred, strict=True) if g == p)
    gold_counts, pred_counts = Counter(gold), Counter(pred)
    per_intent = {}
    for label in sorted(set(gold) | set(pred)):
        precision = tp[label] / pred_counts[label] if pred_counts[label] else 0.0
        recall = tp[label] / gold_counts[label] if gold_counts[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": gold_counts[label],
        }
    accuracy = sum(tp.values()) / n if n else 0.0
    metrics: dict[str, Any] = {
        "n": n,
        "accuracy": round(accuracy, 4),
        "macro_f1": round(sum(v["f1"] for v in per_intent.values()) / len(per_intent), 4)
        if per_intent
        else 0.0,
        "micro_f1": round(accuracy, 4),
    }
    if gold_counts[OOS_INTENT]:
        in_scope = [(g, p) for g, p in zip(gold, pred, strict=True) if g != OOS_INTENT]
        metrics["in_scope_accuracy"] = (
            round(sum(g == p for g, p in in_scope) / len(in_scope), 4) if in_scope else 0.0
        )
        metrics["oos_recall"] = round(tp[OOS_INTENT] / gold_counts[OOS_INTENT], 4)
        metrics["oos_precision"] = (
            round(tp[OOS_INTENT] / pred_counts[OOS_INTENT], 4) if pred_counts[OOS_INTENT] else 0.0
        )
    if top is not None:
        metrics["ece"] = round(_ece(gold, top), 4)
    metrics["per_intent"] = per_intent
    return metrics


def _ece(gold: list[str], top: Sequence[tuple[str, float]], bins: int = 10) -> float:
    """Expected calibration error of the top confidence over in-scope examples (10 equal bins)."""
    pairs = [(conf, label == g) for g, (label, conf) in zip(gold, top, strict=True) if g != OOS_INTENT]
    if not pairs:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [(c, ok) for c, ok in pairs if lo < c <= hi or (b == 0 and c == 0)]
        if members:
            conf = sum(c for c, _ in members) / len(members)
            acc = sum(ok for _, ok in members) / len(members)
            total += len(members) / len(pairs) * abs(conf - acc)
    return total

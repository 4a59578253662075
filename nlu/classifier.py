"""Training of the intent classifier: a linear model over sparse features plus temperature scaling.

Two linear models are available (``EngineConfig.classifier``): a class-balanced linear SVM
(one-vs-rest, squared hinge; the default, chosen by cross-validation on the training splits) and
L2-regularised softmax regression. Either way the scores become probabilities through a softmax
whose temperature is fitted on out-of-fold scores, so parsing is the same matrix product.

scikit-learn (and with it SciPy) is imported only here, only while training; parsing needs numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["LinearModel", "fit_linear_model", "fit_temperature", "softmax"]

CsrParts = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]


@dataclass(frozen=True)
class LinearModel:
    """Weights of a softmax classifier over sparse features.

    Attributes:
        weights: ``(n_features, n_classes)``; rows are gathered per message at parse time.
        bias: ``(n_classes,)``.
        temperature: Logits are divided by it before the softmax; fitted so that confidences
            match held-out accuracy.
    """

    weights: NDArray[np.float32]
    bias: NDArray[np.float32]
    temperature: float

    def logits(self, cols: NDArray[np.int64], vals: NDArray[np.float32]) -> NDArray[np.float32]:
        """Raw scores of one sparse row."""
        return np.asarray(vals @ self.weights[cols] + self.bias, dtype=np.float32)


def softmax(logits: NDArray[np.floating[Any]], temperature: float = 1.0) -> NDArray[np.float64]:
    """Numerically stable softmax of ``logits / temperature`` along the last axis."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def fit_linear_model(
    csr: CsrParts,
    n_features: int,
    labels: NDArray[np.int64],
    n_classes: int,
    c: float,
    folds: int,
    balanced: bool = False,
    kind: str = "svm",
) -> LinearModel:
    """Fits the weights on all rows and the temperature on out-of-fold predictions.

    Args:
        csr: ``(indptr, indices, data)`` of the feature matrix.
        n_features: Number of columns.
        labels: Class index per row.
        n_classes: Number of classes (every one must occur in ``labels``).
        c: Inverse L2 regularisation strength (scikit-learn's ``C``).
        balanced: Weight classes inversely to their frequency.
        kind: ``svm`` (linear SVM, one-vs-rest) or ``logreg`` (softmax regression).
        folds: Cross-validation folds for the temperature; ``< 2`` (or no class with two
            examples) keeps temperature 1. Classes with fewer examples than folds are dealt
            round-robin, so they are missing from some training folds (as in real use, where a
            message can belong to an intent the model has barely seen).
    """
    from scipy.sparse import csr_matrix

    matrix = csr_matrix((csr[2], csr[1], csr[0]), shape=(len(labels), n_features), dtype=np.float64)
    if n_classes == 1:
        return LinearModel(np.zeros((n_features, 1), np.float32), np.zeros(1, np.float32), 1.0)
    weights, bias = _fit(matrix, labels, n_classes, c, balanced, kind)
    folds = min(folds, int(np.bincount(labels, minlength=n_classes).max()))
    temperature = _fit_temperature(matrix, labels, n_classes, c, folds, balanced, kind) if folds >= 2 else 1.0
    return LinearModel(weights, bias, temperature)


def _fit(
    matrix: object,
    labels: NDArray[np.int64],
    n_classes: int,
    c: float,
    balanced: bool,
    kind: str,
    tol: float = 1e-4,
) -> tuple[NDArray[np.float32], ...]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    weight = "balanced" if balanced else None
    model: LinearSVC | LogisticRegression
    if kind == "svm":
        model = LinearSVC(C=c, class_weight=weight, tol=tol, max_iter=5000, random_state=0)
    elif kind == "logreg":
        model = LogisticRegression(C=c, solver="newton-cg", max_iter=500, tol=tol, class_weight=weight)
    else:
        raise ValueError(f"unknown classifier {kind!r} (svm, logreg)")
    model.fit(matrix, labels)
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if n_classes == 2:  # scikit-learn keeps one weight vector for two classes: class 1 when w.x + b > 0
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return np.ascontiguousarray(coef.T, dtype=np.float32), intercept.astype(np.float32)


def _fit_temperature(
    matrix: object,
    labels: NDArray[np.int64],
    n_classes: int,
    c: float,
    folds: int,
    balanced: bool,
    kind: str,
) -> float:
    logits = np.zeros((len(labels), n_classes))
    for train, held in _folds(labels, folds):
        sub_labels = labels[train]
        if len(np.unique(sub_labels)) < 2:
            continue
        present = np.unique(sub_labels)
        remap = np.full(n_classes, -1)
        remap[present] = np.arange(len(present))
        # The temperature needs only approximate fold models: a looser tolerance halves the time.
        weights, bias = _fit(matrix[train], remap[sub_labels], len(present), c, balanced, kind, tol=1e-3)  # type: ignore[index]
        fold_logits = np.full((len(held), n_classes), -1e4)
        fold_logits[:, present] = matrix[held] @ weights + bias  # type: ignore[index]
        logits[held] = fold_logits
    return fit_temperature(logits, labels)


def _folds(
    labels: NDArray[np.int64], k: int, seed: int = 0
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """``k`` folds, each class shuffled and dealt round-robin from a random starting fold."""
    rng = np.random.default_rng(seed)
    assign = np.empty(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        assign[rows] = (np.arange(len(rows)) + rng.integers(k)) % k
    splits: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    for fold in range(k):
        held = np.flatnonzero(assign == fold)
        if len(held):
            splits.append((np.flatnonzero(assign != fold), held))
    return splits


def fit_temperature(logits: NDArray[np.floating[Any]], labels: NDArray[np.int64]) -> float:
    """The temperature ``T`` that minimises the negative log-likelihood of ``softmax(logits / T)``.

    ``T > 1`` softens an over-confident model, ``T < 1`` sharpens an under-confident one; the
    ranking of the intents never changes. Searched in [0.05, 20]: a log grid, then golden section.
    """
    rows = np.arange(len(labels))

    def nll(t: float) -> float:
        return float(-np.log(softmax(logits, t)[rows, labels] + 1e-12).mean())

    grid = np.geomspace(0.05, 20.0, 60)
    best = int(np.argmin([nll(float(t)) for t in grid]))
    lo, hi = float(grid[max(best - 1, 0)]), float(grid[min(best + 1, len(grid) - 1)])
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(30):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return (lo + hi) / 2

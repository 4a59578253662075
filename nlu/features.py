"""Text to sparse TF-IDF features: character 1-4-grams plus word uni- and bigrams.

Character n-grams need no tokenizer, so Chinese works without word segmentation and English
typos still share most n-grams with the correct spelling. Word n-grams add the exact-word signal.
The same code featurises at training and at parse time, so the two cannot drift apart.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from nlu.script import to_simplified

__all__ = ["Vectorizer", "analyze", "normalize"]

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff]|[^\sa-z0-9\u3400-\u9fff]")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, Simplified Chinese, single spaces."""
    return _SPACE.sub(" ", to_simplified(unicodedata.normalize("NFKC", text).lower())).strip()


def analyze(text: str, extra: Iterable[str] = (), char_ngrams: tuple[int, int] = (1, 4)) -> list[str]:
    """The feature names of ``text``; ``c:`` character n-grams, ``w:`` word n-grams, ``x:`` extras.

    Character n-grams stay inside whitespace-separated tokens padded with a space (scikit-learn's
    ``char_wb``); a Chinese sentence without spaces is one token.
    """
    norm = normalize(text)
    feats: list[str] = []
    for token in norm.split(" "):
        padded = f" {token} "
        size = len(padded)
        for n in range(char_ngrams[0], char_ngrams[1] + 1):
            if n > size:
                break
            feats.extend("c:" + padded[i : i + n] for i in range(size - n + 1))
    words = _WORD.findall(norm)
    feats.extend("w:" + w for w in words)
    feats.extend(f"w:{a} {b}" for a, b in itertools.pairwise(words))
    feats.extend("x:" + e for e in extra)
    return feats


class Vectorizer:
    """Vocabulary and IDF weights; maps feature names to an L2-normalised sublinear TF-IDF row.

    Each feature family (``c:``, ``w:``, ``x:``) is normalised on its own so that the many
    character n-grams do not drown the few word features.
    """

    def __init__(self, vocabulary: Sequence[str], idf: NDArray[np.float32], word_weight: float = 1.0) -> None:
        self.vocabulary = list(vocabulary)
        self.weights = np.array([1.0, word_weight, 1.0], dtype=np.float32)
        self.index = {name: i for i, name in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.family = np.array([_FAMILIES.index(name[0]) for name in self.vocabulary], dtype=np.int8)

    @classmethod
    def fit(
        cls, documents: Sequence[list[str]], min_df: int = 1, word_weight: float = 1.0, use_idf: bool = True
    ) -> Vectorizer:
        """Builds the vocabulary from analysed documents (smooth IDF, as scikit-learn's, or all 1)."""
        df: Counter[str] = Counter()
        for feats in documents:
            df.update(set(feats))
        vocabulary = sorted(name for name, count in df.items() if count >= min_df)
        n = len(documents)
        idf = np.array([math.log((1 + n) / (1 + df[name])) + 1.0 for name in vocabulary], dtype=np.float32)
        if not use_idf:
            idf = np.ones_like(idf)
        return cls(vocabulary, idf, word_weight)

    def transform_one(self, feats: list[str]) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Sparse row: column indexes and weights."""
        counts = Counter(i for i in map(self.index.get, feats) if i is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        vals = (1.0 + np.log(tf)) * self.idf[cols]
        fam = self.family[cols]
        norms = np.zeros(len(_FAMILIES), dtype=np.float32)
        np.add.at(norms, fam, vals * vals)
        vals = vals / np.sqrt(norms)[fam] * self.weights[fam]
        return cols, vals.astype(np.float32)

    def transform(
        self, documents: Sequence[list[str]]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
        """CSR parts ``(indptr, indices, data)`` for many documents."""
        indptr = [0]
        indices: list[NDArray[np.int64]] = []
        data: list[NDArray[np.float32]] = []
        for feats in documents:
            cols, vals = self.transform_one(feats)
            indices.append(cols)
            data.append(vals)
            indptr.append(indptr[-1] + len(cols))
        return (
            np.asarray(indptr, dtype=np.int64),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
            np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
        )


_FAMILIES = "cwx"

"""The embedded NLU engine: train on Rasa-format data, save, load, parse in well under 1 ms."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from nlu.classifier import LinearModel, fit_linear_model, softmax
from nlu.config import EngineConfig
from nlu.entities import EntityExtractor
from nlu.features import Vectorizer, analyze
from nlu.language import detect_language
from nlu.parse import OOS_INTENT, Entity, IntentScore, Parse
from nlu.training_data import TrainingData

__all__ = ["EmbeddedEngine"]

_RANKING = 10
_MAX_CONFIDENCE = 0.999999


class EmbeddedEngine:
    """Intent classifier plus entity extractor, trained in-process.

    Build one with :meth:`train` or :meth:`load`; after that it is immutable and thread-safe.
    """

    def __init__(
        self,
        config: EngineConfig,
        intents: list[str],
        vectorizer: Vectorizer,
        model: LinearModel,
        extractor: EntityExtractor,
        data_hash: str = "",
        source: str = "",
    ) -> None:
        self.config = config
        self.intents = list(intents)
        self.vectorizer = vectorizer
        self.model = model
        self.extractor = extractor
        self.data_hash = data_hash
        self.source = source

    @classmethod
    def train(
        cls, data: TrainingData, config: EngineConfig | None = None, source: str = ""
    ) -> EmbeddedEngine:
        """Trains on ``data``; a few thousand examples take a few seconds.

        Args:
            data: Labelled examples plus synonyms, regexes and lookup tables.
            config: Hyperparameters; the defaults otherwise.
            source: Where the data came from, kept in the saved model (``packaged`` marks a model
                of the packaged data, which :func:`~nlu.load_default_engine` may retrain).

        Raises:
            ValueError: ``data`` has no examples.
        """
        config = config or EngineConfig()
        if not data.examples:
            raise ValueError("no training examples")
        extractor = build_extractor(data, config)
        intents = data.intents
        index = {name: i for i, name in enumerate(intents)}
        documents = [_features(ex.text, tuple(extractor.extract(ex.text)), config) for ex in data.examples]
        vectorizer = Vectorizer.fit(
            documents, min_df=config.min_df, word_weight=config.word_weight, use_idf=config.use_idf
        )
        labels = np.array([index[ex.intent] for ex in data.examples], dtype=np.int64)
        model = fit_linear_model(
            vectorizer.transform(documents),
            len(vectorizer.vocabulary),
            labels,
            len(intents),
            config.c,
            config.calibration_folds,
            config.balanced,
            config.classifier,
        )
        return cls(config, intents, vectorizer, model, extractor, data.fingerprint(), source)

    def with_threshold(self, threshold: float) -> EmbeddedEngine:
        """The same model with another out-of-scope threshold."""
        config = dataclasses.replace(self.config, threshold=threshold)
        return EmbeddedEngine(
            config, self.intents, self.vectorizer, self.model, self.extractor, self.data_hash, self.source
        )

    def parse(self, text: str, *, threshold: float | None = None) -> Parse:
        """Classifies ``text`` and extracts its entities.

        Args:
            text: The user's message.
            threshold: Overrides the configured out-of-scope threshold for this call.
        """
        entities = tuple(self.extractor.extract(text))
        feats = _features(text, entities, self.config)
        cols, vals = self.vectorizer.transform_one(feats)
        probs = softmax(self.model.logits(cols, vals), self.model.temperature)
        order = np.argsort(-probs)[:_RANKING]
        # Never quite certain, so that a threshold of 1 always means "everything is out of scope".
        ranking = tuple(
            IntentScore(self.intents[i], round(min(float(probs[i]), _MAX_CONFIDENCE), 6)) for i in order
        )
        top = ranking[0]
        limit = self.config.threshold if threshold is None else threshold
        if top.confidence < limit or not text.strip():
            top = IntentScore(OOS_INTENT, round(1.0 - top.confidence, 6))
        return Parse(text, top, ranking, entities, detect_language(text))

    async def aparse(self, text: str) -> Parse:
        """:meth:`parse` for callers that treat every backend as async."""
        return self.parse(text)

    def save(self, path: str | Path) -> Path:
        """Writes the model to ``path`` (``.npz``), atomically. Returns the path."""
        from nlu.model_file import save_engine

        return save_engine(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> EmbeddedEngine:
        """Reads a model written by :meth:`save`.

        Raises:
            NluModelError: Missing, corrupt, or another format version.
        """
        from nlu.model_file import load_engine

        return load_engine(Path(path))


def build_extractor(data: TrainingData, config: EngineConfig) -> EntityExtractor:
    """The entity extractor that ``data`` defines (regexes, lookups, annotations, synonyms).

    Every synonym of a value in an entity's dictionary joins that dictionary. Entities that have
    a regex are left to it, and bare numbers stay out: "3" is a rating only in context. A regex
    whose named group names the value it finds (``(?P<team>...)`` for "the whole accounting
    team") finds only that value: the entity's other values are still looked up.
    """
    entries: dict[str, dict[str, str]] = {}
    for entity, lookup in data.lookups.items():
        for entry in lookup:
            entries.setdefault(entity, {})[entry] = data.synonyms.get(entry.lower(), entry)
    with_regex = {r.name for r in data.regexes if not re.compile(r.pattern).groupindex}
    for example in data.examples:
        for span in (s for s in example.entities if s.entity not in with_regex):
            surface = example.text[span.start : span.end]
            entries.setdefault(span.entity, {}).setdefault(surface, span.value)
    dictionary: dict[str, dict[str, str]] = {}
    for entity, table in entries.items():
        values = set(table.values())
        aliases = {alias: v for alias, v in data.synonyms.items() if v in values}
        merged = {**aliases, **table}
        dictionary[entity] = {s: v for s, v in merged.items() if _gazetteer_worthy(s)}
    regexes = [(r.name, r.pattern) for r in data.regexes]
    return EntityExtractor(regexes, dictionary, data.synonyms, config.normalizers, config.fuzzy_cutoff)


def _gazetteer_worthy(surface: str) -> bool:
    stripped = surface.strip()
    return not stripped.isdigit() and (len(stripped) > 1 or not stripped.isascii())


def _features(text: str, entities: tuple[Entity, ...], config: EngineConfig) -> list[str]:
    """The classifier's features of ``text``, the same at training and at parse time."""
    extra = sorted({e.entity for e in entities}) if config.entity_features else []
    return analyze(_delexicalised(text, entities), extra, config.char_ngrams)


_DIGITS = re.compile(r"\d+")


def _delexicalised(text: str, entities: Iterable[Entity]) -> str:
    """``text`` with each number in what a regex found written as one ``#``, for the classifier:
    which ticket ("INC-3", "REQ 12") or how many stars says nothing of what the user wants, and
    the model should not learn that "3" means cancel because one training sentence cancels REQ-3.
    """
    out, at = [], 0
    for e in sorted((e for e in entities if e.extractor == "RegexEntityExtractor"), key=lambda e: e.start):
        if e.start >= at:
            out += [text[at : e.start], _DIGITS.sub("#", text[e.start : e.end])]
            at = e.end
    return "".join(out) + text[at:]

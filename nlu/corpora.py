"""Readers for public evaluation corpora that are not in a Rasa format (Braun et al. 2017 JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from nlu.errors import NluDataError
from nlu.markup import EntitySpan
from nlu.training_data import Example, TrainingData

__all__ = ["load_braun2017"]


def load_braun2017(path: str | Path) -> tuple[TrainingData, TrainingData]:
    """Reads one corpus of the NLU-Evaluation-Corpora (Braun et al. 2017).

    Entities there are token ranges with their text; they become character spans here.

    Returns:
        ``(train, test)``: the sentences with ``training: true`` and the others.
    """
    path = Path(path)
    try:
        corpus = json.loads(path.read_text(encoding="utf-8"))
        sentences = corpus["sentences"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NluDataError(path, None, f"not a Braun 2017 corpus: {exc}") from None
    train: list[Example] = []
    test: list[Example] = []
    for sentence in sentences:
        text = str(sentence["text"])
        spans = []
        for ent in sentence.get("entities", []):
            start = text.find(ent["text"])
            if start >= 0:
                spans.append(EntitySpan(start, start + len(ent["text"]), ent["entity"], ent["text"]))
        example = Example(text, str(sentence["intent"]), tuple(sorted(spans, key=lambda s: s.start)))
        (train if sentence.get("training") else test).append(example)
    return TrainingData(tuple(train)), TrainingData(tuple(test))

"""The saved-model format: one ``.npz`` with the weights and a JSON header, no pickle.

Bump :data:`FORMAT_VERSION` whenever the meaning of a stored field changes; loading a file of
another version fails with a clear message instead of producing wrong answers.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlu.classifier import LinearModel
from nlu.config import EngineConfig
from nlu.entities import EntityExtractor
from nlu.errors import NluModelError
from nlu.features import Vectorizer

if TYPE_CHECKING:
    from nlu.engine import EmbeddedEngine

__all__ = ["FORMAT_VERSION", "load_engine", "read_header", "save_engine"]

FORMAT_VERSION = 1


def save_engine(engine: EmbeddedEngine, path: Path) -> Path:
    """Writes ``engine`` to ``path`` atomically (temporary file, then rename)."""
    ext = engine.extractor
    header: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "config": engine.config.to_dict(),
        "data_hash": engine.data_hash,
        "source": engine.source,
        "intents": engine.intents,
        "vocabulary": engine.vectorizer.vocabulary,
        "temperature": engine.model.temperature,
        "entities": {
            "regexes": [[name, pattern.pattern] for name, pattern in ext.regexes],
            "dictionary": ext.dictionary,
            "synonyms": ext.synonyms,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez_compressed(
                out,
                header=np.array(json.dumps(header, ensure_ascii=False)),
                idf=engine.vectorizer.idf,
                weights=engine.model.weights,
                bias=engine.model.bias,
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of a saved model, after the format-version check.

    Raises:
        NluModelError: Missing, unreadable, or another format version.
    """
    header, _ = _read(path, arrays=False)
    return header


def load_engine(path: Path) -> EmbeddedEngine:
    """Reads a model written by :func:`save_engine`.

    Raises:
        NluModelError: Missing, unreadable, or another format version.
    """
    from nlu.engine import EmbeddedEngine

    header, arrays = _read(path, arrays=True)
    try:
        config = EngineConfig.from_dict(header["config"])
        ents = header["entities"]
        extractor = EntityExtractor(
            [(name, pattern) for name, pattern in ents["regexes"]],
            ents["dictionary"],
            ents["synonyms"],
            config.normalizers,
            config.fuzzy_cutoff,
        )
        vectorizer = Vectorizer(header["vocabulary"], arrays["idf"], config.word_weight)
        model = LinearModel(arrays["weights"], arrays["bias"], float(header["temperature"]))
        return EmbeddedEngine(
            config,
            header["intents"],
            vectorizer,
            model,
            extractor,
            header["data_hash"],
            header.get("source", ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise NluModelError(
            f"{path}: corrupt NLU model ({exc!r}); retrain with 'frontdesk nlu train'"
        ) from None


def _read(path: Path, *, arrays: bool) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    if not path.is_file():
        raise NluModelError(f"{path}: no NLU model here; train one with 'frontdesk nlu train'")
    try:
        with np.load(path, allow_pickle=False) as npz:
            header = json.loads(str(npz["header"]))
            loaded = {name: npz[name] for name in ("idf", "weights", "bias")} if arrays else {}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise NluModelError(f"{path}: not an NLU model file ({exc})") from None
    version = header.get("format_version") if isinstance(header, dict) else None
    if version != FORMAT_VERSION:
        raise NluModelError(
            f"{path}: NLU model format version {version}, this version of frontdesk reads "
            f"{FORMAT_VERSION}; retrain with 'frontdesk nlu train'"
        )
    return header, loaded

"""The packaged model: trained from ``nlu/data/`` on first use and whenever that data changes."""

from __future__ import annotations

import logging
from pathlib import Path

from nlu.config import EngineConfig
from nlu.engine import EmbeddedEngine
from nlu.errors import NluModelError
from nlu.loaders import load_training_data
from nlu.model_file import read_header

__all__ = ["DEFAULT_DATA_DIR", "DEFAULT_MODEL_PATH", "PACKAGED", "load_default_engine"]

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(__file__).parent / "data"
"""The desk's own training data (Rasa 3.x YAML, English and Chinese)."""

DEFAULT_MODEL_PATH = Path("var/nlu-model.npz")
"""Where the command line and the bot keep the trained model, relative to the working directory."""

PACKAGED = "packaged"
"""The ``source`` of a model trained from :data:`DEFAULT_DATA_DIR`."""


def load_default_engine(
    path: str | Path = DEFAULT_MODEL_PATH, config: EngineConfig | None = None
) -> EmbeddedEngine:
    """Loads the model at ``path``, first (re)training it from the packaged data when needed.

    It retrains when the file is missing, unreadable or of another format version, or when it was
    trained from the packaged data and that data or ``config`` has changed since. A model that
    ``frontdesk nlu train --data ...`` trained from other data is used as it is. Training the
    packaged data takes a few seconds, so the bot works out of the box.

    Raises:
        NluDataError: The packaged training data is malformed.
    """
    path = Path(path)
    config = config or EngineConfig()
    try:
        header = read_header(path)
    except NluModelError as exc:
        reason = str(exc)
    else:
        if header.get("source") not in (PACKAGED, ""):
            return EmbeddedEngine.load(path)
        training = load_training_data(DEFAULT_DATA_DIR)
        if header.get("data_hash") == training.fingerprint() and header.get("config") == config.to_dict():
            return EmbeddedEngine.load(path)
        reason = f"{path}: trained on older packaged data or other settings"
    logger.info("training the NLU model (%s)", reason)
    engine = EmbeddedEngine.train(load_training_data(DEFAULT_DATA_DIR), config, source=PACKAGED)
    engine.save(path)
    return engine

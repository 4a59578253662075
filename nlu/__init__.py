"""Natural-language understanding for the desk: a pure function from text to intent and entities.

This package imports nothing else of the project (an import-linter contract checks it).

Typical use::

    engine = load_default_engine("var/nlu-model.npz")   # trains from nlu/data/ when needed
    parse = engine.parse("my outlook is broken, urgent!")
    parse.intent.name, parse.entity("category"), parse.to_rasa()
"""

from nlu.config import DEFAULT_THRESHOLD, EngineConfig
from nlu.corpora import load_braun2017
from nlu.default import DEFAULT_DATA_DIR, DEFAULT_MODEL_PATH, PACKAGED, load_default_engine
from nlu.engine import EmbeddedEngine
from nlu.errors import NluDataError, NluError, NluModelError
from nlu.evaluation import OOS_LABELS, Evaluation, Prediction, evaluate
from nlu.language import detect_language
from nlu.loaders import load_training_data, parse_markdown, parse_yaml
from nlu.markup import EntitySpan, format_annotated, parse_annotated
from nlu.model_file import FORMAT_VERSION
from nlu.parse import OOS_INTENT, Entity, IntentScore, Parse
from nlu.rasa_backend import RasaBackend
from nlu.training_data import Example, RegexPattern, TrainingData
from nlu.writer import to_rasa_yaml

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_MODEL_PATH",
    "DEFAULT_THRESHOLD",
    "FORMAT_VERSION",
    "OOS_INTENT",
    "OOS_LABELS",
    "PACKAGED",
    "EmbeddedEngine",
    "EngineConfig",
    "Entity",
    "EntitySpan",
    "Evaluation",
    "Example",
    "IntentScore",
    "NluDataError",
    "NluError",
    "NluModelError",
    "Parse",
    "Prediction",
    "RasaBackend",
    "RegexPattern",
    "TrainingData",
    "detect_language",
    "evaluate",
    "format_annotated",
    "load_braun2017",
    "load_default_engine",
    "load_training_data",
    "parse_annotated",
    "parse_markdown",
    "parse_yaml",
    "to_rasa_yaml",
]

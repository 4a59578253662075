"""The public NLU benchmark corpora of ../shared/data/nlu as (train, test) pairs."""

from __future__ import annotations

import os
from pathlib import Path

from nlu import TrainingData, load_braun2017, load_training_data

DATA = (
    Path(os.environ.get("FRONTDESK_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    / "nlu"
)

BRAUN = ("ChatbotCorpus", "AskUbuntuCorpus", "WebApplicationsCorpus")
HINT3 = ("sofmattress", "curekart", "powerplay11")


def language_of(name: str) -> str:
    """Language of a benchmark set."""
    return "zh" if name.startswith("smp2019") else "en"


def benchmark_sets() -> dict[str, tuple[TrainingData, TrainingData]]:
    """Every set: Braun 2017 (train = ``training: true``), HINT3 v1 full, SMP2019 Chinese."""
    sets: dict[str, tuple[TrainingData, TrainingData]] = {}
    for name in BRAUN:
        sets[f"braun-{name.removesuffix('Corpus').lower()}"] = load_braun2017(
            DATA / "braun2017" / f"{name}.json"
        )
    for bot in HINT3:
        base = DATA / "hint3" / "dataset" / "v1"
        sets[f"hint3-{bot}"] = (
            load_training_data(base / "train" / f"{bot}_train.csv"),
            load_training_data(base / "test" / f"{bot}_test.csv"),
        )
    smp = DATA / "smp2019-zh"
    sets["smp2019-zh"] = (load_training_data(smp / "train.md"), load_training_data(smp / "test.md"))
    return sets


def training_sets() -> dict[str, TrainingData]:
    """Only the training parts (for cross-validated tuning), plus the desk's own data."""
    sets = {name: train for name, (train, _) in benchmark_sets().items()}
    own = Path(__file__).resolve().parents[1] / "nlu" / "data"
    if any(own.glob("*.yml")):
        sets["frontdesk"] = load_training_data(own)
    return sets

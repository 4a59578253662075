"""Does a change to the desk's training data help? Paired cross-validation against a git revision.

Plain k-fold numbers of the old and the new data are not comparable: a few added examples
reshuffle every fold, which moves the mean by about a point either way (docs/nlu.md). Here the
folds are drawn over the OLD examples only; each fold's model is trained on the old training
part with and without the added examples, and both are scored on the same held-out part. Prints
JSON: the accuracy and macro-F1 of each, and the examples added or removed.

    .venv/bin/python benchmarks/nlu_data_change.py [--against HEAD] [--folds 5] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.model_selection import StratifiedKFold  # noqa: E402

from nlu import EmbeddedEngine, TrainingData, evaluate, load_training_data  # noqa: E402
from nlu.default import DEFAULT_DATA_DIR  # noqa: E402


def data_at(revision: str, work: Path) -> TrainingData:
    """The desk's training data as it was at ``revision``."""
    folder = DEFAULT_DATA_DIR.relative_to(ROOT)
    for path in sorted(DEFAULT_DATA_DIR.glob("*.yml")):
        shown = subprocess.run(
            ["git", "show", f"{revision}:{folder / path.name}"], cwd=ROOT, capture_output=True, check=False
        )
        if shown.returncode == 0:
            (work / path.name).write_bytes(shown.stdout)
    return load_training_data(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="the git revision of the old data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2, help="shuffles of the folds (seeds 0, 1, ...)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp())
    try:
        old = data_at(args.against, work)
    finally:
        shutil.rmtree(work)
    new = load_training_data(DEFAULT_DATA_DIR)

    def key(example: object) -> tuple[str, str]:
        return (example.text, example.intent)  # type: ignore[attr-defined]

    old_keys = {key(e) for e in old.examples}
    new_index = {key(e): i for i, e in enumerate(new.examples)}
    added = [i for i, e in enumerate(new.examples) if key(e) not in old_keys]
    removed = [e for e in old.examples if key(e) not in new_index]
    labels = [e.intent for e in old.examples]
    scores: dict[str, dict[str, list[float]]] = {
        side: {"accuracy": [], "macro_f1": []} for side in ("old", "new")
    }
    for seed in range(args.repeats):
        folds = StratifiedKFold(args.folds, shuffle=True, random_state=seed)
        for train, test in folds.split(np.zeros(len(labels)), labels):
            held_out = old.filter(test)
            kept = [new_index[key(old.examples[i])] for i in train if key(old.examples[i]) in new_index]
            for side, data in (("old", old.filter(train)), ("new", new.filter(kept + added))):
                metrics = evaluate(EmbeddedEngine.train(data), held_out, threshold=0.0).metrics
                for name in ("accuracy", "macro_f1"):
                    scores[side][name].append(metrics[name])
    print(
        json.dumps(
            {
                "against": args.against,
                "folds": args.folds,
                "repeats": args.repeats,
                "examples": {"old": len(old.examples), "added": len(added), "removed": len(removed)},
                **{
                    side: {name: round(float(np.mean(v)), 4) for name, v in values.items()}
                    for side, values in scores.items()
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

"""The embedded engine's side of the benchmark, run as its own process so memory is its own.

    .venv/bin/python benchmarks/nlu_worker.py train TRAIN.yml MODEL.npz
    .venv/bin/python benchmarks/nlu_worker.py predict MODEL.npz TEXTS.jsonl PRED.jsonl

Prints one JSON line of measurements, like benchmarks/rasa/rasa_worker.py. Predictions carry the
best intent before any out-of-scope threshold.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _peak_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss survives exec, so a child of a large
    parent would report the parent's size; VmHWM belongs to the new program alone."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    command, *args = sys.argv[1:]
    started = time.perf_counter()
    from nlu import EmbeddedEngine, load_training_data

    imported = time.perf_counter()
    if command == "train":
        data_file, model_file = args
        data = load_training_data(data_file)
        t0 = time.perf_counter()
        EmbeddedEngine.train(data).save(model_file)
        report = {"import_s": round(imported - started, 3), "train_s": round(time.perf_counter() - t0, 3)}
    elif command == "predict":
        model_file, texts_file, out = args
        texts = [
            json.loads(line)["text"] for line in Path(texts_file).read_text(encoding="utf-8").splitlines()
        ]
        t0 = time.perf_counter()
        engine = EmbeddedEngine.load(model_file)
        loaded = time.perf_counter()
        with Path(out).open("w", encoding="utf-8") as sink:
            for text in texts:
                t1 = time.perf_counter()
                parse = engine.parse(text, threshold=0.0)
                latency = (time.perf_counter() - t1) * 1000
                top = parse.intent_ranking[0]
                line = {"text": text, "intent": top.name, "confidence": top.confidence, "latency_ms": latency}
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
        report = {"import_s": round(imported - started, 3), "load_s": round(loaded - t0, 3), "n": len(texts)}
    else:
        raise SystemExit(f"unknown command {command!r}")
    report["peak_mb"] = _peak_mb()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

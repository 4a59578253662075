"""The embedded engine's side of the benchmark, run as its own process so memory is its own.

    .venv/bin/python benchmarks/nlu_worker.py train TRAIN.yml MODEL.npz
    .venv/bin/python benchmarks/nlu_worker.py predict MODEL.npz TEXTS.jsonl PRED.jsonl

Prints one JSON line of measurements, like benchmarks/rasa/rasa_worker.py. Predictions carry the
best intent before any out-of-scope threshold.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from peak_memory import peak_mb


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
    report["peak_mb"] = peak_mb()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

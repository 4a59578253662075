"""Runs inside .venv-rasa (Python 3.10, Rasa 3.6): trains, or loads and predicts, and reports.

    .venv-rasa/bin/python benchmarks/rasa/rasa_worker.py train CONFIG TRAIN.yml OUT_DIR
    .venv-rasa/bin/python benchmarks/rasa/rasa_worker.py predict MODEL.tar.gz TEXTS.jsonl PRED.jsonl

Prints one JSON line of measurements (seconds, milliseconds, peak resident memory in MB). The
predictions keep Rasa's best real intent and its confidence (skipping ``nlu_fallback``) so that
the benchmark applies one out-of-scope threshold to every engine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
logging.disable(logging.WARNING)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peak_memory import peak_mb  # noqa: E402


def train(config: str, data: str, out: str) -> dict[str, object]:
    started = time.perf_counter()
    import rasa
    from rasa.model_training import train_nlu

    imported = time.perf_counter()
    model = train_nlu(config, data, out, fixed_model_name="model")
    done = time.perf_counter()
    return {
        "model": str(model),
        "rasa_version": rasa.__version__,
        "import_s": round(imported - started, 3),
        "train_s": round(done - imported, 3),
        "peak_mb": peak_mb(),
    }


async def _predict(model: str, texts: list[str], sink: list[str]) -> dict[str, object]:
    started = time.perf_counter()
    from rasa.core.agent import Agent

    imported = time.perf_counter()
    agent = Agent.load(model)
    loaded = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        result = await agent.parse_message(text)
        latency = (time.perf_counter() - t0) * 1000
        ranking = [r for r in result.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        top = ranking[0] if ranking else result.get("intent") or {"name": None, "confidence": 0.0}
        own = result.get("intent") or {}
        line = {
            "text": text,
            "intent": top["name"],
            "confidence": top["confidence"],
            "latency_ms": latency,
            # Rasa's own decision (``nlu_fallback`` when its FallbackClassifier fires) and the
            # real intents' ranking, so other out-of-scope rules can be scored without retraining.
            "rasa_intent": own.get("name"),
            "ranking": [[r["name"], round(float(r["confidence"]), 6)] for r in ranking[:5]],
        }
        sink.append(json.dumps(line, ensure_ascii=False) + "\n")
    import rasa

    return {
        "rasa_version": rasa.__version__,
        "import_s": round(imported - started, 3),
        "load_s": round(loaded - imported, 3),
        "peak_mb": peak_mb(),
        "n": len(texts),
    }


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "train":
        report = train(*args)
    elif command == "predict":
        model, texts_file, out = args
        texts = [
            json.loads(line)["text"] for line in Path(texts_file).read_text(encoding="utf-8").splitlines()
        ]
        lines: list[str] = []
        report = asyncio.run(_predict(model, texts, lines))
        Path(out).write_text("".join(lines), encoding="utf-8")
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

"""Embedded NLU against Rasa 3.6 on the public corpora, side by side.

    .venv/bin/python benchmarks/nlu_bench.py [--sets NAME ...] [--engines ours rasa] [--fresh-rasa]

For each set (Braun 2017 x3, HINT3 v1 full x3, SMP2019 Chinese) both engines train on the same
training split in their own process and then load the model and parse every test sentence in a
second process; each process reports its peak resident memory. One out-of-scope threshold
(``--threshold``, default the engine's 0.35) is applied to the best intent of both engines.

Rasa takes minutes to ~45 minutes per set, so its measurements and predictions are committed
under ``benchmarks/results/rasa/`` (one compact JSON per set, with the Rasa version and date) and
reused as long as the split is the same; ``--fresh-rasa`` retrains Rasa and rewrites them. Our
engine always retrains (seconds) unless ``--reuse-ours``. Prints JSON and rewrites the ``nlu``
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]

from nlu_bench_report import write_section  # noqa: E402
from nlu_corpora import benchmark_sets, language_of  # noqa: E402

from nlu import DEFAULT_THRESHOLD, TrainingData  # noqa: E402
from nlu.evaluation import OOS_LABELS, score  # noqa: E402
from nlu.writer import to_rasa_yaml  # noqa: E402

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
RASA_RESULTS = ROOT / "benchmarks" / "results" / "rasa"
_DECIMALS = {"latency_ms": 3, "confidence": 6}
WORKERS = {
    "ours": (Path(sys.executable), ROOT / "benchmarks" / "nlu_worker.py"),
    "rasa": (RASA_PYTHON, ROOT / "benchmarks" / "rasa" / "rasa_worker.py"),
}


def _run(cmd: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall_s"] = round(time.perf_counter() - started, 3)
    return report


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_engine(engine: str, name: str, train: TrainingData, test: TrainingData, work: Path) -> dict[str, Any]:
    """Trains and predicts with one engine; returns raw measurements and predictions."""
    python, worker = WORKERS[engine]
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    train_file, texts_file = folder / "train.yml", folder / "test.jsonl"
    train_file.write_text(to_rasa_yaml(train), encoding="utf-8")
    lines = [json.dumps({"text": " ".join(ex.text.split())}, ensure_ascii=False) for ex in test.examples]
    texts_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if engine == "rasa":
        config = (
            ROOT / "benchmarks" / "rasa" / ("config-zh.yml" if language_of(name) == "zh" else "config.yml")
        )
        trained = _run(
            [str(python), str(worker), "train", str(config), str(train_file), str(folder / "rasa")]
        )
        model = trained["model"]
    else:
        model = str(folder / "ours.npz")
        trained = _run([str(python), str(worker), "train", str(train_file), model])
    out = folder / f"{engine}-predictions.jsonl"
    served = _run([str(python), str(worker), "predict", model, str(texts_file), str(out)])
    predictions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {"train": trained, "serve": served, "predictions": predictions}


def summarise(raw: dict[str, Any], test: TrainingData, threshold: float) -> dict[str, Any]:
    """Metrics of one engine on one set at ``threshold``, plus speed and memory."""
    preds = raw["predictions"]
    gold = [ex.intent for ex in test.examples]
    labels = [p["intent"] if p["confidence"] >= threshold else "oos" for p in preds]
    metrics = score(gold, labels, top=[(p["intent"], p["confidence"]) for p in preds])
    latencies = [p["latency_ms"] for p in preds]
    result = {
        k: metrics[k]
        for k in ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "ece")
        if k in metrics
    }
    if "in_scope_accuracy" in metrics:
        low = [p["intent"] if p["confidence"] >= 0.1 else "oos" for p in preds]
        result["in_scope_accuracy_at_0.1"] = score(gold, low)["in_scope_accuracy"]
    result.update(
        train_s=raw["train"]["train_s"],
        load_s=raw["serve"]["load_s"],
        parse_p50_ms=round(_percentile(latencies, 0.5), 3),
        parse_p99_ms=round(_percentile(latencies, 0.99), 3),
        train_peak_mb=raw["train"]["peak_mb"],
        serve_peak_mb=raw["serve"]["peak_mb"],
    )
    return result


def operating_points(preds: list[dict[str, Any]], test: TrainingData, oos_recall: float) -> dict[str, Any]:
    """Threshold-free out-of-scope figures of one engine on a set with out-of-scope messages.

    ``oos_auroc``: how well the best intent's confidence separates in-scope from out-of-scope
    messages (1 = perfectly, 0.5 = not at all), whatever threshold is used. ``matched_*``: the
    in-scope accuracy and the accuracy when this engine's threshold is set to reject at least
    ``oos_recall`` of the out-of-scope messages (the smallest such threshold), so that two
    engines can be compared at the same rejection rate rather than at the same number.
    """
    from sklearn.metrics import roc_auc_score

    gold = [ex.intent for ex in test.examples]
    is_oos = [g in OOS_LABELS for g in gold]
    conf = [float(p["confidence"]) for p in preds]
    oos_conf = sorted(c for c, o in zip(conf, is_oos, strict=True) if o)
    # Rejecting below t catches every out-of-scope message with confidence < t.
    need = math.ceil(oos_recall * len(oos_conf) - 1e-9)
    threshold = oos_conf[need - 1] + 1e-9 if need else 0.0
    right_in = sum(
        1
        for p, g, c, o in zip(preds, gold, conf, is_oos, strict=True)
        if not o and c >= threshold and p["intent"] == g
    )
    caught = sum(1 for c, o in zip(conf, is_oos, strict=True) if o and c < threshold)
    n_in = len(gold) - len(oos_conf)
    return {
        "oos_auroc": round(float(roc_auc_score(is_oos, [-c for c in conf])), 3),
        "matched_threshold": round(threshold, 3),
        "matched_oos_recall": round(caught / len(oos_conf), 3),
        "matched_in_scope_accuracy": round(right_in / n_in, 3),
        "matched_accuracy": round((right_in + caught) / len(gold), 3),
    }


def split_digest(train: TrainingData, test: TrainingData) -> str:
    """Identifies a split: stored Rasa results are reused only for exactly these examples."""
    digest = hashlib.sha256()
    for part in (train, test):
        for ex in part.examples:
            digest.update(f"{ex.intent}\t{' '.join(ex.text.split())}\n".encode())
        digest.update(b"--\n")
    return digest.hexdigest()[:16]


def load_rasa_result(name: str, digest: str) -> dict[str, Any] | None:
    """The committed Rasa measurements and predictions of a set, if they match the split."""
    path = RASA_RESULTS / f"{name}.json"
    if not path.exists():
        return None
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if stored["meta"]["split"] != digest:
        print(f"{path}: stored for another split of {name}; ignored", file=sys.stderr)
        return None
    return stored


def save_rasa_result(name: str, digest: str, raw: dict[str, Any], metrics: dict[str, Any]) -> None:
    """One compact JSON per set: meta, metrics at the bench threshold, training and serving
    measurements, and one line per test sentence (no text: the split digest pins the order)."""
    meta = {
        "engine": "rasa",
        "rasa_version": raw["train"].get("rasa_version", "?"),
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {_cpus()} CPUs",
        "config": f"benchmarks/rasa/{'config-zh.yml' if language_of(name) == 'zh' else 'config.yml'}",
        "split": digest,
    }
    train = {k: v for k, v in raw["train"].items() if k != "model"}
    predictions = [
        {k: (round(v, _DECIMALS[k]) if k in _DECIMALS else v) for k, v in p.items() if k != "text"}
        for p in raw["predictions"]
    ]
    head = {"meta": meta, "metrics": metrics, "train": train, "serve": raw["serve"]}
    lines = [json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in predictions]
    text = json.dumps(head, ensure_ascii=False)[:-1] + ',"predictions":[\n' + ",\n".join(lines) + "\n]}\n"
    RASA_RESULTS.mkdir(parents=True, exist_ok=True)
    (RASA_RESULTS / f"{name}.json").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+")
    parser.add_argument("--engines", nargs="+", default=["ours", "rasa"], choices=sorted(WORKERS))
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "nlu-bench")
    parser.add_argument(
        "--fresh-rasa", action="store_true", help="retrain Rasa and rewrite benchmarks/results/rasa/"
    )
    parser.add_argument("--reuse-ours", action="store_true", help="reuse cached results of our engine too")
    parser.add_argument(
        "--cached-rasa-only", action="store_true", help="never train Rasa; use stored results or skip"
    )
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    sets = benchmark_sets()
    names = args.sets or list(sets)
    results: dict[str, Any] = {}
    rasa_runs: dict[str, str] = {}
    for name in names:
        train, test = sets[name]
        results[name] = {"train_n": len(train.examples), "test_n": len(test.examples), "engines": {}}
        digest = split_digest(train, test)
        raws: dict[str, dict[str, Any]] = {}
        for engine in args.engines:
            cache = args.work / name / f"{engine}-raw.json"
            stored = None if engine != "rasa" or args.fresh_rasa else load_rasa_result(name, digest)
            if stored is not None:
                raw = stored
            elif engine == "ours" and args.reuse_ours and cache.exists():
                raw = json.loads(cache.read_text(encoding="utf-8"))
            else:
                if engine == "rasa" and (args.cached_rasa_only or not RASA_PYTHON.exists()):
                    print(f"skipping rasa on {name}: no stored result / no .venv-rasa", file=sys.stderr)
                    continue
                raw = run_engine(engine, name, train, test, args.work)
                cache.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
            results[name]["engines"][engine] = summarise(raw, test, args.threshold)
            if engine == "rasa":
                if stored is None:
                    save_rasa_result(name, digest, raw, summarise(raw, test, DEFAULT_THRESHOLD))
                    stored = load_rasa_result(name, digest)
                assert stored is not None
                rasa_runs[name] = f"Rasa {stored['meta']['rasa_version']}, {stored['meta']['date']}"
            raws[engine] = raw
            print(json.dumps({name: {engine: results[name]["engines"][engine]}}), file=sys.stderr, flush=True)
        engines = results[name]["engines"]
        if "rasa" in engines and "oos_recall" in engines["rasa"]:
            # Both engines at the rejection rate Rasa reaches at the shared threshold.
            for engine, raw in raws.items():
                engines[engine].update(
                    operating_points(raw["predictions"], test, engines["rasa"]["oos_recall"])
                )
    meta = {
        "threshold": args.threshold,
        "machine": f"{platform.machine()}, {_cpus()} CPUs",
        "python": sys.version.split()[0],
        "rasa_runs": rasa_runs,
    }
    print(json.dumps({"meta": meta, "results": results}, indent=2))
    write_section(args.docs, results, meta)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

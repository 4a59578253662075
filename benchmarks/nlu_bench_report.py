"""Markdown for the NLU benchmark: the ``<!-- nlu:start -->`` ... ``<!-- nlu:end -->`` section."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from doc_section import replace_section

START, END = "<!-- nlu:start -->", "<!-- nlu:end -->"

# HINT3 paper, v1 full, in-scope accuracy at threshold 0.1 (Rasa DIET); shared/data/nlu/README.md.
PUBLISHED_HINT3_RASA = {"hint3-sofmattress": 0.693, "hint3-curekart": 0.841, "hint3-powerplay11": 0.491}

_COLUMNS = [
    ("accuracy", "acc", "{:.3f}"),
    ("macro_f1", "macro-F1", "{:.3f}"),
    ("in_scope_accuracy", "in-scope acc", "{:.3f}"),
    ("oos_recall", "oos recall", "{:.3f}"),
    ("train_s", "train s", "{:.2f}"),
    ("load_s", "load s", "{:.2f}"),
    ("parse_p50_ms", "parse p50 ms", "{:.3f}"),
    ("parse_p99_ms", "parse p99 ms", "{:.3f}"),
    ("train_peak_mb", "train peak MB", "{:.0f}"),
    ("serve_peak_mb", "serve peak MB", "{:.0f}"),
]


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    return fmt.format(row[key]) if key in row else "–"


def render(results: dict[str, Any], meta: dict[str, Any]) -> str:
    """The Markdown section (without the markers)."""
    head = "| set | train/test | engine | " + " | ".join(title for _, title, _ in _COLUMNS) + " |"
    lines = [
        "## NLU: embedded engine vs Rasa 3.6",
        "",
        "Produced by `benchmarks/nlu_bench.py` (see docs/nlu.md). Same splits for both engines; "
        f"out-of-scope threshold {meta['threshold']} on the best intent of both; each engine trains in "
        f"one process and loads + parses in another (peak RSS of each). Machine: {meta['machine']}, "
        f"Python {meta['python']} (ours) / 3.10 (Rasa). Rasa: `rasa init` default pipeline "
        "(DIET 100 epochs), JiebaTokenizer for Chinese. Parse latency is in-process (Rasa: "
        "`Agent.parse_message`, no HTTP). Training time is the training call alone (imports excluded); "
        "load time is reading the model. The 2 cores were at times shared with other work, so "
        "times are indicative (the ratios hold across runs).",
        "",
        _rasa_provenance(meta.get("rasa_runs") or {}),
        "",
        head,
        "|" + "---|" * (3 + len(_COLUMNS)),
    ]
    for name, entry in results.items():
        for engine, row in entry["engines"].items():
            cells = " | ".join(_cell(row, key, fmt) for key, _, fmt in _COLUMNS)
            lines.append(f"| {name} | {entry['train_n']}/{entry['test_n']} | {engine} | {cells} |")
    hint3 = [n for n in results if n in PUBLISHED_HINT3_RASA]
    if hint3:
        lines += [
            "",
            "HINT3 in-scope accuracy at threshold 0.1 (the paper's setting):",
            "",
            "| set | ours | Rasa 3.6 (here) | Rasa DIET (paper) |",
            "|---|---|---|---|",
        ]
        for name in hint3:
            engines = results[name]["engines"]
            cells = [
                f"{engines[e]['in_scope_accuracy_at_0.1']:.3f}" if e in engines else "–"
                for e in ("ours", "rasa")
            ]
            lines.append(f"| {name} | {cells[0]} | {cells[1]} | {PUBLISHED_HINT3_RASA[name]:.3f} |")
    matched = [n for n in results if "matched_accuracy" in results[n]["engines"].get("ours", {})]
    if matched:
        lines += [
            "",
            "The same out-of-scope sets, compared at the same rejection rate instead of the same number: "
            "each engine's threshold is moved until it rejects as many out-of-scope messages as Rasa does "
            "at the shared threshold (an operating point chosen on the test set, so this is a comparison "
            "of the confidences, not a tuned result). AUROC: how well the best intent's confidence "
            "separates in-scope from out-of-scope messages over all thresholds.",
            "",
            "| set | oos recall | ours: threshold | ours: in-scope acc | ours: acc | rasa: in-scope acc "
            "| rasa: acc | oos AUROC ours / rasa |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name in matched:
            ours, rasa = results[name]["engines"]["ours"], results[name]["engines"]["rasa"]
            lines.append(
                f"| {name} | {ours['matched_oos_recall']:.3f} | {ours['matched_threshold']:.3f} "
                f"| {ours['matched_in_scope_accuracy']:.3f} | {ours['matched_accuracy']:.3f} "
                f"| {rasa['matched_in_scope_accuracy']:.3f} | {rasa['matched_accuracy']:.3f} "
                f"| {ours['oos_auroc']:.3f} / {rasa['oos_auroc']:.3f} |"
            )
    lines += ["", f"Our engine run on {date.today().isoformat()}."]
    return "\n".join(lines)


def _rasa_provenance(runs: dict[str, str]) -> str:
    """Which Rasa runs the table shows (they are stored, not retrained, by default)."""
    if not runs:
        return "No Rasa results in this run."
    groups: dict[str, list[str]] = {}
    for name, run in runs.items():
        groups.setdefault(run, []).append(name)
    parts = [f"{run} ({', '.join(names)})" for run, names in groups.items()]
    return (
        "Rasa rows come from `benchmarks/results/rasa/` (one JSON per set: metrics, timings and every "
        "prediction, reused until `--fresh-rasa`): " + "; ".join(parts) + "."
    )


def write_section(path: Path, results: dict[str, Any], meta: dict[str, Any]) -> None:
    """Replaces only the nlu section of ``path`` (creating the file or the section if needed)."""
    replace_section("nlu", render(results, meta), path)

"""What one open console costs the server: the requests it repeats every three seconds.

A real ``frontdesk serve`` (``bench_server.py``) with ``--waiting`` conversations queued for a
person (each "转人工" through the REST channel, so each has a ticket and a transcript). An agent
signs in; each endpoint the console polls is then requested ``--repeat`` times in a row: the
waiting list (50 rows), one conversation with its transcript, one ticket with its log, the
agent's notifications, and the group queues.

    .venv/bin/python benchmarks/console_bench.py [--waiting 60] [--repeat 50] [--engines sqlite,postgresql]

Prints JSON and rewrites the ``console`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from bench_server import per_engine, serving
from doc_section import replace_section

HISTORY = """\
The waiting list loaded each row's ticket, agent and place in line with queries of its own
until 2026-12-04 (fe28af6): 229 ms median for these 50 rows on SQLite, measured by hand on
the same machine; since then one query each for the whole page."""


async def run_engine(engine: str, waiting: int, repeat: int, model: Path) -> dict[str, Any]:
    async with serving(engine, model) as client:
        for n in range(waiting):
            said = await client.post(
                "/webhooks/rest/webhook", json={"sender": f"wait-{n}", "message": "转人工"}
            )
            said.raise_for_status()
        login = await client.post(
            "/api/v1/auth/login", json={"email": "li.wei@example.com", "password": "frontdesk-demo"}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        listed = (await client.get("/api/v1/conversations?mode=queued")).json()["items"]
        first = listed[0]
        paths = {
            "waiting list": "/api/v1/conversations?mode=queued",
            "conversation": f"/api/v1/conversations/{first['id']}",
            "ticket": f"/api/v1/tickets/{first['ticket']}",
            "notifications": "/api/v1/notifications",
            "queues": "/api/v1/queue",
        }
        timings: dict[str, Any] = {}
        for name, path in paths.items():
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            times.sort()
            timings[name] = {"p50_ms": round(statistics.median(times), 1), "p99_ms": round(times[-1], 1)}
    return {"engine": engine, "waiting": waiting, "rows": len(listed), "repeat": repeat, "endpoints": timings}


def write_section(rows: list[dict[str, Any]], when: str) -> None:
    lines = [
        "## What an open console costs (`benchmarks/console_bench.py`)",
        "",
        "A real `frontdesk serve` with 60 conversations waiting for a person; one agent's console",
        "polls these every 3 s. Each is requested 50 times in a row (p99 is the slowest of the 50).",
        "",
        "| database | endpoint | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for r in rows:
        for name, t in r["endpoints"].items():
            lines.append(f"| {r['engine']} | {name} ({r['rows']} rows) | {t['p50_ms']} | {t['p99_ms']} |"
                         if name == "waiting list" else f"| {r['engine']} | {name} | {t['p50_ms']} | {t['p99_ms']} |")  # fmt: skip
    lines += ["", f"Run on {when}, 2 cores.", "", HISTORY]
    replace_section("console", "\n".join(lines))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = await per_engine(
        args.engines, lambda engine, model: run_engine(engine, args.waiting, args.repeat, model)
    )
    write_section(rows, time.strftime("%Y-%m-%d"))


if __name__ == "__main__":
    asyncio.run(main())

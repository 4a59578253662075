"""What open consoles cost the server: the requests one repeats, and ten left open.

A real ``frontdesk serve`` (``bench_server.py``) with ``--waiting`` conversations queued for a
person (each "转人工" through the REST channel, so each has a ticket and a transcript). An agent
signs in; each endpoint the console polls is then requested ``--repeat`` times in a row: the
waiting list (50 rows), one conversation with its transcript, one ticket with its log, the
agent's notifications, and the group queues. Then ``--consoles`` consoles stay open on the quiet
desk for ``--seconds``, first polling every 3 s, then on the change stream, and the server's CPU
time is read from /proc.

    .venv/bin/python benchmarks/console_bench.py [--waiting 60] [--repeat 50] [--engines sqlite,postgresql]
        [--consoles 10] [--seconds 30]

Prints JSON and rewrites the ``console`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from bench_server import per_engine, serving
from doc_section import replace_section

HISTORY = """\
The waiting list loaded each row's ticket, agent and place in line with queries of its own
until 2026-12-04 (fe28af6): 229 ms median for these 50 rows on SQLite, measured by hand on
the same machine; since then one query each for the whole page."""


async def run_engine(
    engine: str, waiting: int, repeat: int, model: Path, consoles: int, seconds: float
) -> dict[str, Any]:
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
        idle = {mode: await idle_cost(client, paths, mode, consoles, seconds) for mode in ("poll", "push")}
    return {
        "engine": engine,
        "waiting": waiting,
        "rows": len(listed),
        "repeat": repeat,
        "endpoints": timings,
        "idle": idle,
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle_cost(
    client: httpx.AsyncClient, paths: dict[str, str], mode: str, consoles: int, seconds: float
) -> dict[str, Any]:
    """``consoles`` consoles open on a quiet desk for ``seconds``: each asks for its list, its
    conversation and its notifications every 3 s (``poll``, the console before 2026-12-05), or
    holds the change stream and asks only when told (``push``). The server's CPU time and the
    requests it answered in that window."""
    shown = [paths["waiting list"], paths["conversation"], paths["notifications"]]
    requests = 0

    async def look() -> None:
        nonlocal requests
        for path in shown:
            (await client.get(path)).raise_for_status()
            requests += 1

    async def polling() -> None:
        while True:
            await look()
            await asyncio.sleep(3)

    async def listening() -> None:
        nonlocal requests
        async with client.stream("GET", "/api/v1/changes", timeout=None) as stream:
            requests += 1
            async for line in stream.aiter_lines():
                if line in ("event: hello", "event: change"):
                    await look()

    pid: int = client.server_pid  # type: ignore[attr-defined]
    tasks = [asyncio.create_task(polling() if mode == "poll" else listening()) for _ in range(consoles)]
    await asyncio.sleep(2)  # every console has opened
    requests, before, started = 0, cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    used, elapsed = cpu_seconds(pid) - before, time.perf_counter() - started
    answered = requests
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"consoles": consoles, "seconds": round(elapsed, 1), "server_cpu_pct": round(100 * used / elapsed, 1),
            "requests": answered}  # fmt: skip


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
    idle = rows[0]["idle"]["poll"]
    lines += [
        "",
        f"{idle['consoles']} consoles open on a quiet desk for {idle['seconds']:.0f} s: the server's CPU time (in % of one",
        "core) and the requests it answered, when each console asks for its list, its conversation and its",
        "notifications every 3 s (the console before 2026-12-05), and when it holds the change stream",
        "(`GET /api/v1/changes`: one fingerprint query per second per process) and asks only when told.",
        "",
        "| database | consoles | polling: CPU % | polling: requests | change stream: CPU % | change stream: requests |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        poll, push = r["idle"]["poll"], r["idle"]["push"]
        lines.append(f"| {r['engine']} | {poll['consoles']} | {poll['server_cpu_pct']} | {poll['requests']} "
                     f"| {push['server_cpu_pct']} | {push['requests']} |")  # fmt: skip
    lines += ["", f"Run on {when}, 2 cores.", "", HISTORY]
    replace_section("console", "\n".join(lines))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--consoles", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    rows = await per_engine(
        args.engines,
        lambda engine, model: run_engine(
            engine, args.waiting, args.repeat, model, args.consoles, args.seconds
        ),
    )
    write_section(rows, time.strftime("%Y-%m-%d"))


if __name__ == "__main__":
    asyncio.run(main())

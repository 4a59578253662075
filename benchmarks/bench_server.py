"""A real ``frontdesk serve`` for a benchmark: its own fresh database (a SQLite file, or a new
PostgreSQL database dropped afterwards), migrated and seeded with the demo data, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def frontdesk(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "frontdesk"), *args], env=env, check=True, capture_output=True, cwd=ROOT)


@contextlib.asynccontextmanager
async def serving(
    engine: str, model: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a running server on ``engine`` (``sqlite`` or ``postgresql``); ``extra_env``
    sets more of its configuration (``FRONTDESK__...``)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    pg_name = None
    if engine == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        pg_name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"{PG_ADMIN.rpartition('/')[0]}/{pg_name}"
    port = free_port()
    env = {
        **os.environ,
        "FRONTDESK_CONFIG": str(ROOT / "config.yml"),
        "FRONTDESK__DATABASE__URL": url,
        "FRONTDESK__NLU__MODEL_PATH": str(model),
        "FRONTDESK__HTTP__PORT": str(port),
        "FRONTDESK__CHANNELS__EMAIL__SMTP_PORT": str(free_port()),
        # The simulated users are many people, all at 127.0.0.1: no per-address limit.
        "FRONTDESK__CHANNELS__REST__ADDRESS_LIMIT": "",
        **(extra_env or {}),
    }
    await asyncio.to_thread(frontdesk, env, "db", "upgrade")
    await asyncio.to_thread(frontdesk, env, "seed", "--demo")
    server = await asyncio.create_subprocess_exec(
        str(BIN / "frontdesk"), "serve", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            client.server_pid = server.pid  # type: ignore[attr-defined]  # for CPU readings
            yield client
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
        if pg_name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


async def per_engine(
    engines: str, run: Callable[[str, Path], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """``run(engine, model_path)`` for each of the comma-separated ``engines``, one NLU model file
    shared by them (trained by the first server); each row to stderr as it comes, all as JSON to
    stdout."""
    model = Path(tempfile.mkdtemp(prefix="bench-nlu-")) / "model.npz"
    rows = []
    for engine in engines.split(","):
        row = await run(engine, model)
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    print(json.dumps(rows, indent=2))
    return rows

"""``frontdesk serve`` as ``make run`` starts it, in a subprocess on a migrated, seeded SQLite
database in a directory of its own: for tests that need a real HTTP server (a browser, a
stream that the in-process test client would buffer)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.fakes.smtp import free_port
from tests.test_cli import FRONTDESK


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def frontdesk_serve(work: Path, nlu_model: Path) -> Iterator[Served]:
    shutil.copy(ROOT / "config.yml", work / "config.yml")
    port = free_port()
    env = {
        **os.environ,
        "FRONTDESK__DATABASE__URL": f"sqlite:///{work / 'fd.db'}",
        "FRONTDESK__NLU__MODEL_PATH": str(nlu_model),
        "FRONTDESK__CHANNELS__EMAIL__SMTP_PORT": str(free_port()),
    }
    for step in (["db", "upgrade"], ["seed", "--demo"]):
        done = subprocess.run([str(FRONTDESK), *step], cwd=work, env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
    log_path = work / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(FRONTDESK), "serve", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log_path.read_text()
            time.sleep(0.1)
        yield Served(url, proc, log_path)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()

"""RasaBackend against a real Rasa 3.6 server (``make rasa`` builds .venv-rasa).

Skipped when .venv-rasa is missing, except with ``CI=true``, where it must run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nlu import EmbeddedEngine, RasaBackend, parse_yaml

pytestmark = pytest.mark.rasa

RASA = Path(__file__).resolve().parents[2] / ".venv-rasa" / "bin" / "rasa"

DATA = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - hey there
    - good morning
    - hello bot
    - hi team
- intent: report_problem
  examples: |
    - my [outlook](category) is broken
    - [outlook](category) does not start
    - the [printer](category) is jammed
    - [printer](category) not printing
    - my [laptop](category) will not boot
    - the [vpn](category) keeps dropping
- intent: check_status
  examples: |
    - status of [INC-12](ticket_ref)
    - any update on [REQ-7](ticket_ref)
    - what about [INC-300](ticket_ref)
    - is [PRB-5](ticket_ref) fixed
    - update on my ticket please
    - where is my ticket
- synonym: email
  examples: |
    - outlook
- regex: ticket_ref
  examples: |
    - (?:INC|REQ|PRB)-\\d+
"""

CONFIG = """\
recipe: default.v1
language: en
assistant_id: frontdesk-test
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 40
  - name: RegexEntityExtractor
  - name: EntitySynonymMapper
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not RASA.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{RASA} is missing; CI must build it with 'make rasa'")
        pytest.skip("Rasa peer not installed (make rasa)")
    work = tmp_path_factory.mktemp("rasa")
    (work / "nlu.yml").write_text(DATA, encoding="utf-8")
    (work / "config.yml").write_text(CONFIG, encoding="utf-8")
    # Rasa's own training cache, kept beside the Rasa venv (per machine): with the same data and
    # pipeline a later run restores the trained components (15 s instead of 100 s here).
    cache = RASA.resolve().parents[2] / "rasa-train-cache"
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_CACHE_DIRECTORY": str(cache),
    }
    train = [str(RASA), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml", "--out", "models"]
    subprocess.run([*train, "--fixed-model-name", "m"], cwd=work, env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    port = _free_port()
    log = (work / "rasa.log").open("wb")
    serve = [str(RASA), "run", "--enable-api", "-m", "models/m.tar.gz", "-i", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(serve, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"rasa run exited with {proc.returncode}: {(work / 'rasa.log').read_text()[-2000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/status", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail("rasa run did not answer within 180 s")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def other_engine() -> EmbeddedEngine:
    """A fallback that knows other intents, so an answer with Rasa's intents came from Rasa."""
    return EmbeddedEngine.train(parse_yaml("nlu:\n- intent: fallback_only\n  examples: |\n    - anything\n"))


async def test_real_rasa_parse_is_mapped(
    rasa_url: str, other_engine: EmbeddedEngine, caplog: pytest.LogCaptureFixture
) -> None:
    async with RasaBackend(rasa_url, other_engine, timeout=30, threshold=0.0) as backend:
        problem = await backend.parse("my outlook is broken again")
        status = await backend.parse("any news on INC-4242")
    assert not [r for r in caplog.records if r.name == "nlu.rasa_backend"]
    assert problem.intent.name == "report_problem"
    assert {i.name for i in problem.intent_ranking} == {"greet", "report_problem", "check_status"}
    assert 0.0 < problem.intent.confidence <= 1.0
    assert status.intent.name == "check_status"
    refs = [e for e in status.entities if e.entity == "ticket_ref"]
    assert "RegexEntityExtractor" in {e.extractor for e in refs}  # DIET may find it too
    for ref in refs:
        assert (ref.value, ref.text, status.text[ref.start : ref.end]) == ("INC-4242",) * 3
    assert problem.to_rasa()["language"] == "en"


async def test_stopped_rasa_falls_back(other_engine: EmbeddedEngine) -> None:
    async with RasaBackend(f"http://127.0.0.1:{_free_port()}", other_engine, timeout=2) as backend:
        assert (await backend.parse("hello")).intent.name in {"fallback_only", "oos"}

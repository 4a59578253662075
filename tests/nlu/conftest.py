"""Fixtures for the NLU tests: small data sets, a trained desk engine, a fake Rasa server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from nlu import EmbeddedEngine, TrainingData, load_default_engine, parse_yaml

SMALL_YAML = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello there
    - good morning
    - hey
    - 你好
    - 早上好
- intent: report_problem
  examples: |
    - my [outlook](category) is broken
    - [printer](category) does not print
    - the [vpn](category) keeps dropping
    - 我的[邮箱](category)打不开
    - [打印机](category)坏了
    - my [laptop](category) will not start
- intent: check_status
  examples: |
    - status of [INC-12](ticket_ref)
    - any update on [REQ-7](ticket_ref)
    - is my ticket done
    - [INC-3](ticket_ref)进度
    - 我的工单怎么样了
    - what's happening with my request
- synonym: email
  examples: |
    - outlook
    - 邮箱
- synonym: printer
  examples: |
    - 打印机
- regex: ticket_ref
  examples: |
    - (?<![A-Za-z0-9])(?:INC|REQ|PRB)[-_ ]?\\d+
- lookup: category
  examples: |
    - email
    - printer
    - vpn
    - laptop
"""


@pytest.fixture(scope="session")
def small_data() -> TrainingData:
    return parse_yaml(SMALL_YAML, "small.yml")


@pytest.fixture(scope="session")
def small_engine(small_data: TrainingData) -> EmbeddedEngine:
    return EmbeddedEngine.train(small_data)


@pytest.fixture(scope="session")
def desk_engine(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedEngine:
    """The packaged model, trained once per test session."""
    return load_default_engine(tmp_path_factory.mktemp("model") / "nlu-model.npz")


@dataclass
class FakeRasa:
    """A minimal HTTP/1.1 server on 127.0.0.1 that answers POST /model/parse as told."""

    respond: Callable[[dict[str, Any]], tuple[int, bytes]]
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self._answer(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append({"line": lines[0], "json": json.loads(body or b"{}")})
        if self.delay:
            await asyncio.sleep(self.delay)
        status, content = self.respond(self.requests[-1]["json"])
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(content)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + content
        )
        await writer.drain()


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa(respond=lambda _: (200, b"{}"))
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    async with server:
        yield fake
        server.close()
        for task in fake.tasks:
            task.cancel()
        await asyncio.gather(*fake.tasks, return_exceptions=True)

"""Local stand-ins for the chat platforms, served over real HTTP so that the real SDKs talk to them
through their configured base URL. Each records every call and can be told to fail."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

FILES = {"documents/file_1.pdf": b"%PDF-1.4 a small test file\n"}


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # ``fail_on`` answers (status, description, parameters) the next ``fail_times`` times (0: always).
    fail_with: tuple[int, str, dict[str, Any]] | None = None
    fail_on: str = "sendMessage"
    fail_times: int = 0
    port: int = 0
    _next_id: int = 500

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def sent(self) -> list[dict[str, Any]]:
        return [params for method, params in self.calls if method == "sendMessage"]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> Response:
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
            form = (
                await request.form()
                if request.headers.get("content-type", "").startswith(("multipart", "application/x-www"))
                else {}
            )
            params: dict[str, Any] = {}
            for key, value in form.items():
                if not isinstance(value, str):  # an uploaded file: its name and bytes
                    params[key] = {"filename": value.filename, "data": await value.read()}
                    continue
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            if form:
                await form.close()  # type: ignore[union-attr]
            if not form and (body := await request.body()):
                params = json.loads(body)
            self.calls.append((method, params))
            if self.fail_with and method == self.fail_on:
                status, description, parameters = self.fail_with
                if self.fail_times > 0:
                    self.fail_times -= 1
                    if self.fail_times == 0:
                        self.fail_with = None
                return JSONResponse(
                    {"ok": False, "error_code": status, "description": description, "parameters": parameters},
                    status,
                )
            return JSONResponse({"ok": True, "result": self._result(method, params)})

        @app.get("/file/bot{token}/{path:path}")
        async def download(token: str, path: str) -> Response:
            if token != self.token or path not in FILES:
                return Response(status_code=404)
            return Response(FILES[path], media_type="application/octet-stream")

        return app

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "Frontdesk", "username": "frontdesk_bot"}
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            self._next_id += 1
            return {
                "message_id": self._next_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        if method == "getFile":
            return {
                "file_id": params["file_id"],
                "file_unique_id": "u1",
                "file_size": 27,
                "file_path": "documents/file_1.pdf",
            }
        return True


class _Fake(Protocol):
    port: int

    def app(self) -> FastAPI: ...


F = TypeVar("F", bound=_Fake)


@asynccontextmanager
async def serve_fake(fake: F) -> AsyncIterator[F]:
    """Run ``fake`` (a platform stand-in with an ``app()``) on a free local port for the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        fake.port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=fake.port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event to wait on
        if task.done():  # it could not start (a port taken since the probe): say why, do not wait
            task.result()
            raise RuntimeError(f"the fake {type(fake).__name__} stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield fake
    finally:
        server.should_exit = True
        await task


@dataclass
class FakeTwilio:
    """Twilio's Messages API and media URLs."""

    account_sid: str = "AC00000000000000000000000000000001"
    auth_token: str = "twilio-auth-token"
    calls: list[dict[str, str]] = field(default_factory=list)
    fail_with: tuple[int, int, str] | None = None  # HTTP status, Twilio code, message
    fail_after: int = 0  # with fail_with: the calls up to this many in all still succeed
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
        async def create(sid: str, request: Request) -> Response:
            if sid != self.account_sid or not request.headers.get("authorization", "").startswith("Basic "):
                return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
            form = {k: str(v) for k, v in (await request.form()).items()}
            self.calls.append(form)
            if self.fail_with and len(self.calls) > self.fail_after:
                status, code, message = self.fail_with
                return JSONResponse({"code": code, "message": message, "status": status}, status)
            return JSONResponse(
                {"sid": f"SM{len(self.calls):032d}", "account_sid": sid, "to": form["To"], "from": form["From"],
                 "body": form["Body"], "status": "queued", "num_segments": "1"},
                201,
            )  # fmt: skip

        @app.get("/media/{name}")
        async def media(name: str, request: Request) -> Response:
            if not request.headers.get("authorization", "").startswith("Basic "):
                return Response(status_code=401)
            return Response(b"\xff\xd8\xff\xe0 fake jpeg", media_type="image/jpeg")

        return app


@dataclass
class FakeOAuth:
    """An identity provider's OAuth 2.0 token endpoint (Microsoft Entra ID's, Google's): client
    credentials (RFC 6749 §4.4) or a refresh token (§6) for an access token. Like Microsoft, it
    answers a refresh with a new refresh token, which the next one must use."""

    client_id: str = "frontdesk-imap"
    client_secret: str = "app-secret"
    refresh_token: str = "refresh-1"
    access_token: str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.mailbox-access"
    expires_in: int = 3599
    calls: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/contoso.onmicrosoft.com/oauth2/v2.0/token"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/contoso.onmicrosoft.com/oauth2/v2.0/token")
        async def token(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            self.calls.append(form)
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return JSONResponse({"error": "invalid_client", "error_description":
                                     "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"}, 401)  # fmt: skip
            answer: dict[str, Any] = {"token_type": "Bearer", "expires_in": self.expires_in,
                                      "access_token": self.access_token}  # fmt: skip
            if form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") != self.refresh_token:
                    return JSONResponse({"error": "invalid_grant", "error_description": "AADSTS70000"}, 400)
                self.refresh_token += "+"
                answer["refresh_token"] = self.refresh_token
            elif form.get("grant_type") != "client_credentials":
                return JSONResponse({"error": "unsupported_grant_type"}, 400)
            return JSONResponse(answer)

        return app


SLACK_FILE = b"\x89PNG\r\n\x1a\n a small test picture"


@dataclass
class FakeSlack:
    """Slack's Web API (the methods Frontdesk calls) and its private file host.

    ``users`` maps Slack user ids to ``users.info`` profiles. ``fail_with`` makes the method
    ``fail_on`` answer (HTTP status, JSON body or ``None`` for a non-JSON body, headers) the
    next ``fail_times`` times (all of them while ``fail_times`` is 0)."""

    token: str = "xoxb-test-token"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    downloads: list[tuple[str, str]] = field(default_factory=list)  # path, Authorization
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes sent to its upload URL
    fail_with: tuple[int, dict[str, Any] | None, dict[str, str]] | None = None
    fail_on: str = "chat.postMessage"
    fail_times: int = 0
    port: int = 0
    _ts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def file_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/files-pri/T111-F111/{name}"

    def posted(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/api/{method}", methods=["GET", "POST"])
        async def call(method: str, request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse({"ok": False, "error": "not_authed"})
            params: dict[str, Any] = dict(request.query_params)
            if request.headers.get("content-type", "").startswith("application/json"):
                params.update(json.loads(await request.body() or b"{}"))
            elif request.method == "POST":
                params.update({k: str(v) for k, v in (await request.form()).items()})
            self.calls.append((method, params))
            if method == self.fail_on and self.fail_with is not None:
                status, body, headers = self.fail_with
                if self.fail_times > 0:
                    self.fail_times -= 1
                    if self.fail_times == 0:
                        self.fail_with = None
                if body is None:
                    return Response("<html>upstream error</html>", status, headers, media_type="text/html")
                return JSONResponse(body, status, headers)
            return JSONResponse(self._result(method, params))

        @app.post("/upload/v1/{file_id}")
        async def upload(file_id: str, request: Request) -> Response:
            self.uploads[file_id] = await request.body()
            return Response("OK - 10", media_type="text/plain")

        @app.get("/files-pri/{team_file}/{name}")
        async def download(team_file: str, name: str, request: Request) -> Response:
            self.downloads.append((name, request.headers.get("authorization", "")))
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return Response(b"<html>login</html>", 302, {"location": "https://slack.com/signin"})
            return Response(SLACK_FILE, media_type="image/png")

        return app

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "frontdesk",
                    "team_id": "T111", "user_id": "UBOT", "bot_id": "BBOT"}  # fmt: skip
        if method in ("chat.postMessage", "chat.postEphemeral"):
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            return {"ok": True, "channel": params["channel"], "ts": ts,
                    "message": {"text": params.get("text", ""), "ts": ts}}  # fmt: skip
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.posted(method)):04d}"
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = json.loads(params["files"]) if isinstance(params.get("files"), str) else params["files"]
            return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in files]}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "")).lstrip("UW")}}
        return {"ok": False, "error": "unknown_method"}

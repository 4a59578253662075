"""A stand-in for the company's mail system holding the desk's mailbox: a real IMAP server
(pymap, its in-memory backend) in a child process, and an IMAP client (the standard library's)
that puts mail into the mailbox and reads its flags, as the mail system and a person would."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from channels.oauth import xoauth2
from tests.fakes.smtp import free_port

_FLAGS = re.compile(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)")


def _quoted(folder: str) -> str:
    return f'"{folder}"'  # imaplib sends names as they are: "Help Desk" has a space


class _TlsFront:
    """IMAPS (TLS from the first byte, port 993) in front of the server, as stunnel or the mail
    system's own port 993 does: pymap itself speaks only STARTTLS."""

    def __init__(self, context: ssl.SSLContext, target: int) -> None:
        self.port = free_port()
        self._context, self._target = context, target
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        listen = asyncio.start_server(self._pipe, "127.0.0.1", self.port, ssl=self._context)
        self._server = asyncio.run_coroutine_threadsafe(listen, self._loop).result(timeout=10)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            writer.close()
            return

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))


@dataclass
class FakeMailbox:
    """``tls``: a certificate authority (trustme) whose certificate the server shows, on its port
    with STARTTLS and on ``tls_port`` with TLS from the start."""

    user: str = "helpdesk@corp.example.com"
    password: str = "mailbox-secret"
    port: int = field(default_factory=free_port)
    tls: trustme.CA | None = None
    xoauth2: bool = False  # sign-in only with XOAUTH2, the password being the token (pymap_xoauth2)
    _process: subprocess.Popen[bytes] | None = None
    _front: _TlsFront | None = None
    _files: Path | None = None

    @property
    def tls_port(self) -> int:
        assert self._front is not None, "a mailbox without tls"
        return self._front.port

    def start(self) -> FakeMailbox:
        security = ["--no-tls"]
        if self.tls is not None:
            self._files = Path(tempfile.mkdtemp(prefix="imap-tls-"))
            issued = self.tls.issue_cert("127.0.0.1", "localhost")
            issued.cert_chain_pems[0].write_to_path(str(self._files / "cert.pem"))
            issued.private_key_pem.write_to_path(str(self._files / "key.pem"))
            security = ["--cert", str(self._files / "cert.pem"), "--key", str(self._files / "key.pem")]
            if self._front is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                issued.configure_cert(context)
                self._front = _TlsFront(context, self.port)
                self._front.start()
        launch = [str(Path(__file__).with_name("pymap_xoauth2.py"))] if self.xoauth2 else [
            "-c", "import sys; from pymap.main import main; sys.exit(main())"]  # fmt: skip
        command = [sys.executable, *launch, "--host", "127.0.0.1", "--port", str(self.port), *security,
                   "dict", "--demo-user", self.user, "--demo-password", self.password]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"pymap exited: {self._process.stderr.read().decode() if self._process.stderr else ''}"
                )
            try:  # ready once it answers as an IMAP server, signing in (not merely listening)
                with self._client():
                    return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.05)
        raise RuntimeError("pymap did not start answering")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def empty(self) -> None:
        """No mail and no folder but INBOX, as just started (without a restart, whose port another
        test's server could take meanwhile)."""
        with self._client() as client:
            typ, listed = client.list()
            assert typ == "OK", listed
            names = [
                line.decode().rsplit(' "/" ', 1)[-1].strip('"') for line in listed if isinstance(line, bytes)
            ]
            for name in names:
                if name.upper() != "INBOX":
                    assert client.delete(_quoted(name))[0] == "OK"
            if client.uid("SEARCH", "ALL")[1][0]:
                client.uid("STORE", "1:*", "+FLAGS", "(\\Deleted)")
                client.expunge()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.communicate(timeout=10)  # also closes its stderr pipe
            self._process = None

    def close(self) -> None:
        """Stop it for good: the server, the TLS front and their files."""
        self.stop()
        if self._front is not None:
            self._front.stop()
            self._front = None
        if self._files is not None:
            shutil.rmtree(self._files, ignore_errors=True)

    @contextlib.contextmanager
    def _client(self, folder: str = "INBOX") -> Iterator[imaplib.IMAP4]:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            if self.tls is not None:
                context = ssl.create_default_context()
                self.tls.configure_trust(context)
                client.starttls(context)
            if self.xoauth2:
                said = xoauth2(self.user, self.password)  # pymap_xoauth2 checks it on its own
                client.authenticate("XOAUTH2", lambda challenge: b"" if challenge else said)
            else:
                client.login(self.user, self.password)
            if client.select(_quoted(folder))[0] != "OK":
                raise RuntimeError(f"no folder {folder}")
            yield client
        finally:
            client.logout()

    def deliver(self, raw: bytes, *, seen: bool = False, folder: str = "INBOX") -> int:
        """Put a mail into the mailbox, as the mail system does; its UID."""
        with self._client(folder) as client:
            typ, data = client.append(_quoted(folder), "(\\Seen)" if seen else None, None, raw)
            assert typ == "OK", data
            found = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            assert found is not None, data
            return int(found.group(1))

    def create(self, folder: str) -> None:
        with self._client() as client:
            assert client.create(_quoted(folder))[0] == "OK"

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        """Each mail left in the folder, by UID, with its flags."""
        with self._client(folder) as client:
            typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
            assert typ == "OK", data
        out: dict[int, set[str]] = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            found = _FLAGS.search(line)
            if found:
                uid = found.group(1) or found.group(4)
                flags = found.group(2) if found.group(2) is not None else found.group(3)
                out[int(uid)] = set(flags.decode().split())
        return out

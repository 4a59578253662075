"""OAuth 2.0 access tokens for the desk's mailbox, where the mail system takes no password:
Exchange Online and Google Workspace sign-in over IMAP and SMTP with ``XOAUTH2``.

Tokens come from the provider's token endpoint (RFC 6749): the client-credentials grant (§4.4;
Microsoft 365, an app registration allowed ``IMAP.AccessAsApp`` or ``SMTP.SendAsApp``), or the
refresh-token grant (§6) when a refresh token is configured (Google Workspace, or a delegated
Microsoft sign-in). One form POST with httpx; authlib's httpx client would send the same, but
its httpx integration is deprecated (authlib 1.9) for one on httpx2.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

__all__ = ["OAuthTokens", "TokenError", "xoauth2"]


class TokenError(Exception):
    """The token endpoint cannot be reached or gives no token; the message says why."""


class OAuthTokens:
    """Access tokens from one OAuth 2.0 client, for one mailbox.

    A token is used until a minute before it expires, and dropped when a mail server refuses it,
    so the next sign-in asks for a new one. A new refresh token in an answer replaces the one
    configured, for as long as the process runs (Microsoft rotates them; the configured one
    stays valid until its own expiry). :meth:`get` blocks: call it from a worker thread.
    """

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        refresh_token: str | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._scope = scope
        self._refresh = refresh_token
        self._timeout = timeout
        self._clock = clock
        self._token: str | None = None
        self._until = 0.0
        self._lock = threading.Lock()  # IMAP's worker thread and the relay's may ask at once

    def get(self) -> str:
        """An access token, asked for when there is none that lasts another minute.

        Raises:
            TokenError: the token endpoint cannot be reached, or gives no token (its
                ``error_description`` says why: a wrong secret, a consent not given).
        """
        with self._lock:
            if self._token is None or self._clock() >= self._until:
                self._token, self._until = self._fetch()
            return self._token

    def forget(self, token: str) -> None:
        """A mail server refused ``token`` (revoked, or for another resource)."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        grant = (
            {"grant_type": "refresh_token", "refresh_token": self._refresh}
            if self._refresh
            else {"grant_type": "client_credentials"}
        )
        form = {**self._client, **grant, **({"scope": self._scope} if self._scope else {})}
        asked = self._clock()
        try:
            answer = httpx.post(
                self.url, data=form, headers={"Accept": "application/json"}, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise TokenError(f"cannot reach the token endpoint {self.url}: {exc}") from exc
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        token = body.get("access_token")
        if answer.status_code != 200 or not isinstance(token, str) or not token:
            reason = body.get("error_description") or body.get("error") or f"HTTP {answer.status_code}"
            raise TokenError(f"no access token from {self.url}: {str(reason).splitlines()[0]}")
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0  # optional in RFC 6749; providers give an hour
        if self._refresh and isinstance(body.get("refresh_token"), str):
            self._refresh = body["refresh_token"]
        return token, asked + lifetime - 60


def xoauth2(user: str, token: str) -> bytes:
    """The ``XOAUTH2`` initial response (Google's and Microsoft's SASL mechanism)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()

"""``nlu.backend: rasa`` — parse through a Rasa server, fall back to the embedded engine."""

from __future__ import annotations

import json
import logging
from types import TracebackType

import httpx

from nlu.config import DEFAULT_THRESHOLD
from nlu.engine import EmbeddedEngine
from nlu.parse import OOS_INTENT, IntentScore, Parse

__all__ = ["RasaBackend"]

logger = logging.getLogger(__name__)


class RasaBackend:
    """Async client of a Rasa server's ``POST /model/parse`` (``rasa run --enable-api``).

    A timeout, a connection error, an HTTP error status or an answer that is not a Rasa parse
    makes it log one warning line and answer with the embedded ``fallback`` engine instead, so a
    Rasa outage degrades understanding but never breaks a conversation. Rasa's ``nlu_fallback``
    and confidences below ``threshold`` become ``oos``, as with the embedded engine.

    Args:
        url: Base URL of the Rasa server, e.g. ``http://127.0.0.1:5005``.
        fallback: Engine used when Rasa does not answer properly.
        timeout: Seconds for the whole request.
        threshold: Out-of-scope threshold applied to Rasa's confidence.
        token: Rasa's ``--auth-token``, sent as the ``token`` query parameter.
        client: An ``httpx.AsyncClient`` to use (the caller then owns it); one is created otherwise.
    """

    def __init__(
        self,
        url: str,
        fallback: EmbeddedEngine,
        *,
        timeout: float = 2.0,
        threshold: float = DEFAULT_THRESHOLD,
        token: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.fallback = fallback
        self.timeout = timeout
        self.threshold = threshold
        self._params = {"token": token} if token else {}
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def parse(self, text: str) -> Parse:
        """Parses ``text`` with Rasa, or with the fallback engine when Rasa fails."""
        try:
            response = await self._client.post(
                self.url, json={"text": text}, params=self._params, timeout=self.timeout
            )
            response.raise_for_status()
            parse = Parse.from_rasa(response.json(), text)
        except httpx.TimeoutException:
            logger.warning("Rasa at %s timed out after %ss; using the embedded NLU", self.url, self.timeout)
        except httpx.HTTPStatusError as exc:
            logger.warning(
                "Rasa at %s answered HTTP %s; using the embedded NLU", self.url, exc.response.status_code
            )
        except httpx.HTTPError as exc:
            logger.warning("Rasa at %s failed (%s); using the embedded NLU", self.url, type(exc).__name__)
        except (json.JSONDecodeError, ValueError) as exc:
            logger.warning("Rasa at %s sent no parse result (%s); using the embedded NLU", self.url, exc)
        else:
            if parse.intent.name != OOS_INTENT and parse.intent.confidence < self.threshold:
                parse = _as_oos(parse)
            return parse
        return self.fallback.parse(text, threshold=self.threshold)

    aparse = parse

    async def aclose(self) -> None:
        """Closes the HTTP client if this backend created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> RasaBackend:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _as_oos(parse: Parse) -> Parse:
    top = IntentScore(OOS_INTENT, round(1.0 - parse.intent.confidence, 6))
    return Parse(parse.text, top, parse.intent_ranking, parse.entities, parse.language)

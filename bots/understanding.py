"""The configured NLU backend behind one async ``parse``: embedded, or Rasa with embedded fallback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bots.turn import without_greeting
from desk.settings import NluSettings
from nlu import EmbeddedEngine, Parse, RasaBackend, load_default_engine

__all__ = ["Understanding"]

# What a user comes to do, as opposed to chatter: after a greeting, these decide.
_TASKS = frozenset(
    {
        "report_problem",
        "request_service",
        "check_status",
        "add_info",
        "talk_to_human",
        "cancel_ticket",
        "reopen",
    }
)


class Understanding:
    """Loads (training on first use) the embedded model; wraps Rasa when ``nlu.backend: rasa``."""

    def __init__(self, settings: NluSettings, engine: EmbeddedEngine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._rasa: RasaBackend | None = None

    async def start(self) -> None:
        """Load or train the model off the event loop (training takes seconds)."""
        if self._engine is None:
            self._engine = await asyncio.to_thread(load_default_engine, Path(self.settings.model_path))
        if self.settings.backend == "rasa" and self._rasa is None:
            rasa = self.settings.rasa
            self._rasa = RasaBackend(
                rasa.url, self._engine, timeout=rasa.timeout, threshold=self.settings.threshold
            )

    @property
    def engine(self) -> EmbeddedEngine:
        assert self._engine is not None, "call start() first"
        return self._engine

    async def parse(self, text: str) -> Parse:
        """The intent and entities of ``text``. A greeting followed by what the user came for
        ("你好，打印机显示脱机了") is read for what follows it: the greeting's characters
        otherwise outweigh a short request, and the bot would only say hello back."""
        parse = await self._parse(text)
        if parse.intent.name == "greet":
            rest = without_greeting(text)
            if rest and rest != text.strip():
                after = await self._parse(rest)
                if after.intent.name in _TASKS:
                    return after
        return parse

    async def _parse(self, text: str) -> Parse:
        if self._engine is None:
            await self.start()
        if self._rasa is not None:
            return await self._rasa.parse(text)
        return self.engine.parse(text, threshold=self.settings.threshold)

    async def close(self) -> None:
        if self._rasa is not None:
            await self._rasa.aclose()

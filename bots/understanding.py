"""The configured NLU backend behind one async ``parse``: embedded, or Rasa with embedded fallback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desk.settings import NluSettings
from nlu import EmbeddedEngine, Parse, RasaBackend, load_default_engine

__all__ = ["Understanding"]


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
        if self._engine is None:
            await self.start()
        if self._rasa is not None:
            return await self._rasa.parse(text)
        return self.engine.parse(text, threshold=self.settings.threshold)

    async def close(self) -> None:
        if self._rasa is not None:
            await self._rasa.aclose()

"""Exceptions raised by the NLU package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["NluDataError", "NluError", "NluModelError"]


class NluError(Exception):
    """Base class of every error the NLU package raises on purpose."""


class NluDataError(NluError):
    """A training-data file is unreadable or malformed.

    The message always reads ``path:line: what is wrong`` so that editors and CI logs can jump to
    the offending line; ``line`` is 1-based, or ``None`` when the problem concerns the whole file.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class NluModelError(NluError):
    """A saved model cannot be used: missing, corrupt, or written by another format version."""

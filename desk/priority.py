"""ITIL priority: impact × urgency, through the matrix in ``priority.matrix``."""

from __future__ import annotations

from desk.errors import InvalidInput
from desk.settings import LEVELS, PrioritySettings

__all__ = ["LEVELS", "compute_priority", "level"]

_ALIASES = {"1": "high", "2": "medium", "3": "low", "h": "high", "m": "medium", "l": "low"}


def level(value: str | None, what: str) -> str:
    """``high``/``medium``/``low`` from those words, their initials or 1–3.

    Raises:
        InvalidInput: naming ``what`` for anything else.
    """
    text = str(value).strip().lower() if value is not None else ""
    text = _ALIASES.get(text, text)
    if text not in LEVELS:
        raise InvalidInput(f"{what} must be one of {', '.join(LEVELS)}", code=f"invalid_{what}")
    return text


def compute_priority(settings: PrioritySettings, impact: str, urgency: str) -> str:
    """The priority (``P1``–``P4``) the configured matrix gives ``impact`` × ``urgency``."""
    return settings.matrix[level(impact, "impact")][level(urgency, "urgency")]

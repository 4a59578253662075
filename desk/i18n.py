"""Message templates per language, kept in ``desk/locales/<lang>.yml``, not in code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["LANGUAGES", "normalise_language", "t"]

LANGUAGES = ("en", "zh")
_DIR = Path(__file__).parent / "locales"


@cache
def _catalog(lang: str) -> dict[str, str]:
    data = yaml.safe_load((_DIR / f"{lang}.yml").read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


def normalise_language(lang: str | None, default: str = "en") -> str:
    """``zh-CN``, ``zh_TW`` → ``zh``; anything unknown → ``default``."""
    if not lang:
        return default
    base = lang.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else default


def t(lang: str | None, key: str, /, **values: Any) -> str:
    """The template ``key`` in ``lang`` (English if that language lacks it), filled in.

    Raises:
        KeyError: if no language has ``key`` (a programming error, caught by the tests).
    """
    lang = normalise_language(lang)
    template = _catalog(lang).get(key) or _catalog("en")[key]
    return template.format(**values)

"""Message templates per language in YAML files (``<folder>/<lang>.yml``), not in code."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from desk.chinese import Traditional, to_traditional

__all__ = ["LANGUAGES", "Templates", "normalise_language", "t", "taiwan_tag", "traditional_tag"]

LANGUAGES = ("en", "zh")


def normalise_language(lang: str | None, default: str = "en") -> str:
    """``zh-CN``, ``zh_TW`` → ``zh``; anything unknown → ``default``."""
    if not lang:
        return default
    base = lang.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else default


def taiwan_tag(tag: str | None) -> bool | None:
    """Whether a language tag names Taiwan (True: ``zh-TW``, ``zh-Hant-TW``), whose words differ
    from the mainland's and Hong Kong's, or another Chinese region (False: ``zh-HK``, ``zh-MO``,
    ``zh-CN``); None when it names none."""
    parts = (tag or "").replace("_", "-").lower().split("-")
    regions = [p for p in parts[1:] if p in ("tw", "hk", "mo", "cn", "sg", "my")]
    return regions[0] == "tw" if parts[0] == "zh" and regions else None


def traditional_tag(tag: str | None) -> bool | None:
    """Whether a language tag (a browser's, a chat app's) asks for Traditional characters (True:
    ``zh-TW``, ``zh-HK``, ``zh-MO``, ``zh-Hant``), for Simplified ones (False: ``zh-CN``,
    ``zh-SG``, ``zh-Hans``), or says neither (None: ``zh``, ``en``). A script subtag wins over the
    region: ``zh-Hans-HK`` is Simplified."""
    parts = (tag or "").replace("_", "-").lower().split("-")
    if parts[0] != "zh":
        return None
    for subtags, traditional in ((("hant",), True), (("hans",), False),
                                 (("tw", "hk", "mo"), True), (("cn", "sg", "my"), False)):  # fmt: skip
        if any(p in subtags for p in parts[1:]):
            return traditional
    return None


class Templates:
    """One catalog per language; a key missing in a language falls back to English."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def catalogs(self) -> dict[str, dict[str, str]]:
        out = {}
        for lang in LANGUAGES:
            data = yaml.safe_load((self.folder / f"{lang}.yml").read_text(encoding="utf-8")) or {}
            out[lang] = {str(k): str(v) for k, v in data.items()}
        return out

    def t(self, lang: str | None, key: str, traditional: Traditional = False, /, **values: Any) -> str:
        """The template ``key`` in ``lang``, filled in with ``values``; with ``traditional``, its
        Chinese in Traditional characters, and Taiwan's words with ``"tw"`` (the values as they
        are: an agent's words, say).

        Raises:
            KeyError: if no language has ``key`` (a programming error the tests catch).
        """
        catalog = self.catalogs[normalise_language(lang)]
        template = catalog.get(key) or self.catalogs["en"][key]
        said = to_traditional(template, traditional == "tw") if traditional else template
        return said.format(**values)


_DESK = Templates(Path(__file__).parent / "locales")
t = _DESK.t

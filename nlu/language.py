"""Chinese/English language detection by script."""

from __future__ import annotations

import re

__all__ = ["detect_language", "is_cjk"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def is_cjk(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph or CJK punctuation / full-width form."""
    return bool(_CJK.match(char))


def detect_language(text: str, default: str = "en") -> str:
    """Returns ``"zh"`` or ``"en"`` for a chat message.

    One Chinese character carries about as much as one English word, so the message is Chinese
    when it has at least as many Han characters as Latin words ("我的outlook打不开" is Chinese,
    "my 电脑 is broken again" is English). Messages with neither (digits, emoji) get ``default``.
    """
    han = len(_HAN.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if han == 0 and latin == 0:
        return default
    return "zh" if han >= latin else "en"

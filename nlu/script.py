"""Traditional Chinese read as Simplified, with OpenCC's dictionaries.

The desk's Chinese data is in Simplified characters, while colleagues in Taiwan and Hong Kong
write Traditional ones and often other words: "印表機無法列印" is "打印机无法打印". The classifier
reads every message in Simplified form (:func:`to_simplified`), and the entity dictionaries hold
the Traditional spellings of their Chinese entries (:func:`spellings`), so entities are found in
the text as written and their offsets stay those of the user's message.

Only text with a Traditional character is converted: OpenCC's Taiwan phrase table would
otherwise turn mainland words into Taiwanese readings of them (文件 is a "file" in Simplified
but a "document" in Taiwan).
"""

from __future__ import annotations

import functools
import re

import opencc

__all__ = ["is_traditional", "spellings", "to_simplified"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPELLINGS = ("s2t", "s2tw", "s2twp", "s2hk")  # characters only; Taiwan's; with its words; Hong Kong's


@functools.cache
def _opencc(config: str) -> opencc.OpenCC:
    """OpenCC's converter for ``config`` (``t2s`` characters only, ``tw2sp`` Taiwan's characters
    and words, to Simplified), loaded when first used: those to Traditional characters take about
    0.2 s each to load, which every importer would otherwise pay."""
    return opencc.OpenCC(config)


def is_traditional(text: str) -> bool:
    """Whether ``text`` has a character that Simplified Chinese writes another way."""
    return _HAN.search(text) is not None and _opencc("t2s").convert(text) != text


def to_simplified(text: str) -> str:
    """``text`` in Simplified characters and mainland words ("滑鼠壞了" → "鼠标坏了"); text
    without Traditional characters as it is (a few microseconds either way)."""
    return _opencc("tw2sp").convert(text) if is_traditional(text) else text


@functools.lru_cache(maxsize=8192)
def spellings(word: str) -> frozenset[str]:
    """``word`` as Simplified and Traditional Chinese write it (打印机: 打印機, 印表機), itself
    included; a word without Chinese characters has only itself."""
    if _HAN.search(word) is None:
        return frozenset((word,))
    simple = to_simplified(word)
    return frozenset((word, simple, *(_opencc(c).convert(simple) for c in _SPELLINGS)))

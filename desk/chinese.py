"""Simplified and Traditional Chinese, with OpenCC's dictionaries.

The desk's own Chinese (templates, the demo's articles, category keywords) is in Simplified
characters; colleagues in Taiwan and Hong Kong write Traditional ones and often other words
("印表機無法列印" is "打印机无法打印"). Search reads both as Simplified (:func:`to_simplified`),
a keyword is found in either script (:func:`spellings`), and a requester who writes Traditional
characters is answered in them (:func:`writes_traditional`, :func:`to_traditional`), in Taiwan's
words when they write those (:func:`writes_taiwans_words`).

``nlu.script`` makes the same conversion for the bot's understanding; desk may not import nlu.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import opencc

__all__ = [
    "Traditional",
    "spellings",
    "to_simplified",
    "to_traditional",
    "writes_taiwans_words",
    "writes_traditional",
]

# How a reader takes the desk's Chinese: Simplified (False), Traditional characters (True), or
# Traditional characters with Taiwan's words ("tw": 印表機, 網路, 軟體 for 打印機, 網絡, 軟件).
Traditional = bool | Literal["tw"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_QUOTE = re.compile(r"(“[^”]*”|「[^」]*」|『[^』]*』)")
# Links, network paths and file names ("报错截图.png", between spaces or punctuation): names, not words.
_LITERAL = re.compile(
    r"((?:[a-z][a-z0-9+.-]*://|\\\\|mailto:)[^\s，。；、）」》]+"
    r"|(?<![^\s，。；：、（「《“])[^\s，。；：、（）「」《》“”]+\.(?=[a-z0-9]{0,4}[a-z])[a-z0-9]{1,5}(?![^\s，。；：、）」》”]))",
    re.IGNORECASE,
)


@functools.cache
def _opencc(config: str) -> opencc.OpenCC:
    """OpenCC's converter for ``config``, loaded when first used: those to Traditional characters
    take about 0.2 s each to load, which every command would otherwise pay at import.

    The configurations used: ``t2s`` characters only and ``tw2sp`` Taiwan's characters and words,
    to Simplified; ``s2t`` characters only and ``s2tw`` Taiwan's standard characters without its
    words (打印機 stays 打印機, where Taiwan says 印表機 and Hong Kong 打印機, so nothing the desk
    says changes its meaning for either); ``s2twp`` with Taiwan's words, for those who write them,
    and with ``s2hk`` for the spellings of keywords."""
    return opencc.OpenCC(config)


def _has_traditional(text: str) -> bool:
    return bool(_opencc("t2s").convert(text) != text)


def to_simplified(text: str) -> str:
    """``text`` in Simplified characters and mainland words ("滑鼠壞了" → "鼠标坏了") when it has
    a Traditional character; otherwise as it is (Taiwan's phrase table would turn the mainland's
    文件, a file, into 文档, a document)."""
    return _opencc("tw2sp").convert(text) if _HAN.search(text) and _has_traditional(text) else text


def to_traditional(text: str, taiwan: bool = False) -> str:
    """``text`` in Traditional characters as Taiwan writes them ("打印机显示脱机" → "打印機顯示脫機"),
    with ``taiwan`` in Taiwan's words too ("印表機顯示離線"), which Hong Kong does not use.

    Links, network paths and file names stay as they are, whatever they spell (``\\\\fs01\\财务``
    names a folder, "报错截图.png" a file the user sent), and so does a quotation that is not in
    Simplified characters: the desk quoting the user's own words ("“舊的那台太慢了”好像没有回答这个问题")
    gives them back as they were written, where OpenCC would make 台 a 臺.
    """
    if not _HAN.search(text):
        return text
    out = []
    for i, piece in enumerate(_LITERAL.split(text)):
        if i % 2:  # a link or a path
            out.append(piece)
            continue
        for part in _QUOTE.split(piece):
            kept = _QUOTE.fullmatch(part) is not None and writes_traditional(part) is not False
            out.append(part if kept else _opencc("s2twp" if taiwan else "s2tw").convert(part))
    return "".join(out)


def writes_taiwans_words(text: str) -> bool | None:
    """Whether a message in Traditional characters uses Taiwan's own words (印表機, 網路, 軟體,
    筆記型電腦, 滑鼠): True when it has one; ``None`` when it does not tell, for Hong Kong writes
    the mainland's words in Traditional characters (打印機, 網絡, 軟件) and so does Taiwan, often."""
    if not _HAN.search(text) or not _has_traditional(text):
        return None
    return True if _opencc("tw2sp").convert(text) != _opencc("t2s").convert(text) else None


def writes_traditional(text: str) -> bool | None:
    """Whether a message is written in Traditional characters (True) or Simplified ones (False):
    which script's own characters it has more of. ``None`` when it does not tell: no Chinese,
    only characters both scripts share ("好的", "你好"), or as many of each.

    Counted, not just seen: Traditional text has characters that OpenCC would also write otherwise
    in Traditional (its 台 is 臺 in "一台新的筆電"), and one character from an input method or a
    pasted error message should not decide it either."""
    if not _HAN.search(text):
        return None
    traditional, simplified = _changed(_opencc("t2s"), text), _changed(_opencc("s2t"), text)
    return None if traditional == simplified else traditional > simplified


def _changed(converter: opencc.OpenCC, text: str) -> int:
    """How many characters of ``text`` ``converter`` writes otherwise."""
    out: str = converter.convert(text)
    if len(out) != len(text):  # a phrase of another length: count it once
        return int(out != text)
    return sum(a != b for a, b in zip(text, out, strict=True))


@functools.lru_cache(maxsize=8192)
def spellings(word: str) -> tuple[str, ...]:
    """``word`` as Simplified and Traditional Chinese write it (打印机: 打印機, 印表機), itself
    first; a word without Chinese characters is only itself."""
    if not _HAN.search(word):
        return (word,)
    simple = to_simplified(word)
    return tuple(
        dict.fromkeys((word, simple, *(_opencc(c).convert(simple) for c in ("s2t", "s2tw", "s2twp", "s2hk"))))
    )

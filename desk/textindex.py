"""Search terms for the database full-text indexes, the same for SQLite FTS5 and PostgreSQL.

Neither engine segments Chinese, so terms are made here: English words (lower-cased, NFKC,
stopwords dropped, plural and -ing/-ed endings folded, then a final "e") and, for runs of CJK
characters cut at Chinese stopwords (请问, 怎么, 的 ...), overlapping character bigrams (a lone
character stays a unigram). Stored as one space-joined string, every engine's plain tokenizer
sees exactly these terms.

A hyphenated word with a part of one or two letters is also one term, written together, so
either spelling finds the other: an article's "Wi-Fi" is ``wi fi wifi``, "e-mail" ``e mail
email``, "hp-setup" ``hp setup hpsetup``; a query leaves out the short parts ("wi" and "fi"
would weigh as words the knowledge base may not know): "Wi-Fi" asks for ``wifi``, "e-mail" for
``email mail``. Other hyphenated words are their parts ("dual-monitor" is ``dual monitor``), as
are numbers ("2026-12-04").

Chinese is read in Simplified characters and mainland words: an article or a question in
Traditional Chinese ("印表機無法列印") has the terms of its Simplified form ("打印机无法打印"), and
a Chinese keyword is found in either script (:func:`mentions`).

What is indexed must be made by the same rules as what is asked: a change here comes with a
migration that rebuilds the index (:func:`desk.kb.rebuild_search_index`, as 0011 does).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from desk.chinese import spellings, to_simplified

__all__ = [
    "MAX_QUERY_TERMS",
    "fts5_query",
    "is_cjk",
    "mention_span",
    "mentions",
    "query_terms",
    "snippet",
    "terms",
    "tsquery",
]

MAX_QUERY_TERMS = 24
_MAX_WORD = 40  # longer runs are hashes, URLs and base64, not words anyone searches for
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:-[a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "am",
        "any",
        "all",
        "also",
        "just",
        "get",
        "got",
        "please",
        "hi",
        "hello",
        "thanks",
        # What is left of "can't", "won't", "doesn't" ...
        "t",
        "s",
        "don",
        "won",
        "isn",
        "doesn",
        "didn",
        "cannot",
        "m",  # and of "I'm", "you're", "I've", "I'll", "I'd"
        "re",
        "ve",
        "ll",
        "d",
        # Chat filler: words any report may have, which tell no article from another. In a small
        # knowledge base no article has them, and an absent word weighs as much as a key one.
        "after",
        "again",
        "always",
        "anymore",
        "help",
        "issue",
        "know",
        "lot",
        "many",
        "morning",
        "much",
        "need",
        "now",
        "out",
        "problem",
        "really",
        "since",
        "some",
        "still",
        "times",
        "today",
        "trying",
        "very",
        "want",
        "yesterday",
        # A Chinese character left on its own once a run is cut at _CJK_STOPS (which hold 的, 了,
        # 我 ... whole): these are no term alone, but part of a word too often to cut a run.
        "是",
        "在",
        "就",
        "请",
    ]
)


# Chinese question words, pronouns, particles and chat filler, the counterparts of the English
# stopwords above: a run of characters is cut at them before it is made into bigrams, so neither
# they nor the seams they make with the words beside them are terms. "请问怎么连公司的wifi" was
# 请问 问怎 怎么 么连 连公 公司 司的 and wifi: seven terms no article has, which left the Wi-Fi
# article 0.22 of the query; it is now 连公 公司 wifi. Single characters that are often part of a
# word are left alone: 在 (在家), 是 (是否 is here whole), 请 (申请), 就, 不; so is 一直 (总是, 老是):
# "keeps" going wrong is how a symptom is told, in articles as in reports.
_CJK_STOPS = [
    "请问",
    "请教",
    "麻烦",
    "您好",
    "你好",
    "谢谢",
    "怎么办",
    "怎么样",
    "怎么回事",
    "怎么",
    "怎样",
    "如何",
    "为什么",
    "为啥",
    "什么",
    "哪里",
    "哪儿",
    "是否",
    "能不能",
    "可不可以",
    "可以",
    "是不是",
    "有没有",
    "没有",
    "一下",
    "我们",
    "你们",
    "他们",
    "我的",
    "现在",
    "今天",
    "昨天",
    "还是",
    "已经",
    "需要",
    "想要",
    "帮忙",
    "帮我",
    "一个",
    "这个",
    "那个",
    "问题",
    "时候",
    "我",
    "你",
    "您",
    "和",
    "也",
    "都",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
]
_CJK_STOP = re.compile("|".join(sorted(_CJK_STOPS, key=len, reverse=True)))


def snippet(text: str, size: int = 140) -> str:
    """``text`` on one line, cut to ``size`` characters with "…" (an article in a list of
    suggestions, a message in a preview or a notification)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1].rstrip() + "…"


def is_cjk(term: str) -> bool:
    """Whether an index term is Chinese (a character bigram or a lone character)."""
    return bool(_CJK.match(term))


_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
_ENDING = "(?:s|es|d|ed|ing|er|ers)?"  # what :func:`mentions` lets follow a name


def _fold(text: str) -> str:
    return _HYPHEN.sub("", unicodedata.normalize("NFKC", text).casefold())


def _fold_mapped(text: str) -> tuple[str, list[int]]:
    """``_fold(text)``, a character at a time, with the index in ``text`` of each character."""
    if text.isascii():  # NFKC leaves it as it is, and case folding is lower case
        chars = list(zip(text.lower(), range(len(text)), strict=True))
    else:
        chars = [(f, i) for i, ch in enumerate(text) for f in unicodedata.normalize("NFKC", ch).casefold()]
    low = "".join(f for f, _ in chars)
    gone = {m.start() for m in _HYPHEN.finditer(low)}
    kept = [c for j, c in enumerate(chars) if j not in gone]
    return "".join(f for f, _ in kept), [i for _, i in kept]


@functools.lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str]:
    """A folded Latin-script name as whole words, give or take an ending."""
    words = r"\s*".join(re.escape(w) for w in name.split())  # "read only" is "read-only" too
    return re.compile(rf"(?<![a-z0-9]){words}{_ENDING}(?![a-z0-9])")


def _find(low: str, name: str) -> tuple[int, int] | None:
    """Where folded ``low`` names folded ``name``, as :func:`mentions` reads names."""
    if _CJK.search(name):
        spans = [(at, at + len(n)) for n in spellings(name) if (at := low.find(n)) >= 0]
        return min(spans) if spans else None
    found = _name_pattern(name).search(low)
    return found.span() if found else None


def mention_span(text: str, name: str) -> tuple[int, int] | None:
    """Where in ``text`` it first names ``name``, as :func:`mentions` reads names (ending
    included: "installed" for ``install``), as a slice of ``text``; None when it does not."""
    name = _fold(name).strip()
    if not name:
        return None
    low, at = _fold_mapped(text)
    span = _find(low, name)
    return (at[span[0]], at[span[1] - 1] + 1) if span else None


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` names ``name`` (a keyword, an option): in Latin script as whole words,
    give or take an ending ("monitors", "installed", "shared"; but "lan" is not in "plan", "app"
    not in "happy", "mouse" not in "mousepad"; "VPN" is in "忘了VPN密码"), anywhere in Chinese;
    case, full-width forms and hyphens aside ("Wi-Fi" names "wifi", "read-only" "read only")."""
    name = _fold(name).strip()
    return bool(name) and _find(_fold(text), name) is not None


def _stem(word: str) -> str:
    """Plural and -ing/-ed endings folded, and then a final "e", so that a word and its forms
    are one term: "file" and "files" are ``fil``, "update", "updates" and "updated" ``updat``,
    "box" and "boxes" ``box``, "status" and "statuses" ``status`` (when "-es" was an ending of its own, "file" was ``file`` and "files"
    ``fil``, and neither found the other)."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            word = word[: -len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def terms(text: str, *, query: bool = False) -> list[str]:
    """The index terms of ``text``, in order (repeats kept: they weigh in BM25); of a ``query``,
    hyphenated words keep only their longer parts (see the module's doc)."""
    normal = to_simplified(unicodedata.normalize("NFKC", text or "").lower())
    out: list[str] = []
    for match in _RUN.finditer(normal):
        run = match.group()
        if _CJK.match(run):
            for piece in _CJK_STOP.split(run):
                if len(piece) == 1:
                    if piece not in _STOP:
                        out.append(piece)
                else:
                    out.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        else:
            out.extend(_stem(w) for w in _words(run, query) if w not in _STOP and len(w) <= _MAX_WORD)
    return out


def _words(run: str, query: bool) -> list[str]:
    """A Latin run's words (see the module's doc for hyphenated ones)."""
    if "-" not in run:
        return [run]
    parts = run.split("-")
    if not (all(p.isalpha() for p in parts) and any(len(p) <= 2 for p in parts)):
        return parts
    return [*(p for p in parts if len(p) > 2 or not query), "".join(parts)]


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order, at most :data:`MAX_QUERY_TERMS`."""
    seen: dict[str, None] = {}
    for term in terms(text, query=True):
        seen.setdefault(term)
    return list(seen)[:MAX_QUERY_TERMS]


def fts5_query(query_terms: list[str], *, every: bool = False) -> str:
    """An FTS5 MATCH expression for any (or ``every``) of the terms, each quoted."""
    return (" AND " if every else " OR ").join(f'"{t}"' for t in query_terms)


def tsquery(query_terms: list[str], *, every: bool = False) -> str:
    """A PostgreSQL ``to_tsquery('simple', ...)`` expression for any (or ``every``) of the terms."""
    return (" & " if every else " | ").join(f"'{t}'" for t in query_terms)

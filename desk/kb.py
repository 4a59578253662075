"""The knowledge base: articles, their full-text index, hybrid search and users' feedback.

Search is two stages. Recall: the database's full-text index (SQLite FTS5 with its BM25, or a
PostgreSQL GIN ``tsvector`` index with ``ts_rank`` weighted by each term's idf) over the terms
of :mod:`desk.textindex`, so Chinese works without word segmentation. It asks only for the
query's rarest terms, within a budget of postings (document frequencies from ``kb_terms``), so
its cost stays bounded whatever the size of the knowledge base. Re-rank: the candidates are
scored again with Okapi BM25 on every query term, rapidfuzz similarity to the title and tags,
the share of the query's weight they contain, and a smoothed helpful/not-helpful prior, so that
articles users confirmed rise and ones they rejected sink.

The score is absolute, not relative to the other candidates: it measures how much of the query
an article answers, so one threshold (``bot.kb_min_score``) can tell "nothing fits" from a fit.
Each query term weighs its idf; a term no article has weighs the most any term can (the
knowledge base knows nothing of it), a Chinese bigram no article has a quarter of that (most are
the seams between words that character bigrams make).

Typing errors: before recall, an English word of five letters or more that no article has is read
as the indexed term closest to it (one edit, two from eight letters, the first two letters
right; :func:`_query_stats`), looked up in ``kb_terms``; it still weighs as the unknown word it
was in the score's whole.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from desk.catalog import find_category, other_kinds
from desk.chinese import to_simplified
from desk.context import Desk
from desk.db import contains_text, newest_first
from desk.errors import InvalidInput, NotFound, StaleEdit
from desk.i18n import LANGUAGES, normalise_language
from desk.models import ARTICLE_STATUSES, Article, KbTerm
from desk.textindex import fts5_query, is_cjk, query_terms, terms, tsquery

__all__ = [
    "Hit",
    "ImportReport",
    "article_json",
    "article_version",
    "create_article",
    "get_article",
    "import_articles",
    "list_articles",
    "rebuild_search_index",
    "recall_ids",
    "record_feedback",
    "search_articles",
    "update_article",
]

_CANDIDATES = 60  # the pool the re-rank scores
_ENOUGH = 20  # fewer candidates than this and recall tries its next, looser plan
_RANKED = 120
_ARTICLES = ""  # the kb_terms row that counts indexed articles
# Postings the full-text index may be asked to score for one query, by engine: FTS5 scores them
# inside its index, PostgreSQL visits each matching row (chosen by measurement at 100k articles,
# see docs/benchmarks.md).
_POSTINGS_BUDGET = {"sqlite": 3000, "postgresql": 800}
_RECALL_TERMS = 8
EDITABLE = ("title", "body", "tags", "language", "category", "status")


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result; ``score`` is in [0, 1], higher is better."""

    article: Article
    score: float


def _search_text(title: str, tags: Sequence[str], body: str) -> str:
    # The title counts twice: a match there says more than one deep in the body.
    title_terms = terms(title)
    return " ".join([*title_terms, *title_terms, *terms(" ".join(tags)), *terms(body)])


def rebuild_search_index(connection: Connection, batch: int = 1000) -> int:
    """Index every article again from its text, and count the terms again: for when the rules
    of :mod:`desk.textindex` change (a migration calls it) or the index is in doubt (``frontdesk
    kb reindex``). On a synchronous connection, in the caller's transaction; returns the number
    of articles."""
    sqlite = connection.dialect.name == "sqlite"
    df: Counter[str] = Counter()
    if sqlite:
        connection.execute(text("DELETE FROM kb_fts"))
    last = 0
    while True:
        rows = connection.execute(
            text("SELECT id, title, tags, body FROM kb_articles WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": batch},
        ).all()
        if not rows:
            break
        done = []
        for ident, title, tags, body in rows:
            tag_list = json.loads(tags) if isinstance(tags, str) else (tags or [])
            done.append({"i": ident, "t": _search_text(title, tag_list, body)})
            df.update({_ARTICLES, *done[-1]["t"].split()})
        connection.execute(text("UPDATE kb_articles SET search_text = :t WHERE id = :i"), done)
        if sqlite:
            connection.execute(text("INSERT INTO kb_fts(rowid, terms) VALUES (:i, :t)"), done)
        last = rows[-1][0]
    connection.execute(text("DELETE FROM kb_terms"))
    counted = [{"term": term, "df": n} for term, n in sorted(df.items())]
    for start in range(0, len(counted), 1000):
        connection.execute(
            text("INSERT INTO kb_terms(term, df) VALUES (:term, :df)"), counted[start : start + 1000]
        )
    return df[_ARTICLES]


async def _count_terms(session: AsyncSession, deltas: Mapping[str, int]) -> None:
    """Apply document-frequency changes to ``kb_terms`` (one upsert per batch)."""
    rows = [{"term": term, "df": delta} for term, delta in sorted(deltas.items()) if delta]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):
        statement = insert(KbTerm).values(rows[start : start + 500])
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[KbTerm.term], set_={"df": KbTerm.df + statement.excluded.df}
            )
        )


async def _index(session: AsyncSession, article: Article) -> None:
    before = set(article.search_text.split()) | {_ARTICLES} if article.search_text else set()
    article.search_text = _search_text(article.title, article.tags, article.body)
    after = set(article.search_text.split()) | {_ARTICLES}
    deltas = dict.fromkeys(after - before, 1) | dict.fromkeys(before - after, -1)
    await session.flush()
    await _count_terms(session, deltas)
    if session.get_bind().dialect.name == "sqlite":
        # PostgreSQL derives its tsvector column itself; FTS5 is a separate table to keep in step.
        await session.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), {"id": article.id})
        await session.execute(
            text("INSERT INTO kb_fts(rowid, terms) VALUES (:id, :terms)"),
            {"id": article.id, "terms": article.search_text},
        )


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in values:
        out["title"] = " ".join(str(values["title"] or "").split())[:300]
        if not out["title"]:
            raise InvalidInput("an article needs a title", code="invalid_title")
    if "body" in values:
        out["body"] = str(values["body"] or "").strip()
        if not out["body"]:
            raise InvalidInput("an article needs a body", code="invalid_body")
    if "tags" in values:
        raw = values["tags"] or []
        items = raw.split(",") if isinstance(raw, str) else raw
        out["tags"] = sorted({str(t).strip().lower() for t in items if str(t).strip()})
    if "language" in values:
        lang = str(values["language"] or "en").strip().lower()
        if normalise_language(lang, "") not in LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", code="invalid_language")
        out["language"] = normalise_language(lang)
    if "status" in values:
        status = str(values["status"] or "published").strip().lower()
        if status not in ARTICLE_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(ARTICLE_STATUSES)}", code="invalid_status")
        out["status"] = status
    return out


async def create_article(
    session: AsyncSession,
    desk: Desk,
    *,
    title: str,
    body: str,
    tags: Sequence[str] | str = (),
    language: str | None = None,
    category: str | None = None,
    status: str = "published",
    source_ticket_id: int | None = None,
) -> Article:
    """A new article, indexed for search in the same transaction.

    Raises:
        InvalidInput: for an empty title or body, or an unknown language or status.
        NotFound: for an unknown category.
    """
    values = _clean(
        {
            "title": title,
            "body": body,
            "tags": tags,
            "language": language or desk.settings.desk.default_language,
            "status": status,
        }
    )
    cat = await find_category(session, category) if category else None
    now = desk.now()
    article = Article(
        **values,
        category=cat,
        source_ticket_id=source_ticket_id,
        helpful=0,
        not_helpful=0,
        views=0,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    await _index(session, article)
    return article


def article_json(article: Article, score: float | None = None) -> dict[str, Any]:
    """An article as the API and the CLI show it."""
    out: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "tags": list(article.tags),
        "language": article.language,
        "category": article.category_path,
        "status": article.status,
        "helpful": article.helpful,
        "not_helpful": article.not_helpful,
        "created_at": article.created_at.isoformat(),
        "updated_at": _stamp(article.updated_at),
    }
    if score is not None:
        out["score"] = score
    return out


async def get_article(session: AsyncSession, article_id: int) -> Article:
    """Raises:
    NotFound: when there is no such article.
    """
    article = await session.get(Article, article_id)
    if article is None:
        raise NotFound(f"no article {article_id}")
    return article


async def list_articles(
    session: AsyncSession,
    *,
    status: str | None = None,
    language: str | None = None,
    q: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> tuple[list[Article], tuple[datetime, int] | None]:
    """Articles as those who keep the knowledge base look through them: the most recently
    changed first (drafts from resolved tickets to review, published ones to correct), in
    ``status`` and ``language``, with ``q`` in the title or body; one page and the key to the next.

    Raises:
        InvalidInput: for an unknown status or language.
    """
    query = select(Article)
    if status:
        query = query.where(Article.status == _clean({"status": status})["status"])
    if language:
        query = query.where(Article.language == _clean({"language": language})["language"])
    if q and q.strip():
        query = query.where(contains_text(q, Article.title, Article.body))
    return await newest_first(session, query, Article.updated_at, Article.id, after, limit)


def _stamp(when: datetime) -> str:
    # In UTC, as read back from either database: the same edit gives the same text wherever
    # it is formatted (a tag made from the JSON must match the one the server computes).
    return when.astimezone(UTC).isoformat()


def article_version(article: Article) -> str:
    """The article's version as an HTTP entity tag: it changes with every edit (feedback counts
    are not edits)."""
    return f'"{_stamp(article.updated_at)}"'


async def update_article(
    session: AsyncSession,
    desk: Desk,
    article: Article,
    changes: Mapping[str, Any],
    *,
    based_on: str | None = None,
) -> Article:
    """Change fields and re-index. With ``based_on`` (the :func:`article_version` the editor
    started from, an ``If-Match``), a change to an article someone has edited since is refused
    instead of silently overwriting their edit.

    Raises:
        InvalidInput: for an unknown field or a bad value. NotFound: for an unknown category.
        StaleEdit: when ``based_on`` is not the article's version any more.
    """
    if based_on is not None and based_on.strip() not in ("*", article_version(article)):
        raise StaleEdit(
            f"article {article.id} was changed by someone else after you opened it "
            f"({_stamp(article.updated_at)}); open it again and redo your change"
        )
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"cannot change {unknown[0]!r}; editable: {', '.join(EDITABLE)}")
    for key, value in _clean({k: v for k, v in changes.items() if k != "category"}).items():
        setattr(article, key, value)
    if "category" in changes:
        article.category_id = (
            (await find_category(session, changes["category"])).id if changes["category"] else None
        )
    article.updated_at = desk.now()
    await _index(session, article)
    return article


async def record_feedback(
    session: AsyncSession, article_id: int, *, helpful: bool, changed: bool = False
) -> Article:
    """Count one user's verdict on a suggested article (it moves the article in later searches).
    ``changed``: the same user gave the opposite verdict before, which no longer counts."""
    article = await get_article(session, article_id)
    if helpful:
        article.helpful += 1
        if changed:
            article.not_helpful = max(article.not_helpful - 1, 0)
    else:
        article.not_helpful += 1
        if changed:
            article.helpful = max(article.helpful - 1, 0)
    return article


@dataclass(frozen=True, slots=True)
class _Stats:
    """How many articles are indexed, and in how many each query term occurs."""

    articles: int
    df: dict[str, int]
    guessed: dict[str, str] = field(default_factory=dict)  # a term read for an unknown word: that word


async def _term_stats(session: AsyncSession, wanted: list[str]) -> _Stats:
    table = KbTerm.__table__.c  # Core columns: no ORM result processing for a plain lookup
    rows = await session.execute(select(table.term, table.df).where(table.term.in_([_ARTICLES, *wanted])))
    df = dict(rows.all())
    return _Stats(max(df.pop(_ARTICLES, 0), 1), df)


_TYPO_MIN = 5  # shorter unknown words are left alone: "zoom" is not a typo of "room"
_TYPOS_PER_QUERY = 3  # each costs a look-up in kb_terms
_TYPO_WORD = re.compile(r"[a-z]+")


def _edits_allowed(term: str) -> int:
    """Typing errors forgiven in an unknown word of this length (as Elasticsearch's AUTO
    fuzziness, from five letters on): one up to seven letters, two from eight."""
    return 1 if len(term) < 8 else 2


async def _query_stats(session: AsyncSession, query: str) -> tuple[list[str], _Stats]:
    """The query's terms and their statistics, with typing errors corrected: a word of at least
    :data:`_TYPO_MIN` letters that no article has ("pasword", "outlok", "recieving") becomes the
    indexed term within :func:`_edits_allowed` edits (a swap of two letters is one) that starts
    with the same two letters, the closest and then the most common. "outlok not recieving
    emails" scored 0.36 against "Outlook is not receiving e-mail", below what the bot offers."""
    wanted = query_terms(query)
    stats = await _term_stats(session, wanted)
    typos = [t for t in wanted if not stats.df.get(t) and len(t) >= _TYPO_MIN and _TYPO_WORD.fullmatch(t)]
    if not typos:
        return wanted, stats
    table = KbTerm.__table__.c
    fixed: dict[str, str] = {}
    for typo in typos[:_TYPOS_PER_QUERY]:
        edits = _edits_allowed(typo)
        prefix = typo[:2]
        rows = await session.execute(
            select(table.term, table.df).where(
                table.term >= prefix,
                table.term < prefix[0] + chr(ord(prefix[1]) + 1),
                func.length(table.term).between(len(typo) - edits, len(typo) + edits),
                table.df > 0,
            )
        )
        near = [
            (distance, -df, term)
            for term, df in rows
            if (distance := OSA.distance(typo, term, score_cutoff=edits)) <= edits
        ]
        if near:
            _, minus_df, term = min(near)
            fixed[typo] = term
            stats.df[term] = -minus_df
            if term not in wanted:  # else the typo only repeats a word of the query
                stats.guessed[term] = typo
    if not fixed:
        return wanted, stats
    corrected = list(dict.fromkeys(fixed.get(t, t) for t in wanted))  # in order, once each
    return corrected, stats


@dataclass(frozen=True, slots=True)
class _Plan:
    """One question to the full-text index: articles with any of ``terms``, or with ``every`` one."""

    terms: list[str]
    every: bool = False


def _conjunctions(common: list[str], stats: _Stats, budget: int) -> list[_Plan]:
    """Plans requiring all of the rarest few ``common`` terms: first as many as it takes for the
    expected number of articles with all of them (taking terms as independent) to fit the
    budget, then one term fewer each, down to two."""
    if len(common) < 2:
        return []
    n = stats.articles
    every = 2
    expected = stats.df[common[0]] * stats.df[common[1]] / n
    while every < min(len(common), _RECALL_TERMS) and expected > budget / 2:
        expected *= stats.df[common[every]] / n
        every += 1
    return [_Plan(common[:k], every=True) for k in range(every, 1, -1)]


def _plans(wanted: list[str], stats: _Stats, budget: int) -> list[_Plan]:
    """The index queries to try, in order, while candidates are fewer than ``_ENOUGH``.

    Terms are taken rarest first while their document frequencies add up to at most
    ``budget``, at most ``_RECALL_TERMS`` of them, and any article with one of them is
    a candidate: common words tell articles apart least, and bounding the postings bounds the
    cost of recall whatever the size of the knowledge base; the re-rank still sees every query
    term. When at most one term fits (the others are common), articles with all of a few of
    the common terms are candidates too (:func:`_conjunctions`).
    """
    df = stats.df
    present = sorted((t for t in wanted if df.get(t, 0) > 0), key=lambda t: (df[t], wanted.index(t)))
    chosen: list[str] = []
    postings = 0
    for term in present[:_RECALL_TERMS]:
        if postings + df[term] > budget:
            break
        chosen.append(term)
        postings += df[term]
    plans = [_Plan(chosen)] if chosen else []
    if len(chosen) < 2:
        plans += _conjunctions(present[len(chosen) :], stats, budget)
    if not plans and present:
        plans.append(_Plan(present[:1]))  # a one-word query whose word is common
    return plans


_POOL_COLUMNS = "a.id, a.title, a.tags, a.search_text, a.helpful, a.not_helpful, a.category_id"


async def _recall_pool(
    session: AsyncSession, wanted: list[str], stats: _Stats, language: str | None, category_id: int | None
) -> list[Any]:
    """Up to ``_CANDIDATES`` published articles from the full-text index, best first by the
    engine's own ranking, as rows of the columns the re-rank needs."""
    pool: dict[int, Any] = {}
    rank_terms = sorted(
        (t for t in wanted if stats.df.get(t, 0) > 0), key=lambda t: (stats.df[t], wanted.index(t))
    )[:_RECALL_TERMS]
    budget = _POSTINGS_BUDGET[session.get_bind().dialect.name]
    for plan in _plans(wanted, stats, budget):
        for row in await _match(session, plan, rank_terms, stats, language, category_id):
            pool.setdefault(row.id, row)
        if len(pool) >= _ENOUGH:
            break
    return list(pool.values())[:_CANDIDATES]


async def _match(
    session: AsyncSession,
    plan: _Plan,
    rank_terms: list[str],
    stats: _Stats,
    language: str | None,
    category_id: int | None,
) -> list[Any]:
    """Published articles for one plan, best first by the engine, in the re-rank's columns.

    On SQLite the engine ranks the top ``_RANKED`` matches on the index alone, and only those
    are joined to the articles for the filters: ranking joined rows costs twice as much
    (measured at 100k articles). On PostgreSQL every match costs a visit to its row (the
    ranking and the columns are there), so at most the engine's budget of rows is looked at:
    a plan within budget never finds more, and a conjunction of common terms that does is
    cut short, in no particular order. ``ts_rank`` per term, weighted by idf, orders them on all
    the query's rarest terms, the common ones included.
    """
    filters = " AND a.status = 'published'"
    params: dict[str, Any] = {"n": _CANDIDATES}
    if language:
        filters += " AND a.language = :lang"
        params["lang"] = language
    if category_id is not None:
        filters += " AND a.category_id = :cat"
        params["cat"] = category_id
    if session.get_bind().dialect.name == "sqlite":
        params["q"] = fts5_query(plan.terms, every=plan.every)
        params["ranked"] = _RANKED
        sql = (
            f"SELECT {_POOL_COLUMNS} FROM (SELECT rowid AS id, bm25(kb_fts) AS score FROM kb_fts "
            "WHERE kb_fts MATCH :q ORDER BY bm25(kb_fts) LIMIT :ranked) m "
            f"JOIN kb_articles a ON a.id = m.id WHERE 1 = 1{filters} ORDER BY m.score LIMIT :n"
        )
    else:
        # Each term's ts_rank weighted by its idf: ts_rank alone weighs every term alike.
        rank = " + ".join(
            f":w{i} * ts_rank(a.v, to_tsquery('simple', :t{i}), 1)" for i in range(len(rank_terms))
        )
        for i, term in enumerate(rank_terms):
            params[f"t{i}"], params[f"w{i}"] = tsquery([term]), _idf(term, stats)
        params["q"] = tsquery(plan.terms, every=plan.every)
        params["visit"] = _POSTINGS_BUDGET["postgresql"]
        sql = (
            # setweight copies the vector once per row, where each ts_rank would fetch it again.
            f"SELECT {_POOL_COLUMNS} FROM (SELECT a.id, a.title, a.tags::text AS tags, a.search_text, a.helpful, "
            "a.not_helpful, a.category_id, setweight(a.search_vector, 'D') AS v "
            "FROM kb_articles a "
            f"WHERE a.search_vector @@ to_tsquery('simple', :q){filters} LIMIT :visit) a "
            f"ORDER BY {rank} DESC, a.id LIMIT :n"
        )
    return list(await session.execute(text(sql), params))


async def recall_ids(
    session: AsyncSession, query: str, language: str | None = None, category_id: int | None = None
) -> list[int]:
    """Candidate article ids from the database's full-text index, in the engine's order."""
    wanted, stats = await _query_stats(session, query)
    return [row.id for row in await _recall_pool(session, wanted, stats, language, category_id)]


def _idf(term: str, stats: _Stats) -> float:
    df = stats.df.get(term, 0)
    return math.log(1 + (stats.articles - df + 0.5) / (df + 0.5))


_UNKNOWN_CJK = 0.25  # weight of a Chinese bigram that no article has, against an unknown word


def _score(
    query: str, wanted: list[str], stats: _Stats, pool: list[Any], others: AbstractSet[int] = frozenset()
) -> list[tuple[float, int]]:
    """The re-rank: (score, id) of each candidate, best first.

    Okapi BM25 (k1 1.2, b 0.75, corpus statistics from kb_terms) as a share of what an article
    with every query term once, at average length, would score (more where terms repeat), plus
    the idf-weighted share of query terms an article has, rapidfuzz similarity of the query to
    its title and tags, and a smoothed helpful/not-helpful prior; halved for an article filed
    under ``others`` (category ids), of another kind of thing than the query names.
    """
    idf = {t: _idf(t, stats) for t in wanted}  # a term no article has gets the highest idf
    weights = [idf[t] * (_UNKNOWN_CJK if is_cjk(t) and not stats.df.get(t) else 1.0) for t in wanted]
    # A word read as a known one ("outlok" as "outlook") weighs in the whole as the unknown word
    # it is: a guess raises the share it finds, not every other word's share (offers to questions
    # the knowledge base cannot answer went from 0.577 to 0.626 at the bot's 0.4 without this,
    # 0.602 with it; see docs/benchmarks.md).
    whole = (
        sum(
            _idf(stats.guessed[t], stats) if t in stats.guessed else w
            for t, w in zip(wanted, weights, strict=True)
        )
        or 1.0
    )
    docs = [row.search_text.split() for row in pool]
    average = sum(len(d) for d in docs) / len(docs) or 1.0
    lowered = to_simplified(query.lower())
    scored = []
    for row, doc in zip(pool, docs, strict=True):
        norm = 1.2 * (0.25 + 0.75 * len(doc) / average)
        tfs = [doc.count(t) for t in wanted]
        bm25 = sum(idf[t] * n * 2.2 / (n + norm) for t, n in zip(wanted, tfs, strict=True) if n)
        share = sum(w for w, n in zip(weights, tfs, strict=True) if n) / whole
        title = fuzz.token_set_ratio(lowered, to_simplified(row.title.lower())) / 100
        tags = json.loads(row.tags) if row.tags != "[]" else []
        tag = max(
            (fuzz.partial_ratio(to_simplified(t), lowered) / 100 for t in tags if len(t) > 1), default=0.0
        )
        votes = (row.helpful + 1) / (row.helpful + row.not_helpful + 2) - 0.5  # in (-0.5, 0.5)
        # BM25 over the whole query passes 1 where terms repeat; capping it there would tie the
        # strongest candidates, so only the sum is clamped, after ranking on it.
        raw = 0.45 * bm25 / whole + 0.25 * share + 0.15 * title + 0.05 * tag + 0.2 * votes
        if row.category_id in others:
            raw *= _OTHER_KIND
        scored.append((raw, row.id))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [(round(max(0.0, min(1.0, raw)), 4), i) for raw, i in scored]


_OTHER_KIND = 0.5  # the share of its score an article of another kind than the query names keeps


async def search_articles(
    session: AsyncSession,
    query: str,
    *,
    language: str | None = None,
    category: str | None = None,
    limit: int = 5,
    by_kind: bool = True,
) -> list[Hit]:
    """Published articles answering ``query``, best first. With ``by_kind``, one filed under
    another kind of thing than the query names by the categories' keywords ranks at half its
    score: "vpn keeps disconnecting" found "Wi-Fi keeps disconnecting" first, on two words of
    three, above the VPN article (the bot, which knows the kinds from the NLU, passes False).

    Raises:
        InvalidInput: for a limit outside 1–50 or an unknown language. NotFound: unknown category.
    """
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and 50", code="invalid_limit")
    lang = None
    if language:
        lang = normalise_language(language, "")
        if lang not in LANGUAGES:
            raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}", code="invalid_language")
    category_id = (await find_category(session, category)).id if category else None
    wanted, stats = await _query_stats(session, query)
    # The pool comes in light columns with the recall; whole articles only for the few returned.
    pool = await _recall_pool(session, wanted, stats, lang, category_id)
    if not pool:
        return []
    # A round trip (about 1 ms) only when a candidate is filed under a category at all.
    filed = by_kind and category is None and any(row.category_id is not None for row in pool)
    others = await other_kinds(session, query) if filed else set()
    scored = _score(query, wanted, stats, pool, others)
    top = scored[:limit]
    # Categories by a second query only when there are any: the model's joined load costs more
    # in row processing than the query it saves.
    shown = select(Article).options(selectinload(Article.category)).where(Article.id.in_([i for _, i in top]))
    articles = {a.id: a for a in await session.scalars(shown)}
    return [Hit(articles[i], score) for score, i in top]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"imported {self.created + self.updated} articles ({self.created} new, {self.updated} updated)"


async def import_articles(
    session: AsyncSession, desk: Desk, items: Sequence[Mapping[str, Any]]
) -> ImportReport:
    """Create or update articles; one with the same title and language is updated, not doubled.

    Raises:
        InvalidInput / NotFound: naming the item, for the first bad one (nothing is kept then).
    """
    report = ImportReport()
    for i, item in enumerate(items, 1):
        lang = normalise_language(str(item.get("language") or desk.settings.desk.default_language))
        title = " ".join(str(item.get("title") or "").split())
        try:
            existing = await session.scalar(
                select(Article).where(Article.title == title, Article.language == lang)
            )
            if existing is None:
                await create_article(
                    session,
                    desk,
                    title=title,
                    body=str(item.get("body") or ""),
                    tags=item.get("tags") or (),
                    language=lang,
                    category=item.get("category"),
                    status=str(item.get("status") or "published"),
                )
                report.created += 1
            else:
                changes = {k: item[k] for k in ("body", "tags", "category", "status") if k in item}
                await update_article(session, desk, existing, changes)
                report.updated += 1
        except (InvalidInput, NotFound) as exc:
            raise type(exc)(f"item {i} ({title[:40]!r}): {exc.message}", code=exc.code) from exc
    return report

"""Knowledge-base endpoints (CONTRACT §5.4): search, create, read, update, feedback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.api.deps import CurrentAgent, DeskDep
from desk.api.schemas import decode_cursor, encode_cursor
from desk.kb import (
    article_json,
    article_version,
    create_article,
    get_article,
    list_articles,
    record_feedback,
    search_articles,
    update_article,
)
from desk.models import Article, Ticket

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    category: str | None = None
    status: str = "published"


class ArticlePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    body: str | None = None
    tags: list[str] | None = None
    language: str | None = None
    category: str | None = None
    status: str | None = None


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    helpful: bool


@router.get("/search", summary="Hybrid full-text search over published articles")
async def search(
    desk: DeskDep,
    agent: CurrentAgent,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    lang: str | None = None,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    async with desk.session() as session:
        hits = await search_articles(session, q, language=lang, category=category, limit=limit)
        return {"items": [article_json(h.article, h.score) for h in hits]}


async def _with_source(session: AsyncSession, articles: list[Article]) -> list[dict[str, Any]]:
    """Each article as JSON with ``source_ticket``: the reference of the resolved ticket whose
    solution it was drafted from, or ``None``."""
    ids = {a.source_ticket_id for a in articles if a.source_ticket_id is not None}
    rows = await session.execute(select(Ticket.id, Ticket.ref).where(Ticket.id.in_(ids)))
    refs: dict[int, str] = {row.id: row.ref for row in rows}
    return [
        {**article_json(a), "source_ticket": refs.get(a.source_ticket_id) if a.source_ticket_id else None}
        for a in articles
    ]


@router.get(
    "/articles", summary="Articles to review and keep: drafts, published, most recently changed first"
)
async def list_(
    desk: DeskDep,
    agent: CurrentAgent,
    status: str | None = None,
    lang: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    after = decode_cursor(cursor) if cursor else None
    async with desk.session() as session:
        rows, last = await list_articles(session, status=status, language=lang, q=q, after=after, limit=limit)
        return {"items": await _with_source(session, rows), "next": encode_cursor(*last) if last else None}


@router.post("/articles", status_code=201, summary="Write an article")
async def create(body: ArticleIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        article = await create_article(session, desk, **body.model_dump())
        return article_json(article)


@router.get("/articles/{article_id}", summary="An article; its ETag is its version, for If-Match")
async def read(article_id: int, desk: DeskDep, agent: CurrentAgent, response: Response) -> dict[str, Any]:
    async with desk.session() as session:
        article = await get_article(session, article_id)
        response.headers["ETag"] = article_version(article)
        return (await _with_source(session, [article]))[0]


@router.put(
    "/articles/{article_id}",
    summary="Change an article (only the fields given); with If-Match, 412 if someone changed it since",
)
async def replace(
    article_id: int,
    body: ArticlePatch,
    desk: DeskDep,
    agent: CurrentAgent,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    async with desk.session() as session:
        article = await get_article(session, article_id)
        await update_article(session, desk, article, body.model_dump(exclude_unset=True), based_on=if_match)
        response.headers["ETag"] = article_version(article)
        return article_json(article)


@router.post("/articles/{article_id}/feedback", summary="Record whether an article helped")
async def feedback(article_id: int, body: FeedbackIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        return article_json(await record_feedback(session, article_id, helpful=body.helpful))

"""``GET /console``: the agents' web console (a static page over the agent API)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console() -> HTMLResponse:
    page = resources.files("desk").joinpath("static/console.html").read_text(encoding="utf-8")
    return HTMLResponse(page)

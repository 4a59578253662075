"""``GET /console``: the agents' web console (a static page over the agent API)."""

from __future__ import annotations

import functools
import json
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from desk.chinese import to_traditional

router = APIRouter()


_STATIC = resources.files("desk").joinpath("static")
_WORDS = "/*I18N*/null"  # where the page takes its English and Chinese words


@functools.cache
def console_page() -> str:
    """The console with its words (``static/console.i18n.json``) in the page itself, the Chinese
    ones also in Traditional characters (``zh-Hant``, for browsers set to Hong Kong's Chinese) and
    in Taiwan's words too (``zh-TW``: 設定, 建立, 預設); made once per process (the files are part
    of the installed package, as the code is)."""
    page = _STATIC.joinpath("console.html").read_text(encoding="utf-8")
    words = json.loads(_STATIC.joinpath("console.i18n.json").read_text(encoding="utf-8"))
    words["zh-Hant"] = {key: to_traditional(text) for key, text in words["zh"].items()}
    words["zh-TW"] = {key: to_traditional(text, True) for key, text in words["zh"].items()}
    # As a script literal: "</" would end the <script> element early.
    return page.replace(_WORDS, json.dumps(words, ensure_ascii=False).replace("</", "<\\/"), 1)


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console() -> HTMLResponse:
    return HTMLResponse(console_page())


@router.get("/favicon.svg", include_in_schema=False)
async def favicon() -> Response:
    """The icon of the console and the web chat, one file for both pages."""
    icon = _STATIC.joinpath("favicon.svg").read_bytes()
    return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

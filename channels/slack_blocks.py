"""Slack message rendering and Web API error classification, for :mod:`channels.slack`.

Out, a message is its text (escaped as Slack asks: ``&``, ``<``, ``>``) with the buttons as Block
Kit ``actions`` blocks whose button ``value`` is the payload, so a click comes back as exactly
the text a user could have typed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from channels.base import Button

__all__ = ["PERMANENT_ERRORS", "blocks", "escape", "plain", "slack_error"]

MAX_SECTION = 3000  # characters in one section block's text
MAX_BUTTON_TITLE = 75
MAX_BUTTON_VALUE = 2000
BUTTONS_PER_BLOCK = 25
ACTION_PREFIX = "frontdesk-"

# Errors where trying again cannot help: the conversation or the workspace is gone for us.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "cannot_dm_bot",
        "msg_too_long",
        "invalid_blocks",
        "no_text",
        "too_many_attachments",
    }
)

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>\s*")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its message formatting requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """A user's Slack text as plain text: mentions of the bot dropped, links as their labels or
    URLs, entities unescaped."""
    text = _MENTION.sub("", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    return html.unescape(text).strip()


def _sections(text: str) -> list[dict[str, Any]]:
    out = []
    while text:
        cut = len(text) if len(text) <= MAX_SECTION else text.rfind("\n", 0, MAX_SECTION)
        cut = cut if cut > MAX_SECTION // 2 or len(text) <= MAX_SECTION else MAX_SECTION
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": escape(text[:cut])}})
        text = text[cut:].lstrip("\n")
    return out


def blocks(text: str, buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """Section blocks for the text, then the buttons (at most 25 to an actions block)."""
    out = _sections(text)
    usable = [b for b in buttons if b.payload and len(b.payload) <= MAX_BUTTON_VALUE]
    for start in range(0, len(usable), BUTTONS_PER_BLOCK):
        elements = [
            {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}{start + i}",
                "text": {
                    "type": "plain_text",
                    "text": b.title[:MAX_BUTTON_TITLE] or b.payload[:MAX_BUTTON_TITLE],
                },
                "value": b.payload,
            }
            for i, b in enumerate(usable[start : start + BUTTONS_PER_BLOCK])
        ]
        out.append({"type": "actions", "elements": elements})
    return out


def slack_error(response: Any) -> tuple[int | None, str, str | None]:
    """The HTTP status, Slack's ``error`` code and ``Retry-After`` of a failed Web API call.

    slack_sdk puts either a :class:`~slack_sdk.web.async_slack_response.AsyncSlackResponse` or,
    for a body that is not JSON, aiohttp's response on the error."""
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    code = str(data.get("error") or "") if isinstance(data, dict) else ""
    headers = getattr(response, "headers", None) or {}
    retry = headers.get("Retry-After") or headers.get("retry-after")
    return (int(status) if status else None), code, (str(retry) if retry else None)

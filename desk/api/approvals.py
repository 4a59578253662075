"""``/approvals/{token}``: the page an approver opens from the link they were sent.

The link's random token stands in for a sign-in (an approver need not be an agent); opening the
page decides nothing (mail scanners follow links), the form's buttons do. The page is in the
language the approver was asked in, and answers for a link that was replaced, already answered or
never existed.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from desk.api.deps import DeskDep
from desk.approvals import DECISIONS, approval_by_token, decide
from desk.chinese import Traditional, to_traditional
from desk.context import Actor, Desk
from desk.i18n import t
from desk.lifecycle import OPEN_STATUSES
from desk.models import Approval, Person
from desk.tickets import format_due

router = APIRouter(tags=["approvals"])

_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:0;background:#f4f6f8;color:#1d2733}
main{max-width:640px;margin:40px auto;background:#fff;border-radius:10px;padding:28px 32px;
box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 12px}.subject{font-weight:600}.muted{color:#5d6b7a;font-size:14px}
pre{white-space:pre-wrap;font:inherit;background:#f4f6f8;border-radius:6px;padding:12px 14px}
textarea{width:100%;box-sizing:border-box;min-height:80px;font:inherit;padding:8px;border:1px solid #c5ced8;
border-radius:6px}label{display:block;margin:16px 0 6px}
.buttons{display:flex;gap:12px;margin-top:16px}
button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:10px 22px;cursor:pointer;color:#fff}
.approve{background:#1f7a45}.reject{background:#b3261e}
"""


def _page(lang: str, traditional: Traditional, title: str, body: str, status: int = 200) -> HTMLResponse:
    tag = "zh-Hant" if lang == "zh" and traditional else ("zh-CN" if lang == "zh" else "en")
    html = (
        f'<!doctype html><html lang="{tag}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f'<link rel="icon" href="/favicon.svg"><style>{_STYLE}</style></head>'
        f"<body><main>{body}</main></body></html>"
    )
    if traditional:
        html = to_traditional(html, traditional == "tw")
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
    return HTMLResponse(html, status_code=status, headers=headers)


async def _reads(session: AsyncSession, approval: Approval) -> Traditional:
    """Whether the approver reads Traditional characters (and Taiwan's words)."""
    person = await session.get(Person, approval.person_id) if approval.person_id else None
    return person.reads if person is not None else False


def _when(desk: Desk, approval: Approval, value: datetime | None) -> str:
    return format_due(desk, approval.ticket, value)


def _state(desk: Desk, approval: Approval) -> str | None:
    """What became of the ask, when it no longer waits for an answer."""
    lang, ticket = approval.language, approval.ticket
    if approval.state in DECISIONS:
        by = approval.decided_by or approval.approver
        return t(
            lang,
            f"approval.page.{approval.state}",
            ref=ticket.ref,
            by=by,
            when=_when(desk, approval, approval.decided_at),
        )
    if approval.state == "withdrawn":
        return t(lang, "approval.page.withdrawn", ref=ticket.ref)
    if ticket.status not in OPEN_STATUSES:
        return t(lang, "approval.page.closed", ref=ticket.ref, status=t(lang, f"status.{ticket.status}"))
    return None


def _named(approval: Approval) -> str:
    return f"{approval.ticket.ref} · {approval.ticket.subject}"


def _unknown(desk: Desk) -> HTMLResponse:
    lang = desk.settings.desk.default_language
    said = t(lang, "approval.page.unknown")
    return _page(lang, False, said, f"<p>{escape(said)}</p>", status=404)


@router.get("/approvals/{token}", response_class=HTMLResponse, include_in_schema=False)
async def approval_page(token: str, desk: DeskDep) -> HTMLResponse:
    async with desk.session() as session:
        approval = await approval_by_token(session, token)
        reads = await _reads(session, approval) if approval is not None else False
    if approval is None:
        return _unknown(desk)
    lang, ticket = approval.language, approval.ticket
    state = _state(desk, approval)
    # "Approve REQ-1?" while it waits; what it is, once it no longer does.
    title = t(lang, "approval.page.title", ref=ticket.ref) if state is None else _named(approval)
    requester = approval.ticket.requester.label
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="subject">{escape(_named(approval))}</p>',
        f"<p>{escape(t(lang, 'approval.page.asks', requester=requester, approver=approval.approver))}</p>",
        f"<pre>{escape(ticket.description)}</pre>",
        f'<p class="muted">{escape(t(lang, "approval.page.requested", when=_when(desk, approval, approval.requested_at)))}</p>',
    ]
    if state is not None:
        parts.append(f"<p><strong>{escape(state)}</strong></p>")
    else:
        comment = t(lang, "approval.page.comment", requester=requester)
        parts.append(
            f'<form method="post"><label for="comment">{escape(comment)}</label>'
            f'<textarea id="comment" name="comment" maxlength="2000"></textarea><div class="buttons">'
            f'<button class="approve" name="decision" value="approved">{escape(t(lang, "approval.approve"))}</button>'
            f'<button class="reject" name="decision" value="rejected">{escape(t(lang, "approval.reject"))}</button>'
            f"</div></form>"
        )
    return _page(lang, reads, title, "".join(parts))


@router.post("/approvals/{token}", response_class=HTMLResponse, include_in_schema=False)
async def approval_decision(
    token: str,
    desk: DeskDep,
    decision: Annotated[str, Form(max_length=20)],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    async with desk.session() as session:
        approval = await approval_by_token(session, token)
        if approval is None:
            return _unknown(desk)
        lang, ticket = approval.language, approval.ticket
        title = _named(approval)
        if decision not in DECISIONS:
            return _page(lang, False, title, f"<p>{escape(decision)}?</p>", status=422)
        reads = await _reads(session, approval)
        if (state := _state(desk, approval)) is not None:  # answered twice, or in another way meanwhile
            return _page(
                lang,
                reads,
                title,
                f"<h1>{escape(title)}</h1><p>{escape(state)}</p>",
                409,
            )
        who = approval.who
        await decide(
            session,
            desk,
            approval,
            decision,
            comment=comment,
            by=approval.approver,
            actor=Actor("approver", approval.person_id, who),
        )
        said = t(
            lang, f"approval.page.done.{decision}", ref=ticket.ref, requester=approval.ticket.requester.label
        )
    return _page(lang, reads, title, f"<h1>{escape(title)}</h1><p>{escape(said)}</p>")

"""Ticket and problem endpoints (CONTRACT §5.4): parse, call a service, format."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.agents import actor_of
from desk.api.deps import CurrentAgent, DeskDep, role
from desk.api.schemas import (
    ApprovalIn,
    AssignIn,
    BroadcastIn,
    CommentIn,
    DecisionIn,
    ForwardIn,
    LinkIn,
    ProblemIn,
    ResolveIn,
    ReturnIn,
    TicketIn,
    TicketPatch,
    decode_cursor,
    encode_cursor,
    message_json,
    ticket_json,
    transcript_json,
)
from desk.approvals import Approver, approver_named, current_approval, decide, request_approval
from desk.attachments import read_attachment, store_attachment, take_uploads
from desk.broadcasts import broadcast
from desk.context import Desk
from desk.errors import InvalidInput, InvalidTransition
from desk.lifecycle import TRANSITIONS
from desk.models import Agent, Message, Ticket, TicketEvent
from desk.people import resolve_person
from desk.routing import acknowledge_ticket, assign_ticket, forward_ticket, return_ticket
from desk.ticket_list import TicketFilter, list_tickets
from desk.tickets import (
    add_comment,
    change_ticket,
    create_ticket,
    get_ticket,
    link_to_problem,
    linked_incidents,
    resolve_ticket,
    unlink_from_problem,
)

router = APIRouter(prefix="/api/v1", tags=["tickets"])
SupervisorAgent = Annotated[Agent, Depends(role("supervisor"))]


async def _full(session: AsyncSession, desk: Desk, ticket: Ticket) -> dict[str, Any]:
    events = list(
        await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )
    out = ticket_json(ticket, desk.now(), events=events, approval=await current_approval(session, ticket))
    out["messages"] = await transcript_json(session, Message.ticket_id == ticket.id)
    # Where the ticket can go from here (the console offers these).
    out["next_statuses"] = sorted(TRANSITIONS[ticket.status])
    # The cause and its effects: an incident names its problem, a problem lists its incidents.
    problem = await session.get(Ticket, ticket.problem_id) if ticket.problem_id else None
    out["problem"] = problem.ref if problem else None
    if ticket.type == "problem":
        out["incidents"] = [i.ref for i in await linked_incidents(session, ticket)]
    return out


@router.get("/tickets", summary="List tickets, newest first")
async def list_(
    desk: DeskDep,
    agent: CurrentAgent,
    status: str | None = None,
    type: str | None = None,
    assignee: str | None = None,
    group: str | None = None,
    requester: str | None = None,
    q: str | None = None,
    priority: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    breached: bool | None = None,
    problem: str | None = None,
    approval: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    after = decode_cursor(cursor) if cursor else None
    flt = TicketFilter(
        status=status,
        type=type,
        assignee=assignee,
        group=group,
        requester=requester,
        q=q,
        priority=priority,
        channel=channel,
        category=category,
        breached=breached,
        problem=problem,
        approval=approval,
    )
    now = desk.now()
    async with desk.session() as session:
        rows, last = await list_tickets(session, flt, me=agent, now=now, after=after, limit=limit)
        return {"items": [ticket_json(t, now) for t in rows], "next": encode_cursor(*last) if last else None}


@router.post("/tickets", status_code=201, summary="Open a ticket")
async def create(body: TicketIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        requester = await resolve_person(
            session, name=body.requester.name, email=body.requester.email, phone=body.requester.phone
        )
        approver = await _approver(session, body.approver) if body.approver is not None else None
        ticket = await create_ticket(
            session,
            desk,
            actor_of(agent),
            requester=requester,
            subject=body.subject,
            description=body.description,
            type=body.type,
            category=body.category,
            impact=body.impact,
            urgency=body.urgency,
            channel=body.channel,
            group=body.group,
            tags=body.tags,
            language=body.language,
            created_at=body.created_at,
        )
        if approver is not None:  # refused (an incident, the requester's own address): nothing is made
            await request_approval(session, desk, actor_of(agent), ticket, approver)
        return await _full(session, desk, ticket)


@router.get("/tickets/{ref}", summary="A ticket with its audit log and messages")
async def read(ref: str, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        return await _full(session, desk, await get_ticket(session, ref))


@router.patch("/tickets/{ref}", summary="Change status, impact, urgency, category, assignee or group")
async def patch(ref: str, body: TicketPatch, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        changes = body.model_dump(exclude_unset=True)
        if changes.get("assignee") is not None:
            changes["assignee"] = _me(changes["assignee"], agent)
        await change_ticket(session, desk, actor_of(agent), ticket, changes)
        return await _full(session, desk, ticket)


def _me(key: str | int, agent: Agent) -> str | int:
    """``me`` names the agent calling, as it does in the list's ``assignee=me``."""
    return agent.id if isinstance(key, str) and key.strip().lower() == "me" else key


@router.post("/tickets/{ref}/comments", status_code=201, summary="Comment; public ones reach the requester")
async def comment(ref: str, body: CommentIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        files = await take_uploads(session, body.attachments, agent.id)
        message = await add_comment(
            session, desk, actor_of(agent), ticket, body.body, public=body.public, files=files
        )
        await session.refresh(message, ["attachments"])
        return message_json(message)


@router.post("/tickets/{ref}/resolve", summary="Resolve; asks the requester to confirm and rate")
async def resolve(ref: str, body: ResolveIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        await resolve_ticket(session, desk, actor_of(agent), ticket, body.solution, kb=body.kb)
        return await _full(session, desk, ticket)


@router.post("/tickets/{ref}/approval", summary="Ask someone to approve a service request")
async def ask_approval(ref: str, body: ApprovalIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    """The approver (an e-mail address, or a name the desk knows) is sent the request with a
    link to approve or reject it; an earlier ask still waiting is withdrawn. The request's SLA
    clocks stop until it is approved."""
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        await request_approval(
            session, desk, actor_of(agent), ticket, await _approver(session, body.approver)
        )
        return await _full(session, desk, ticket)


async def _approver(session: AsyncSession, said: str) -> Approver:
    """Who ``said`` names to approve a request: an e-mail address, or one person the desk knows."""
    approver = await approver_named(session, said)
    if approver is None:
        raise InvalidInput(f"no e-mail address, nor one person the desk knows, in {said!r}")
    return approver


@router.post("/tickets/{ref}/approval/decision", summary="Record the approver's answer given another way")
async def record_decision(ref: str, body: DecisionIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    """The approver said yes or no on the phone or in a meeting: the agent records it for them
    (the audit log names the agent)."""
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        approval = await current_approval(session, ticket)
        if approval is None:
            raise InvalidTransition(f"{ticket.ref} was never sent for approval")
        await decide(
            session,
            desk,
            approval,
            body.decision,
            comment=body.comment,
            by=agent.email,
            actor=actor_of(agent),
        )
        return await _full(session, desk, ticket)


@router.post("/tickets/{ref}/assign", summary="Assign or reassign to a member of the ticket's group")
async def assign(ref: str, body: AssignIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        await assign_ticket(session, desk, actor_of(agent), ticket, _me(body.agent, agent), body.reason)
        return await _full(session, desk, ticket)


@router.post("/tickets/{ref}/forward", summary="Send to another group's queue, unassigned (reason required)")
async def forward(ref: str, body: ForwardIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        await forward_ticket(session, desk, actor_of(agent), ticket, body.group, body.reason)
        return await _full(session, desk, ticket)


@router.post("/tickets/{ref}/return", summary="Give the ticket back to its group's queue (reason required)")
async def return_(ref: str, body: ReturnIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        await return_ticket(session, desk, agent, ticket, body.reason)
        return await _full(session, desk, ticket)


@router.post("/tickets/{ref}/acknowledge", summary="Accept an assignment: the ticket is in progress")
async def acknowledge(ref: str, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        ticket = await get_ticket(session, ref)
        await acknowledge_ticket(session, desk, agent, ticket)
        return await _full(session, desk, ticket)


@router.get("/attachments/{attachment_id}", tags=["tickets"], summary="Download an attachment")
async def download(attachment_id: int, desk: DeskDep, agent: CurrentAgent) -> Response:
    async with desk.session() as session:
        attachment, data = await read_attachment(session, attachment_id)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    return Response(data, media_type=attachment.content_type, headers={"Content-Disposition": disposition})


@router.post("/attachments", status_code=201, summary="Upload a file to send with a comment or message")
async def upload(file: Annotated[UploadFile, File()], desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    """The answer's ``id`` goes in ``attachments`` of a comment or a conversation message; an
    upload no message takes within a day is deleted."""
    limit = desk.settings.storage.max_attachment_bytes
    data = await file.read(limit + 1)
    async with desk.session() as session:
        name = file.filename or "upload"
        stored = await store_attachment(session, desk, data, name, file.content_type, uploaded_by=agent.id)
        return {"id": stored.id, "filename": stored.filename, "content_type": stored.content_type,
                "size": stored.size}  # fmt: skip


@router.post("/broadcasts", tags=["broadcasts"], summary="Major-incident bulletin to affected requesters")
async def broadcast_(body: BroadcastIn, desk: DeskDep, agent: SupervisorAgent) -> dict[str, Any]:
    async with desk.session() as session:
        done = await broadcast(session, desk, actor_of(agent), body.text, body.category, body.problem)
        return {"recipients": done.recipients, "unreachable": done.unreachable, "tickets": done.tickets}


@router.post("/problems", status_code=201, tags=["problems"], summary="Open a problem record")
async def create_problem(body: ProblemIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        # A problem is raised by the desk itself: the agent who records it is its requester.
        requester = await resolve_person(session, name=agent.name, email=agent.email)
        ticket = await create_ticket(
            session,
            desk,
            actor_of(agent),
            requester=requester,
            subject=body.subject,
            description=body.description,
            type="problem",
            category=body.category,
            impact=body.impact,
            urgency=body.urgency,
            group=body.group,
        )
        if body.known_issue:
            await change_ticket(session, desk, actor_of(agent), ticket, {"known_issue": True})
        return await _full(session, desk, ticket)


@router.post("/problems/{ref}/incidents", tags=["problems"], summary="Link an incident to a problem")
async def link_incident(ref: str, body: LinkIn, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        problem = await get_ticket(session, ref)
        incident = await get_ticket(session, body.ref)
        await link_to_problem(session, desk, actor_of(agent), problem, incident)
        return await _full(session, desk, problem)


@router.delete("/problems/{ref}/incidents/{incident_ref}", tags=["problems"], summary="Unlink an incident")
async def unlink_incident(ref: str, incident_ref: str, desk: DeskDep, agent: CurrentAgent) -> dict[str, Any]:
    async with desk.session() as session:
        problem = await get_ticket(session, ref)
        incident = await get_ticket(session, incident_ref)
        await unlink_from_problem(session, desk, actor_of(agent), problem, incident)
        return await _full(session, desk, problem)

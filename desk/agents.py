"""Agents, groups and authentication: passwords (scrypt) and bearer tokens (SHA-256 at rest)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from desk.calendar import parse_duration
from desk.context import Actor, Desk
from desk.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts, Unauthorized
from desk.models import ROLES, Agent, ApiToken, Group
from desk.people import normalise_email

__all__ = [
    "actor_of",
    "authenticate_password",
    "authenticate_token",
    "check_calendar",
    "check_password",
    "check_timezone",
    "create_agent",
    "create_group",
    "find_agent",
    "find_group",
    "find_token",
    "group_named",
    "hash_password",
    "is_token",
    "issue_token",
    "live_tokens",
    "make_token",
    "named_token",
    "require_role",
    "revoke_token",
    "set_password",
    "token_hash",
    "token_name",
    "verify_password",
]

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# Checked where there is no hash to check against (an unknown e-mail, an agent without a
# password), its result ignored: each refusal costs the same one scrypt as a wrong password, so
# timing does not tell which addresses are agents'.
_NO_PASSWORD = f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${'A' * 24}${'A' * 86}=="
MIN_PASSWORD = 8
SIGN_IN = "console"  # the name of the tokens a password sign-in issues
TOKEN_PREFIX = "fd_"  # noqa: S105 (a marker, not a secret)


def hash_password(password: str) -> str:
    """A salted scrypt hash in a self-describing string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against :func:`hash_password` output; as slow
    without one (``None``) as with one."""
    if not stored:
        verify_password(password, _NO_PASSWORD)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def check_calendar(desk: Desk, name: str | None) -> None:
    """An agent's shift or a group's calendar must be one the configuration has (none: the default).

    Raises:
        InvalidInput: naming the calendars there are.
    """
    if name and name not in desk.calendars:
        known = ", ".join(sorted(desk.calendars))
        raise InvalidInput(f"no calendar {name!r} (calendars: {known})", code="unknown_calendar")


def check_timezone(name: str) -> None:
    """An agent's time zone must be an IANA one ("Asia/Shanghai").

    Raises:
        InvalidInput: for a name the time-zone database lacks.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", code="unknown_timezone") from None


def actor_of(agent: Agent) -> Actor:
    return Actor("agent", agent.id, agent.name)


def require_role(agent: Agent, role: str) -> None:
    """Raises:
    Forbidden: unless ``agent`` has ``role`` or a higher one.
    """
    if not agent.has_role(role):
        raise Forbidden(f"this needs the {role} role")


async def find_agent(session: AsyncSession, key: str | int) -> Agent:
    """An agent by id or e-mail.

    Raises:
        NotFound: when there is none.
    """
    text = str(key).strip()
    if text.isdigit():
        agent = await session.get(Agent, int(text))
    else:
        agent = await session.scalar(select(Agent).where(Agent.email == text.lower()))
    if agent is None:
        raise NotFound(f"no agent {text!r}")
    return agent


async def find_group(session: AsyncSession, key: str | int) -> Group:
    """A group by id or name (case-insensitive).

    Raises:
        NotFound: when there is none.
    """
    text = str(key).strip()
    group = await session.get(Group, int(text)) if text.isdigit() else await group_named(session, text)
    if group is None:
        raise NotFound(f"no group {text!r}")
    return group


async def group_named(session: AsyncSession, name: str) -> Group | None:
    """The group called ``name``, case aside: group names are unique so ("Network" is "network"
    to people, to the configuration and to a setup file)."""
    return await session.scalar(select(Group).where(func.lower(Group.name) == name.strip().lower()))


async def create_group(
    session: AsyncSession,
    name: str,
    *,
    description: str = "",
    calendar: str | None = None,
    routing: str = "round_robin",
    email: str | None = None,
) -> Group:
    """A new group; names are unique.

    Raises:
        Conflict: when the name is taken.
    """
    name = await _free_group_name(session, name)
    group = Group(name=name, description=description, calendar=calendar, routing=routing, email=email)
    session.add(group)
    await session.flush()
    return group


async def rename_group(session: AsyncSession, desk: Desk, group: Group, name: str) -> None:
    """Give ``group`` another name (a typo, a reorganisation). Its tickets, categories, members and
    conversations hold its id, so they stay with it.

    Raises:
        InvalidInput: for an empty name.
        Conflict: when another group has the name (case aside), or, with code
            ``group_in_config``, when the configuration names the group (``desk.default_group``,
            an escalation's ``forward_to``, a rule): that would stop finding it, so the file is
            changed first and the group renamed with it.
    """
    if " ".join(name.split()).casefold() == group.name.casefold():  # only its case: config reads it alike
        group.name = " ".join(name.split())
        return
    name = await _free_group_name(session, name)
    if places := desk.settings.naming_group(group.name):
        raise Conflict(
            f"the configuration names {group.name!r} ({'; '.join(places)}): rename it there as well, "
            "then restart with the group renamed",
            code="group_in_config",
        )
    group.name = name


async def _free_group_name(session: AsyncSession, name: str) -> str:
    """``name`` tidied, if no group has it yet (case aside: "network" is "Network" to the
    configuration and to people)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a group needs a name")
    if await group_named(session, name) is not None:
        raise Conflict(f"group {name!r} exists")
    return name


async def create_agent(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    role: str = "agent",
    groups: Sequence[str] = (),
    password: str | None = None,
    capacity: int = 5,
    timezone: str = "UTC",
    calendar: str | None = None,
    skills: Sequence[str] = (),
    language: str = "en",
) -> Agent:
    """A new agent, member of ``groups`` (names or ids, which must exist).

    Raises:
        InvalidInput: for a bad e-mail, role or capacity.
        Conflict: when the e-mail is taken.
        NotFound: for an unknown group.
    """
    address = normalise_email(email)
    if address is None:
        raise InvalidInput("an agent needs an e-mail address")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if capacity < 0:
        raise InvalidInput("capacity cannot be negative")
    if not name.strip():
        raise InvalidInput("an agent needs a name")
    if password is not None:
        _strong_enough(password)
    if await session.scalar(select(Agent.id).where(Agent.email == address)):
        raise Conflict(f"agent {address} exists")
    members = [await find_group(session, g) for g in groups]
    agent = Agent(
        email=address,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        capacity=capacity,
        timezone=timezone,
        calendar=calendar,
        skills=list(skills),
        language=language,
    )
    agent.groups = members
    session.add(agent)
    await session.flush()
    return agent


async def issue_token(session: AsyncSession, agent: Agent, name: str = "") -> str:
    """A new API token for ``agent``. The returned string is the only copy there will be."""
    return (await make_token(session, agent, name))[0]


async def make_token(session: AsyncSession, agent: Agent, name: str) -> tuple[str, ApiToken]:
    """:func:`issue_token`, with the row that stands for it (its id, prefix and time)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(agent_id=agent.id, name=name, token_hash=token_hash(token), prefix=token[:10])
    session.add(row)
    await session.flush()
    return token, row


async def authenticate_token(session: AsyncSession, token: str, now: datetime) -> Agent:
    """The active agent owning ``token``.

    Raises:
        Unauthorized: for an unknown, revoked or deactivated token.
    """
    row = await session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == token_hash(token.strip()), ApiToken.revoked_at.is_(None))
        .options(selectinload(ApiToken.agent))
    )
    if row is None or not row.agent.active:
        raise Unauthorized("invalid or revoked token")
    row.last_used_at = now
    return row.agent


async def revoke_token(session: AsyncSession, token: str, now: datetime) -> None:
    """Make ``token`` unusable from now on (idempotent)."""
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip())))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now


def token_name(name: str) -> str:
    """The name of a token for an integration, whitespace folded.

    Raises:
        InvalidInput: for an empty name, or :data:`SIGN_IN`, which names console sign-ins.
    """
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a token needs a name that says what uses it", code="invalid_name")
    if name.casefold() == SIGN_IN:
        raise InvalidInput(f'"{SIGN_IN}" names console sign-ins; choose another name', code="invalid_name")
    return name


async def named_token(session: AsyncSession, agent: Agent, name: str) -> tuple[str, ApiToken]:
    """:func:`make_token` for an integration, named for what uses it (see :func:`token_name`)."""
    return await make_token(session, agent, token_name(name))


async def live_tokens(session: AsyncSession, agent: Agent) -> list[ApiToken]:
    """``agent``'s tokens that still work (console sessions and integrations), newest first."""
    query = (
        select(ApiToken)
        .where(ApiToken.agent_id == agent.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(await session.scalars(query))


async def find_token(session: AsyncSession, token_id: int, viewer: Agent) -> ApiToken:
    """The live token ``token_id``, if it is ``viewer``'s own or ``viewer`` is an admin.

    Raises:
        NotFound: for an unknown or revoked token, or another agent's to a non-admin (so token
            ids tell nothing about other people's).
    """
    row = await session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None or (row.agent_id != viewer.id and viewer.role != "admin"):
        raise NotFound(f"no token {token_id}", code="token_not_found")
    return row


def is_token(row: ApiToken, token: str) -> bool:
    """Whether ``row`` is the one stored for ``token`` (the one making a request, say)."""
    return hmac.compare_digest(row.token_hash, token_hash(token.strip()))


async def authenticate_password(session: AsyncSession, desk: Desk, email: str, password: str) -> Agent:
    """The active agent with this e-mail and password.

    ``auth.max_failed_sign_ins`` wrong passwords in a row lock the account's password sign-in
    for ``auth.lockout``, whatever is typed then: guessing costs an attacker that long per few
    tries. The count is on the agent's row, so it holds across processes.

    Raises:
        Unauthorized: with the same message whether the e-mail or the password was wrong.
        TooManyAttempts: while the account is locked.
    """
    agent = await session.scalar(
        select(Agent).where(Agent.email == email.strip().lower()).with_for_update(of=Agent)
    )
    if agent is None:
        verify_password(password, None)  # as long as a wrong password takes
        raise Unauthorized("wrong e-mail or password")
    if not await check_password(session, desk, agent, password) or not agent.active:
        raise Unauthorized("wrong e-mail or password")
    return agent


async def check_password(session: AsyncSession, desk: Desk, agent: Agent, password: str) -> bool:
    """Whether ``password`` is the agent's, counting a miss towards the lock (see
    :func:`authenticate_password`); a miss is committed at once, as the refusal that follows
    rolls back. Every check of a password goes through here: changing one's own password took
    any number of guesses at the current one.

    Raises:
        TooManyAttempts: while the account is locked.
    """
    now, rules = desk.now(), desk.settings.auth
    if agent.locked_until is not None:
        if agent.locked_until > now:
            raise _locked(agent.locked_until, now)
        agent.locked_until, agent.failed_sign_ins = None, 0  # the lock ran out: a fresh start
    if verify_password(password, agent.password_hash):
        agent.failed_sign_ins = 0
        return True
    agent.failed_sign_ins += 1
    if agent.failed_sign_ins >= rules.max_failed_sign_ins:
        agent.locked_until = now + timedelta(seconds=parse_duration(rules.lockout).seconds)
    await session.commit()
    return False


def _locked(until: datetime, now: datetime) -> TooManyAttempts:
    wait = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(wait / 60)
    return TooManyAttempts(
        f"too many wrong passwords: sign-in is locked for {minutes} more minute{'s' if minutes != 1 else ''}",
        retry_after=wait,
    )


def _strong_enough(password: str) -> None:
    if len(password) < MIN_PASSWORD or not password.strip():
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", code="invalid_password")


async def set_password(
    session: AsyncSession, agent: Agent, password: str, now: datetime, *, keep: str | None = None
) -> int:
    """Give ``agent`` a new console password and sign out their console sessions, except the
    one holding the token ``keep`` (an agent changing their own password stays signed in there).
    API tokens for integrations stay valid. Returns how many sessions were signed out.

    Raises:
        InvalidInput: for a password shorter than :data:`MIN_PASSWORD`.
    """
    _strong_enough(password)
    agent.password_hash = hash_password(password)
    agent.failed_sign_ins, agent.locked_until = 0, None  # an admin's reset is also the unlock
    query = select(ApiToken).where(
        ApiToken.agent_id == agent.id, ApiToken.name == SIGN_IN, ApiToken.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(ApiToken.token_hash != token_hash(keep.strip()))
    sessions = list(await session.scalars(query))
    for row in sessions:
        row.revoked_at = now
    await session.flush()
    return len(sessions)

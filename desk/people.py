"""Requesters and their channel identities: find or create, and link across channels."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from channels.base import contact_email, contact_phone
from desk.errors import Conflict, InvalidInput, NotFound
from desk.models import Identity, Person

__all__ = ["find_person", "link_identity", "normalise_email", "normalise_phone", "resolve_person"]


def normalise_email(email: str | None) -> str | None:
    """Lower-cased, trimmed; ``None`` for empty (:func:`channels.base.contact_email`).

    Raises:
        InvalidInput: for something that is not an address.
    """
    try:
        return contact_email(email)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def normalise_phone(phone: str | None) -> str | None:
    """E.164-ish: a leading ``+`` and digits only; ``None`` for empty (:func:`channels.base.contact_phone`).

    Raises:
        InvalidInput: for fewer than 6 or more than 15 digits.
    """
    try:
        return contact_phone(phone)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


async def find_person(session: AsyncSession, key: str) -> Person:
    """A person by id, e-mail or phone.

    Raises:
        NotFound: when nobody matches.
    """
    if key.isdigit():
        person = await session.get(Person, int(key))
    elif "@" in key:
        person = await session.scalar(select(Person).where(Person.email == key.strip().lower()))
    else:
        phone = normalise_phone(key)
        person = await session.scalar(select(Person).where(Person.phone == phone))
    if person is None:
        raise NotFound(f"no requester {key!r}")
    return person


async def resolve_person(
    session: AsyncSession,
    *,
    channel: str | None = None,
    external_id: str | None = None,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    language: str | None = None,
) -> Person:
    """The person behind a channel identity or address, created if new.

    Lookup order: the identity ``(channel, external_id)``; then a person with the same e-mail
    or phone (so that someone who first wrote by e-mail and now on Telegram, giving the same
    address, is one person); else a new person. The identity is linked in every case, and
    missing name/e-mail/phone are filled in from what the channel told us.
    """
    email, phone = normalise_email(email), normalise_phone(phone)
    try:
        async with session.begin_nested():
            return await _resolve(session, channel, external_id, name, email, phone, language)
    except IntegrityError:
        # A concurrent transaction created this person or identity first; it is committed
        # now (the unique index made us wait for it), so the second lookup finds it.
        return await _resolve(session, channel, external_id, name, email, phone, language)


async def _resolve(
    session: AsyncSession,
    channel: str | None,
    external_id: str | None,
    name: str | None,
    email: str | None,
    phone: str | None,
    language: str | None,
) -> Person:
    person: Person | None = None
    identity: Identity | None = None
    if channel and external_id:
        identity = await session.scalar(
            select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
        )
        if identity is not None:
            person = await session.get(Person, identity.person_id)
    if person is None and (email or phone):
        clauses = [Person.email == email] if email else []
        clauses += [Person.phone == phone] if phone else []
        person = await session.scalar(select(Person).where(or_(*clauses)).order_by(Person.id).limit(1))
    if person is None:
        # Nobody has this e-mail or phone (looked up above), so both are free to take.
        person = Person(name=name or email or phone or external_id or "", email=email, phone=phone)
        session.add(person)
    else:
        # Fill in what we did not know, unless another person already owns that address.
        if email and not person.email and not await _owned_elsewhere(session, Person.email, email, person.id):
            person.email = email
        if phone and not person.phone and not await _owned_elsewhere(session, Person.phone, phone, person.id):
            person.phone = phone
        if name and (not person.name or person.name in (person.email, person.phone, external_id)):
            person.name = name
    if language and not person.language:
        person.language = language
    await session.flush()
    if channel and external_id and identity is None:
        session.add(
            Identity(person_id=person.id, channel=channel, external_id=external_id, display_name=name)
        )
        await session.flush()
    return person


async def _owned_elsewhere(
    session: AsyncSession, column: InstrumentedAttribute[str | None], value: str, person_id: int
) -> bool:
    owner = await session.scalar(select(Person.id).where(column == value, Person.id != person_id).limit(1))
    return owner is not None


async def link_identity(session: AsyncSession, person: Person, channel: str, external_id: str) -> Identity:
    """Attach a channel identity to ``person`` (idempotent).

    Raises:
        Conflict: if that identity already belongs to someone else.
    """
    identity = await session.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )
    if identity is not None:
        if identity.person_id != person.id:
            raise Conflict(f"{channel} identity {external_id!r} belongs to another person")
        return identity
    identity = Identity(person_id=person.id, channel=channel, external_id=external_id)
    session.add(identity)
    await session.flush()
    return identity

"""One person across channels: identities link through e-mail and phone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.context import Desk
from desk.errors import Conflict, InvalidInput
from desk.models import Identity, Person
from desk.people import link_identity, normalise_phone, resolve_person


async def test_same_email_on_two_channels_is_one_person(desk: Desk) -> None:
    async with desk.session() as s:
        by_mail = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="Ann@Corp.Example"
        )
        on_slack = await resolve_person(
            s, channel="slack", external_id="U123", name="Ann Lee", email="ann@corp.example"
        )
        assert on_slack.id == by_mail.id
        assert on_slack.name == "Ann Lee"  # a real name replaces the address we used as a name
        again = await resolve_person(s, channel="slack", external_id="U123")
        assert again.id == by_mail.id
        identities = await s.scalars(select(Identity.channel).where(Identity.person_id == by_mail.id))
        assert sorted(identities) == ["email", "slack"]


async def test_phone_links_sms_to_telegram(desk: Desk) -> None:
    async with desk.session() as s:
        sms = await resolve_person(s, channel="sms", external_id="+8613800138000", phone="+86 138-0013-8000")
        tg = await resolve_person(s, channel="telegram", external_id="42", name="Wang", phone="8613800138000")
        assert tg.id == sms.id and sms.phone == "+8613800138000"


async def test_an_address_owned_by_someone_else_is_not_stolen(desk: Desk) -> None:
    async with desk.session() as s:
        ann = await resolve_person(
            s, channel="email", external_id="ann@corp.example", email="ann@corp.example"
        )
        bob = await resolve_person(s, channel="telegram", external_id="7", name="Bob")
        # Bob's Telegram later claims Ann's address: Bob stays Bob, Ann keeps her address.
        again = await resolve_person(s, channel="telegram", external_id="7", email="ann@corp.example")
        assert again.id == bob.id and bob.email is None and ann.email == "ann@corp.example"
        assert await s.scalar(select(func.count(Person.id))) == 2


async def test_link_identity_is_idempotent_and_refuses_someone_elses(desk: Desk) -> None:
    async with desk.session() as s:
        ann = await resolve_person(s, email="ann@corp.example")
        bob = await resolve_person(s, email="bob@corp.example")
        first = await link_identity(s, ann, "slack", "U1")
        assert (await link_identity(s, ann, "slack", "U1")).id == first.id
        with pytest.raises(Conflict):
            await link_identity(s, bob, "slack", "U1")


def test_phone_and_email_validation() -> None:
    assert normalise_phone("(415) 555-0100") == "+4155550100"
    with pytest.raises(InvalidInput):
        normalise_phone("12")
    with pytest.raises(InvalidInput):
        from desk.people import normalise_email

        normalise_email("not-an-address")

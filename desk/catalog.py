"""The category tree: lookup by path, name or id, and where a category's tickets go."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from desk.agents import group_named
from desk.context import Desk
from desk.errors import Conflict, InvalidInput, NotFound
from desk.models import Article, Category, Group, Ticket
from desk.textindex import mentions

__all__ = [
    "category_named",
    "category_path",
    "create_category",
    "default_group_for",
    "delete_category",
    "desk_default_group",
    "find_category",
    "is_default_group",
    "move_category",
    "nested",
    "other_kinds",
    "precise_category",
    "problem_categories",
    "subtree",
    "under_any",
    "update_category",
    "within",
]


async def find_category(session: AsyncSession, key: str | int) -> Category:
    """A category by id, path (``network/vpn``) or name, case-insensitive.

    Raises:
        NotFound: when nothing matches.
    """
    text = str(key).strip()
    if text.isdigit():
        category = await session.get(Category, int(text))
    else:
        low = text.lower()
        category = await session.scalar(
            select(Category)
            .where(
                or_(
                    func.lower(Category.path) == low,
                    func.lower(Category.name) == low,
                    Category.name_zh == text,
                )
            )
            .order_by(func.length(Category.path))
            .limit(1)
        )
    if category is None:
        raise NotFound(f"no category {text!r}", code="unknown_category")
    return category


async def category_named(session: AsyncSession, value: str) -> Category | None:
    """The active category a name from the NLU stands for: by path or name as
    :func:`find_category` finds it, else the shallowest whose keywords include it (the NLU's
    ``account`` is the demo's ``accounts``; a desk whose tree has other names links them so)."""
    try:
        category = await find_category(session, value)
    except NotFound:
        category = None
    if category is not None and category.active:
        return category
    rows = await session.scalars(select(Category).where(Category.active).order_by(func.length(Category.path)))
    wanted = value.strip().casefold()
    return next((c for c in rows if any(str(k).strip().casefold() == wanted for k in c.keywords or [])), None)


def subtree(column: InstrumentedAttribute[int | None], category: Category) -> ColumnElement[bool]:
    """``column`` (a category id) is ``category`` or one inside it: ``network`` holds ``network/vpn``."""
    inside = select(Category.id).where(
        or_(Category.id == category.id, Category.path.startswith(category.path + "/"))
    )
    return column.in_(inside)


def within(path: str, other: str) -> bool:
    """Whether category ``path`` is ``other`` or inside it (``network/wifi`` in ``network``)."""
    return path == other or path.startswith(other + "/")


def nested(path: str, other: str) -> bool:
    """Whether one of two categories is the other or inside it (``network`` and ``network/wifi``,
    either way round; not the siblings ``network/vpn`` and ``network/wifi``)."""
    return within(path, other) or within(other, path)


def _deepest(paths: list[str]) -> list[str]:
    """``paths`` without those another of them is inside (``network`` beside ``network/wifi``)."""
    return [p for p in paths if not any(q != p and within(q, p) for q in paths)]


def problem_categories(
    paths: list[str], devices: list[str], foremost: Sequence[str] = (), *, device_fails: bool = False
) -> list[str]:
    """Of the category paths a message names, in the order it names them, the ones the problem
    is about, the first foremost: the most precise of a chain (``network/wifi`` over
    ``network``); those not under ``devices``, where a problem shows rather than what fails ("my
    laptop can't connect to the VPN" is about the VPN), unless only devices are named or
    ``device_fails`` (the message says the device itself is dead or broken: "my laptop won't turn
    on after the windows update" is for whoever mends laptops, then about the update); those
    under ``foremost`` first ("a phishing e-mail asking for my password" is about security)."""
    deepest = _deepest(list(dict.fromkeys(paths)))
    if device_fails:
        return sorted(deepest, key=lambda p: (not under_any(p, foremost), not under_any(p, devices)))
    failing = [p for p in deepest if not under_any(p, devices)] or deepest
    return sorted(failing, key=lambda p: not under_any(p, foremost))  # stable: the order named stays


def under_any(path: str, roots: Sequence[str]) -> bool:
    """Whether category ``path`` is one of ``roots`` (as config writes them) or inside one."""
    return any(within(path, root.strip().lower()) for root in roots)


async def other_kinds(session: AsyncSession, text: str) -> set[int]:
    """The ids of the categories of another kind of thing than ``text`` names by the active
    categories' keywords: neither one named nor inside nor around one (``network/wifi`` for "vpn
    keeps disconnecting"; "wifi" names ``network/wifi``, not all ``network``). None when it
    names none."""
    rows = (
        await session.execute(select(Category.id, Category.path, Category.keywords, Category.active))
    ).all()
    named = _named_by_keywords(((path, keywords) for _, path, keywords, active in rows if active), text)
    return {i for i, path, _, _ in rows if not any(nested(path, n) for n in named)} if named else set()


async def precise_category(session: AsyncSession, category: Category, text: str) -> str:
    """The path of ``category``, or of the one category inside it that ``text`` names by its
    keywords: "can't connect to the wifi" is a network problem, and ``wifi`` a keyword of
    ``network/wifi``. Of a chain named (``network/wifi/guest`` inside ``network/wifi``), the
    deepest; with keywords of two branches ("the VPN and the wifi are down"), ``category``."""
    rows = await session.execute(
        select(Category.path, Category.keywords).where(
            Category.active, Category.path.startswith(category.path + "/", autoescape=True)
        )
    )
    deepest = _named_by_keywords(((path, keywords) for path, keywords in rows), text)
    return deepest[0] if len(deepest) == 1 else category.path


def _named_by_keywords(rows: Iterable[tuple[str, Sequence[str] | None]], text: str) -> list[str]:
    """Of the (path, keywords) of categories, the paths whose keywords ``text`` mentions, the
    most precise of a chain."""
    return _deepest([path for path, keywords in rows if any(mentions(text, str(k)) for k in keywords or [])])


async def default_group_for(session: AsyncSession, desk: Desk, category: Category | None) -> Group | None:
    """The category's default group, else its nearest ancestor's, else ``desk.default_group``."""
    node = category
    while node is not None:
        if node.default_group is not None:
            return node.default_group
        node = node.parent
    return await desk_default_group(session, desk)


def _default_group_name(desk: Desk) -> str:
    """``desk.default_group`` as group names are compared: trimmed, lower case ("" for none)."""
    return (desk.settings.desk.default_group or "").strip().lower()


async def desk_default_group(session: AsyncSession, desk: Desk) -> Group | None:
    """The group named by ``desk.default_group`` (case-insensitive): it receives tickets of no
    category, and conversations waiting without a group wait in its line."""
    name = _default_group_name(desk)
    return await group_named(session, name) if name else None


def is_default_group(desk: Desk, group: Group) -> bool:
    """Whether ``group`` is the one :func:`desk_default_group` finds."""
    name = _default_group_name(desk)
    return bool(name) and group.name.lower() == name


def category_path(text: str) -> str:
    """A category path as stored: lower case, its parts stripped ("Network / WiFi" is
    ``network/wifi``)."""
    return "/".join(p.strip().lower() for p in text.split("/") if p.strip())


async def create_category(
    session: AsyncSession,
    path: str,
    *,
    name: str | None = None,
    name_zh: str | None = None,
    group: Group | None = None,
    default_impact: str | None = None,
    default_type: str | None = None,
    keywords: list[str] | None = None,
    skills: list[str] | None = None,
    description: str = "",
) -> Category:
    """A new category at ``path``; its parent (``path`` without the last part) must exist.

    Raises:
        InvalidInput: for an empty path. Conflict: if it exists. NotFound: for no parent.
    """
    path = category_path(path)
    if not path:
        raise InvalidInput("a category needs a path")
    if await session.scalar(select(Category.id).where(Category.path == path)):
        raise Conflict(f"category {path!r} exists")
    parent = await find_category(session, path.rsplit("/", 1)[0]) if "/" in path else None
    category = Category(
        path=path,
        name=name or path.rsplit("/", 1)[-1].replace("-", " ").title(),
        name_zh=name_zh,
        parent=parent,
        default_group=group,
        default_impact=default_impact,
        default_type=default_type,
        keywords=_words(keywords),
        skills=[w.lower() for w in _words(skills)],
        description=description,
    )
    session.add(category)
    await session.flush()
    return category


def update_category(category: Category, changes: Mapping[str, Any]) -> None:
    """Change the fields ``changes`` names (``name``, ``name_zh``, ``description``, ``group`` as a
    :class:`Group` or None, ``impact``, ``type``, ``keywords``, ``skills``, ``active``), words
    tidied as :func:`create_category` tidies them. A name is never emptied, and ``active`` None
    changes nothing; retired (``active`` false), the bot files nothing more under it."""
    if changes.get("name"):
        category.name = changes["name"]
    if "name_zh" in changes:
        category.name_zh = changes["name_zh"] or None
    if "description" in changes:
        category.description = changes["description"] or ""
    if "group" in changes:
        category.default_group = changes["group"]
    if "impact" in changes:
        category.default_impact = changes["impact"]
    if "type" in changes:
        category.default_type = changes["type"]
    if "keywords" in changes:
        category.keywords = _words(changes["keywords"])
    if "skills" in changes:
        category.skills = [w.lower() for w in _words(changes["skills"])]
    if changes.get("active") is not None:
        category.active = changes["active"]


async def move_category(session: AsyncSession, desk: Desk, category: Category, path: str) -> None:
    """Give ``category`` another path: renamed in place (``network/wlan`` → ``network/wifi``) or
    moved under another parent (``printer`` → ``hardware/printer``), the categories inside it
    with it. Its tickets, articles and group hold its id, so they stay with it.

    Raises:
        InvalidInput: for an empty path, or one inside the category itself.
        NotFound: for a new parent that does not exist.
        Conflict: when the path is taken, or, with code ``category_in_config``, when the
            configuration names the category or one inside it (a request kind, the device
            categories, an SLA policy, a rule): the file is changed first.
    """
    new, old = category_path(path), category.path
    if not new:
        raise InvalidInput("a category needs a path")
    if new == old:
        return
    if within(new, old):
        raise InvalidInput(f"{old!r} cannot move inside itself ({new!r})")
    if await session.scalar(select(Category.id).where(Category.path == new)):
        raise Conflict(f"category {new!r} exists")
    parent = await find_category(session, new.rsplit("/", 1)[0]) if "/" in new else None
    _not_in_config(desk, old)
    inside = await session.scalars(select(Category).where(Category.path.startswith(old + "/")))
    for child in inside:
        child.path = new + child.path[len(old) :]
    category.path, category.parent = new, parent
    await session.flush()


async def delete_category(session: AsyncSession, desk: Desk, category: Category) -> None:
    """Delete a category made by mistake: one nothing is filed under.

    Raises:
        Conflict: with code ``category_in_use`` when it has categories inside it, tickets or
            articles (retire it instead: it keeps them and the bot files nothing more under it),
            or ``category_in_config`` when the configuration names it.
    """
    held = [
        what
        for what, column in (
            ("categories", Category.parent_id),
            ("tickets", Ticket.category_id),
            ("articles", Article.category_id),
        )
        if await session.scalar(select(func.count()).where(column == category.id))
    ]
    if held:
        raise Conflict(
            f"{category.path!r} holds {' and '.join(held)}; retire it instead (active: false)",
            code="category_in_use",
        )
    _not_in_config(desk, category.path)
    await session.delete(category)
    await session.flush()


def _not_in_config(desk: Desk, path: str) -> None:
    if places := desk.settings.naming_category(path):
        raise Conflict(
            f"the configuration names {path!r} ({'; '.join(places)}): change it there as well, "
            "then restart with the category changed",
            code="category_in_config",
        )


def _words(values: Iterable[object] | None) -> list[str]:
    """Keywords or skills as kept: each stripped, the empty ones left out."""
    return [str(v).strip() for v in values or () if str(v).strip()]

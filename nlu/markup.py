"""The Rasa inline entity markup: ``[text](entity)``, ``[text](entity:value)`` and ``[text]{json}``.

This module converts one annotated training line into its plain text plus entity spans and back.
It knows nothing about files; loaders turn its ``ValueError`` into an error with ``path:line``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["EntitySpan", "format_annotated", "parse_annotated"]

# Same shape as Rasa's ENTITY_REGEX: the text in brackets, then either (entity[:value]) or {json}.
_ENTITY_RE = re.compile(
    r"\[(?P<text>[^\]\n]+?)\]"
    r"(?:\((?P<entity>[^:)\n]*?)(?::(?P<value>[^)\n]+))?\)|\{(?P<json>[^}\n]*)\})"
)


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """One annotated entity in a training example.

    Attributes:
        start: Offset of the first character in the plain text.
        end: Offset one past the last character (``text[start:end]`` is the surface form).
        entity: Entity type, e.g. ``category``.
        value: Canonical value; equals the surface form unless the annotation gave another one.
        role: Optional Rasa entity role.
        group: Optional Rasa entity group.
    """

    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    group: str | None = None


def parse_annotated(line: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Strips the entity markup from ``line``.

    Brackets that are not followed by ``(...)`` or ``{...}`` are ordinary text, as in Rasa.

    Returns:
        The plain text and the entity spans in it, in order.

    Raises:
        ValueError: An annotation is malformed (empty entity name, bad JSON, no ``entity`` key).
    """
    plain: list[str] = []
    spans: list[EntitySpan] = []
    pos = 0
    length = 0
    for match in _ENTITY_RE.finditer(line):
        before = line[pos : match.start()]
        plain.append(before)
        length += len(before)
        surface = match.group("text")
        entity, value, role, group = _annotation(match)
        spans.append(EntitySpan(length, length + len(surface), entity, value or surface, role, group))
        plain.append(surface)
        length += len(surface)
        pos = match.end()
    plain.append(line[pos:])
    return "".join(plain), tuple(spans)


def _annotation(match: re.Match[str]) -> tuple[str, str | None, str | None, str | None]:
    raw_json = match.group("json")
    if raw_json is None:
        entity = match.group("entity").strip()
        if not entity:
            raise ValueError(f"empty entity name in {match.group(0)!r}")
        value = match.group("value")
        return entity, value.strip() if value is not None else None, None, None
    try:
        spec = json.loads("{" + raw_json + "}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON in entity annotation {match.group(0)!r}: {exc.msg}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str) or not spec["entity"]:
        raise ValueError(f'entity annotation {match.group(0)!r} needs a non-empty "entity" key')
    fields = [spec.get(key) for key in ("value", "role", "group")]
    value, role, group = (str(f) if f is not None else None for f in fields)
    return spec["entity"], value, role, group


def format_annotated(text: str, spans: tuple[EntitySpan, ...] | list[EntitySpan]) -> str:
    """Writes ``text`` with ``spans`` as Rasa markup (the inverse of :func:`parse_annotated`).

    Uses the short ``[text](entity)`` form when the value is the surface form and there is no role
    or group, and the JSON form otherwise.
    """
    out: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: s.start):
        surface = text[span.start : span.end]
        out.append(text[pos : span.start])
        if span.value == surface and span.role is None and span.group is None:
            out.append(f"[{surface}]({span.entity})")
        else:
            spec: dict[str, str] = {"entity": span.entity}
            if span.value != surface:
                spec["value"] = span.value
            if span.role is not None:
                spec["role"] = span.role
            if span.group is not None:
                spec["group"] = span.group
            out.append(f"[{surface}]{json.dumps(spec, ensure_ascii=False)}")
        pos = span.end
    out.append(text[pos:])
    return "".join(out)

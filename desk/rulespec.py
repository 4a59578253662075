"""Business rules as configuration: ``when`` an event happens (``created``, ``updated``,
``time``), ``if`` conditions hold, ``then`` do actions. This module is the language (validation and matching over plain facts); applying
the actions to tickets is :mod:`desk.rules`.

.. code-block:: yaml

    rules:
      - name: board members first
        when: [created]
        if: {requester.email: {endswith: "@board.example.com"}, priority: {in: [P3, P4]}}
        then: [{set: {urgency: high}}, {tag: vip}, {notify: [group_manager]}]

A condition's value is a scalar (equals; for ``category`` also its sub-categories; for a list
field such as ``tags``, contains), a list (any of), or operators: ``is``, ``not``, ``in``,
``contains``, ``startswith``, ``endswith``, ``matches`` (a regular expression), ``gt``,
``gte``, ``lt``, ``lte`` (numbers, or durations such as ``4h`` for ``age`` and ``idle``),
``empty`` (true/false). Text comparisons ignore case. ``changed`` lists fields of which any
must have changed in this update (``comment`` for a new comment, ``reply`` for the requester's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from desk.calendar import parse_duration

__all__ = ["ACTIONS", "FIELDS", "SETTABLE", "RuleSpec", "matches"]

EVENTS = ("created", "updated", "time")
# Facts a condition can test; see desk.rules.facts_of for how each is read off a ticket.
FIELDS = (
    "type", "status", "priority", "impact", "urgency", "category", "group", "assignee", "channel",
    "language", "tags", "subject", "description", "text", "requester.email", "requester.name",
    "requester.phone", "requester.department", "requester.vip", "age", "idle",
    "response_breached", "resolution_breached", "csat", "reopen_count", "changed",
)  # fmt: skip
DURATION_FIELDS = ("age", "idle")
OPERATORS = (
    "is",
    "not",
    "in",
    "contains",
    "startswith",
    "endswith",
    "matches",
    "gt",
    "gte",
    "lt",
    "lte",
    "empty",
)
ACTIONS = ("set", "tag", "assign", "group", "notify", "reply", "note")
SETTABLE = ("status", "impact", "urgency", "category", "group", "assignee")


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _number(field: str, value: object) -> float:
    if field in DURATION_FIELDS and isinstance(value, str):
        return parse_duration(value).seconds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"{field}: {value!r} is not a number" + (" or duration" if field in DURATION_FIELDS else "")
        )
    return float(value)


class Condition(BaseModel):
    """One field's test, normalised from the shorthand forms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    op: str
    value: Any

    @classmethod
    def parse(cls, field: str, spec: object) -> list[Condition]:
        if field not in FIELDS:
            raise ValueError(f"unknown field {field!r}; use one of {', '.join(FIELDS)}")
        if isinstance(spec, Mapping):
            out = []
            for op, value in spec.items():
                if op not in OPERATORS:
                    raise ValueError(f"{field}: unknown operator {op!r}; use {', '.join(OPERATORS)}")
                out.append(cls.build(field, str(op), value))
            return out
        if field == "changed":
            return [cls.build(field, "in", spec if isinstance(spec, list) else [spec])]
        return [cls.build(field, "in" if isinstance(spec, list) else "is", spec)]

    @classmethod
    def build(cls, field: str, op: str, value: Any) -> Condition:
        if op == "matches":
            try:
                re.compile(str(value))
            except re.error as exc:
                raise ValueError(f"{field}: bad regular expression {value!r}: {exc}") from None
        elif op in ("gt", "gte", "lt", "lte"):
            value = _number(field, value)
        elif op in ("in", "not", "contains", "startswith", "endswith") and not isinstance(value, list):
            value = [value]
        elif op == "empty" and not isinstance(value, bool):
            raise ValueError(f"{field}: empty takes true or false")
        return cls(field=field, op=op, value=value)

    def holds(self, facts: Mapping[str, Any]) -> bool:
        actual = facts.get(self.field)
        op, value = self.op, self.value
        if op == "empty":
            return (actual in (None, "", [], ())) is value
        if op in ("gt", "gte", "lt", "lte"):
            if actual is None:
                return False
            number, bound = float(actual), float(value)
            return {
                "gt": number > bound,
                "gte": number >= bound,
                "lt": number < bound,
                "lte": number <= bound,
            }[op]
        if op == "matches":
            return actual is not None and re.search(str(value), _text(actual), re.IGNORECASE) is not None
        if op in ("contains", "startswith", "endswith"):
            if isinstance(actual, list | tuple | set | frozenset):
                items = {_fold(x) for x in actual}
                return op == "contains" and any(_fold(v) in items for v in value)
            text = _text(actual).casefold()
            test = {"contains": text.__contains__, "startswith": text.startswith, "endswith": text.endswith}[
                op
            ]
            return any(test(str(v).casefold()) for v in value)
        wanted = value if op in ("in", "not") else [value]
        hit = any(_equal(self.field, actual, v) for v in wanted)
        return not hit if op == "not" else hit


def _text(value: object) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return " ".join(str(x) for x in value)
    return "" if value is None else str(value)


def _equal(field: str, actual: object, wanted: object) -> bool:
    if isinstance(actual, list | tuple | set | frozenset):  # tags, changed: membership
        return _fold(wanted) in {_fold(x) for x in actual}
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted or actual == wanted
    if actual is None or wanted is None:
        return actual is wanted
    a, w = str(actual).casefold(), str(wanted).casefold()
    return a == w or (field == "category" and a.startswith(w + "/"))


class RuleSpec(BaseModel):
    """A business rule: on which events, under which conditions, which actions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    # "when", not "on": YAML 1.1 (PyYAML) reads a bare ``on`` key as the boolean true.
    when: list[Literal["created", "updated", "time"]]
    if_: dict[str, Any] = Field(default_factory=dict, alias="if")
    then: list[dict[str, Any]]
    once: bool = False
    active: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a rule needs a name")
        return value.strip()

    @field_validator("then")
    @classmethod
    def _actions(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not value:
            raise ValueError("a rule needs at least one action")
        for i, action in enumerate(value):
            if len(action) != 1 or next(iter(action)) not in ACTIONS:
                raise ValueError(f"then.{i}: each action is one of {', '.join(ACTIONS)}")
            kind, arg = next(iter(action.items()))
            if kind == "set":
                if not isinstance(arg, Mapping) or not arg:
                    raise ValueError(f"then.{i}.set: give fields and values, e.g. {{urgency: high}}")
                bad = sorted(set(arg) - set(SETTABLE))
                if bad:
                    raise ValueError(f"then.{i}.set: cannot set {bad[0]!r}; settable: {', '.join(SETTABLE)}")
            elif kind == "notify":
                targets = arg.get("to") if isinstance(arg, Mapping) else arg
                targets = targets if isinstance(targets, list) else [targets]
                if not targets or not all(isinstance(x, str) and x for x in targets):
                    raise ValueError(f"then.{i}.notify: name who, e.g. [group_manager]")
                if isinstance(arg, Mapping) and set(arg) - {"to", "text"}:
                    raise ValueError(f"then.{i}.notify: only 'to' and 'text'")
            elif kind == "reply":
                if isinstance(arg, Mapping) and not (set(arg) <= {"en", "zh"} and arg):
                    raise ValueError(f"then.{i}.reply: a text, or texts by language (en, zh)")
                if not isinstance(arg, Mapping | str) or not arg:
                    raise ValueError(f"then.{i}.reply: a text, or texts by language (en, zh)")
            elif not isinstance(arg, str | list) or not arg:
                raise ValueError(f"then.{i}.{kind}: needs a value")
        return value

    @model_validator(mode="after")
    def _conditions(self) -> RuleSpec:
        for field, spec in self.if_.items():
            try:
                Condition.parse(field, spec)
            except ValueError as exc:
                raise ValueError(f"rule {self.name!r}: {exc}") from None
        if "changed" in self.if_ and self.when != ["updated"]:
            raise ValueError(f"rule {self.name!r}: 'changed' only makes sense when: [updated]")
        return self

    @property
    def conditions(self) -> list[Condition]:
        return [c for field, spec in self.if_.items() for c in Condition.parse(field, spec)]


def matches(rule: RuleSpec, facts: Mapping[str, Any]) -> bool:
    """Whether every condition of ``rule`` holds for ``facts``."""
    return all(condition.holds(facts) for condition in rule.conditions)


def events_of(rules: Sequence[RuleSpec], event: str) -> list[RuleSpec]:
    """The active rules that run on ``event``."""
    return [rule for rule in rules if rule.active and event in rule.when]

"""The ITIL ticket lifecycle as an explicit state machine.

``new → assigned → in_progress ⇄ pending → resolved → closed``, ``cancelled`` from any open
state, reopen from ``resolved``. A ticket given back to the queue (unassigned, returned,
forwarded to another group) is ``new`` again.
"""

from __future__ import annotations

from desk.errors import InvalidTransition
from desk.models import STATUSES

__all__ = ["OPEN_STATUSES", "TRANSITIONS", "check_transition"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"assigned", "in_progress", "resolved", "cancelled"}),
    "assigned": frozenset({"new", "in_progress", "pending", "resolved", "cancelled"}),
    "in_progress": frozenset({"new", "assigned", "pending", "resolved", "cancelled"}),
    "pending": frozenset({"new", "assigned", "in_progress", "resolved", "cancelled"}),
    "resolved": frozenset({"new", "assigned", "in_progress", "closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
OPEN_STATUSES = ("new", "assigned", "in_progress", "pending")

assert set(TRANSITIONS) == set(STATUSES)


def check_transition(ref: str, current: str, target: str) -> None:
    """Raises:
    InvalidTransition: (HTTP 409) naming both states and what is allowed instead.
    """
    if target not in TRANSITIONS:
        raise InvalidTransition(f"unknown status {target!r}; use one of {', '.join(STATUSES)}")
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is final)"
        raise InvalidTransition(f"{ref} cannot go from {current} to {target}; allowed: {allowed}")

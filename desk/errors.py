"""The desk's errors: one base with a stable ``code``, an HTTP status and an SMTP reply.

Raised by services, mapped once at each edge (HTTP handler, SMTP handler, CLI).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "Conflict",
    "DeskError",
    "Forbidden",
    "Gone",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "StaleEdit",
    "TooManyAttempts",
    "Unauthorized",
]


class DeskError(Exception):
    """Base of every error a user or client may see. ``str(err)`` is safe to show."""

    code = "error"
    status = 400
    smtp_reply = "550 5.6.0 Message rejected"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def headers(self) -> dict[str, str] | None:
        """HTTP headers the answer carries besides the status (how to authenticate, when to retry)."""
        return None


class InvalidInput(DeskError):
    code = "invalid"
    status = 422
    smtp_reply = "550 5.6.0 Message could not be read"


class NotFound(DeskError):
    code = "not_found"
    status = 404
    smtp_reply = "550 5.1.1 No such recipient"


class Conflict(DeskError):
    code = "conflict"
    status = 409


class StaleEdit(DeskError):
    """A change based on a version someone else has changed since (HTTP ``If-Match``)."""

    code = "edited_elsewhere"
    status = 412


class InvalidTransition(Conflict):
    """A status change the ITIL lifecycle does not allow."""

    code = "invalid_transition"


class Unauthorized(DeskError):
    code = "unauthorized"
    status = 401

    @property
    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(DeskError):
    code = "forbidden"
    status = 403


class TooManyAttempts(DeskError):
    """Refused for a while after repeated failures; ``retry_after`` is in seconds."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}


class Gone(DeskError):
    """Something that existed and no longer may be had (an expired file link)."""

    code = "gone"
    status = 410


class ConfigError(Exception):
    """The configuration is unusable; the message is one line naming the key."""

"""Domain errors. Each carries a readable message and, where useful, the field it is about."""
from __future__ import annotations


class DomainError(Exception):
    """Base class: the request breaks a rule of the domain."""

    code = "domain_error"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class IllegalTransition(DomainError):
    """The action is not allowed in the order's current state (HTTP 409)."""

    code = "illegal_transition"


class NotAllowed(DomainError):
    """The actor's role or unit may not do this (HTTP 403)."""

    code = "forbidden"


class InvalidInput(DomainError):
    """A value makes no sense (HTTP 422)."""

    code = "invalid"


class NotFound(DomainError):
    """A referenced thing does not exist or is outside the caller's scope (HTTP 404)."""

    code = "not_found"


class Conflict(DomainError):
    """Somebody else changed the thing first, or it already exists (HTTP 409)."""

    code = "conflict"


class Unauthenticated(DomainError):
    """No valid credentials (HTTP 401)."""

    code = "unauthenticated"

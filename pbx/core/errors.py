"""The one error type that bad input raises everywhere: a field and a reason."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Input that cannot be accepted; `field` names what was wrong and `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(InvalidInput):
    """A name that refers to nothing in the directory."""

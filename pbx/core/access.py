"""Who may do what through the API: tokens, principals, roles, and the limit on failed sign-ins.

A token belongs to one user and acts with that user's role: admins change the
directory and settings; dispatchers (and admins) run the CRM side (customers,
jobs, every call and voicemail, click-to-dial for anyone); technicians see the
calls they handled or placed and the voicemail of their own boxes, unless their
token was given `all_calls`. On-call writes need the on-call write permission,
exactly as in the CLI (`rules.require_oncall_writer`). The controller's own
secret (`api_token` in the settings) is the system principal, an admin.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from pbx.core.errors import InvalidInput
from pbx.core.model import Role, User

TOKEN_PREFIX = "pbx_"
SYSTEM = "system"


class Forbidden(InvalidInput):
    """The principal may not do this (HTTP 403; the field says which permission)."""


def hash_token(secret: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are long random strings, so no salt)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    """A stored API token (never the secret itself)."""

    user: str
    name: str = ""
    all_calls: bool = False
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    id: int | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a user with their role, or the system."""

    user: str | None  # None: the controller's own secret
    role: Role = Role.ADMIN
    oncall_write: bool = False
    all_calls: bool = False

    @property
    def name(self) -> str:
        return self.user or SYSTEM

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_dispatcher(self) -> bool:
        """Admins and dispatchers: the office side."""
        return self.role in (Role.ADMIN, Role.DISPATCHER)

    @property
    def sees_all_calls(self) -> bool:
        return self.is_dispatcher or self.all_calls

    @property
    def may_write_oncall(self) -> bool:
        return self.is_admin or self.oncall_write

    def acting_as(self) -> str | None:
        """The user name on-call writes are made as (None: the system acts as itself)."""
        return self.user


def principal_for(user: User, token: ApiToken) -> Principal:
    return Principal(user.name, user.role, user.oncall_write, token.all_calls)


def token_refusal(user: User | None, token: ApiToken | None) -> str | None:
    """Why a presented token does not sign anyone in (None: it does)."""
    if token is None or user is None:
        return "missing or invalid bearer token"
    if token.revoked:
        return "this token was revoked"
    if not user.active:
        return f"user {user.name} is deactivated"
    return None


def require_admin(p: Principal, action: str) -> None:
    if not p.is_admin:
        raise Forbidden("role", f"{action} needs the admin role ({p.name} is {p.role.value})")


def require_dispatcher(p: Principal, action: str) -> None:
    if not p.is_dispatcher:
        raise Forbidden(
            "role", f"{action} needs the admin or dispatcher role ({p.name} is {p.role.value})"
        )


def require_oncall_write(p: Principal) -> None:
    if not p.may_write_oncall:
        raise Forbidden(
            "role", f"{p.name} may not change on-call data (needs the on-call write permission)"
        )


def require_self_or_dispatcher(p: Principal, user: str, action: str) -> None:
    """Technicians act only for themselves; the office acts for anyone."""
    if not p.is_dispatcher and p.user != user:
        raise Forbidden("user", f"{p.name} may {action} only for themselves")


class FailureLimiter:
    """Failed sign-ins per client: after `limit` failures within `window` seconds the
    client is refused (HTTP 429) until the oldest of them is older than the window.

    Pure: the caller passes the time (monotonic seconds). Memory is bounded by
    forgetting the oldest clients beyond `max_clients`.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 10_000) -> None:
        if limit < 1 or window <= 0 or max_clients < 1:
            raise ValueError("limit and max_clients must be at least 1, and window positive")
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str, now: float) -> float | None:
        """Seconds until `client` may try again, or None when it may try now."""
        times = self._recent(client, now)
        if times is None or len(times) < self.limit:
            return None
        return max(times[0] + self.window - now, 0.001)

    def failed(self, client: str, now: float) -> None:
        times = self._recent(client, now)
        if times is None:
            if len(self._failures) >= self.max_clients:
                del self._failures[next(iter(self._failures))]
            times = self._failures[client] = deque(maxlen=self.limit)
        times.append(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

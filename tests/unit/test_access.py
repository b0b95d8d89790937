"""API access: token hashing, principals and their roles, refusals, permission checks,
and the limit on failed sign-ins. Pure: times are passed in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbx.core import access as A
from pbx.core.access import ApiToken, FailureLimiter, Forbidden, Principal
from pbx.core.errors import InvalidInput
from pbx.core.model import Role, User

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)

ADMIN = Principal("Ann", Role.ADMIN)
DISPATCHER = Principal("Dot", Role.DISPATCHER)
TECH = Principal("Tom", Role.TECHNICIAN)
TECH_ALL = Principal("Tia", Role.TECHNICIAN, all_calls=True)
TECH_ONCALL = Principal("Ole", Role.TECHNICIAN, oncall_write=True)
SYSTEM = Principal(None)


# --- hash_token -------------------------------------------------------------------------


def test_hash_token_is_stable_sha256_hex() -> None:
    digest = A.hash_token("pbx_secret")
    assert digest == A.hash_token("pbx_secret")
    assert len(digest) == 64
    assert all(ch in "0123456789abcdef" for ch in digest)
    # the SHA-256 of the empty string, a fixed point of the definition
    assert A.hash_token("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_hash_token_never_stores_the_secret() -> None:
    assert "pbx_secret" not in A.hash_token("pbx_secret")


@given(st.text(), st.text())
def test_hash_token_differs_per_secret(a: str, b: str) -> None:
    assert (A.hash_token(a) == A.hash_token(b)) is (a == b)


# --- principals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "admin", "dispatcher", "all_calls", "oncall"),
    [
        (ADMIN, True, True, True, True),
        (DISPATCHER, False, True, True, False),
        (TECH, False, False, False, False),
        (TECH_ALL, False, False, True, False),
        (TECH_ONCALL, False, False, False, True),
        (Principal("Dee", Role.DISPATCHER, oncall_write=True), False, True, True, True),
        (SYSTEM, True, True, True, True),
    ],
    ids=[
        "admin",
        "dispatcher",
        "technician",
        "tech-all-calls",
        "tech-oncall",
        "disp-oncall",
        "system",
    ],
)
def test_principal_permissions_per_role(
    who: Principal, admin: bool, dispatcher: bool, all_calls: bool, oncall: bool
) -> None:
    assert (who.is_admin, who.is_dispatcher, who.sees_all_calls, who.may_write_oncall) == (
        admin,
        dispatcher,
        all_calls,
        oncall,
    )


def test_system_principal_is_an_admin_named_system() -> None:
    assert SYSTEM.role is Role.ADMIN
    assert SYSTEM.name == "system" == A.SYSTEM
    assert SYSTEM.acting_as() is None


def test_user_principal_is_named_and_acts_as_the_user() -> None:
    assert TECH.name == "Tom"
    assert TECH.acting_as() == "Tom"
    assert ADMIN.acting_as() == "Ann"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("oncall_write", [False, True])
@pytest.mark.parametrize("all_calls", [False, True])
def test_principal_for_takes_role_and_oncall_from_user_and_all_calls_from_token(
    role: Role, oncall_write: bool, all_calls: bool
) -> None:
    user = User("Ann", "ann@example.com", role=role, oncall_write=oncall_write)
    # the token's own name is irrelevant; the user it belongs to is the principal
    token = ApiToken("Ann", "laptop", all_calls=all_calls, created_at=T0, id=3)
    assert A.principal_for(user, token) == Principal("Ann", role, oncall_write, all_calls)


# --- token_refusal ----------------------------------------------------------------------

ANN = User("Ann", "ann@example.com")
TOKEN = ApiToken("Ann", "laptop", created_at=T0, id=1)


def test_token_revoked_property() -> None:
    assert not TOKEN.revoked
    assert ApiToken("Ann", revoked_at=T0).revoked


@pytest.mark.parametrize(
    ("user", "token", "shown"),
    [
        (ANN, None, "missing or invalid bearer token"),
        (None, TOKEN, "missing or invalid bearer token"),
        (None, None, "missing or invalid bearer token"),
        (ANN, ApiToken("Ann", revoked_at=T0), "revoked"),
        (User("Ann", "ann@example.com", active=False), TOKEN, "user Ann is deactivated"),
    ],
    ids=["no-token", "no-user", "neither", "revoked", "deactivated"],
)
def test_token_refusal(user: User | None, token: ApiToken | None, shown: str) -> None:
    why = A.token_refusal(user, token)
    assert why is not None and shown in why


def test_revoked_wins_over_deactivated() -> None:
    gone = User("Ann", "ann@example.com", active=False)
    why = A.token_refusal(gone, ApiToken("Ann", revoked_at=T0))
    assert why == "this token was revoked"


def test_token_of_an_active_user_signs_in() -> None:
    assert A.token_refusal(ANN, TOKEN) is None


# --- require_* --------------------------------------------------------------------------


def forbidden(field: str, call: object, *args: object) -> Forbidden:
    assert callable(call)
    with pytest.raises(Forbidden) as info:
        call(*args)
    assert info.value.field == field
    return info.value


def test_forbidden_is_invalid_input() -> None:
    assert issubclass(Forbidden, InvalidInput)
    exc = Forbidden("role", "no")
    assert (exc.field, exc.reason) == ("role", "no")


def test_require_admin() -> None:
    A.require_admin(ADMIN, "adding a user")
    A.require_admin(SYSTEM, "adding a user")
    for who in (DISPATCHER, TECH, TECH_ALL, TECH_ONCALL):
        exc = forbidden("role", A.require_admin, who, "adding a user")
        assert "adding a user needs the admin role" in exc.reason
        assert f"{who.name} is {who.role.value}" in exc.reason


def test_require_dispatcher() -> None:
    for who in (ADMIN, DISPATCHER, SYSTEM):
        A.require_dispatcher(who, "editing a customer")
    for who in (TECH, TECH_ALL, TECH_ONCALL):
        exc = forbidden("role", A.require_dispatcher, who, "editing a customer")
        assert "admin or dispatcher role" in exc.reason
        assert f"{who.name} is technician" in exc.reason


def test_require_oncall_write() -> None:
    for who in (ADMIN, SYSTEM, TECH_ONCALL):
        A.require_oncall_write(who)
    for who in (DISPATCHER, TECH, TECH_ALL):
        exc = forbidden("role", A.require_oncall_write, who)
        assert who.name in exc.reason
        assert "on-call write permission" in exc.reason


def test_require_self_or_dispatcher() -> None:
    A.require_self_or_dispatcher(TECH, "Tom", "dial")
    for who in (ADMIN, DISPATCHER, SYSTEM):
        A.require_self_or_dispatcher(who, "Tom", "dial")
    exc = forbidden("user", A.require_self_or_dispatcher, TECH, "Ann", "dial")
    assert exc.reason == "Tom may dial only for themselves"
    # seeing all calls is not acting for others
    forbidden("user", A.require_self_or_dispatcher, TECH_ALL, "Ann", "dial")


# --- FailureLimiter ---------------------------------------------------------------------


def test_under_the_limit_no_wait() -> None:
    limiter = FailureLimiter(limit=3, window=60)
    assert limiter.retry_after("1.2.3.4", 0.0) is None
    limiter.failed("1.2.3.4", 10.0)
    limiter.failed("1.2.3.4", 20.0)
    assert limiter.retry_after("1.2.3.4", 20.0) is None


def test_at_the_limit_waits_until_the_oldest_failure_leaves_the_window() -> None:
    limiter = FailureLimiter(limit=3, window=60)
    for t in (10.0, 20.0, 30.0):
        limiter.failed("c", t)
    assert limiter.retry_after("c", 30.0) == pytest.approx(40.0)  # 10 + 60 - 30
    assert limiter.retry_after("c", 45.0) == pytest.approx(25.0)
    assert limiter.retry_after("c", 69.5) == pytest.approx(0.5)
    wait = limiter.retry_after("c", 30.0)
    assert wait is not None and wait > 0


def test_after_the_window_no_wait_again() -> None:
    limiter = FailureLimiter(limit=3, window=60)
    for t in (10.0, 20.0, 30.0):
        limiter.failed("c", t)
    assert limiter.retry_after("c", 70.0) is None  # the failure at 10 left the window at 70
    assert limiter.retry_after("c", 1000.0) is None
    # the two failures at 20 and 30 had also gone: two new ones are still under the limit
    limiter.failed("c", 1001.0)
    limiter.failed("c", 1002.0)
    assert limiter.retry_after("c", 1002.0) is None


def test_failures_beyond_the_limit_extend_the_wait() -> None:
    limiter = FailureLimiter(limit=2, window=60)
    for t in (0.0, 10.0, 20.0, 30.0):
        limiter.failed("c", t)
    # the two most recent (20, 30) are what counts: blocked until 80
    assert limiter.retry_after("c", 30.0) == pytest.approx(50.0)
    assert limiter.retry_after("c", 79.0) == pytest.approx(1.0)
    assert limiter.retry_after("c", 80.0) is None


def test_succeeded_clears_the_failures() -> None:
    limiter = FailureLimiter(limit=2, window=60)
    limiter.failed("c", 1.0)
    limiter.failed("c", 2.0)
    assert limiter.retry_after("c", 3.0) is not None
    limiter.succeeded("c")
    assert limiter.retry_after("c", 3.0) is None
    limiter.failed("c", 4.0)
    assert limiter.retry_after("c", 4.0) is None
    limiter.succeeded("never-seen")  # no error


def test_clients_are_independent() -> None:
    limiter = FailureLimiter(limit=2, window=60)
    limiter.failed("a", 1.0)
    limiter.failed("a", 2.0)
    limiter.failed("b", 2.0)
    assert limiter.retry_after("a", 3.0) is not None
    assert limiter.retry_after("b", 3.0) is None
    limiter.succeeded("b")
    assert limiter.retry_after("a", 3.0) is not None


def test_max_clients_forgets_the_oldest_client() -> None:
    limiter = FailureLimiter(limit=1, window=60, max_clients=2)
    limiter.failed("a", 1.0)
    limiter.failed("b", 2.0)
    assert limiter.retry_after("a", 3.0) is not None
    limiter.failed("c", 3.0)
    assert limiter.retry_after("a", 4.0) is None  # forgotten
    assert limiter.retry_after("b", 4.0) is not None
    assert limiter.retry_after("c", 4.0) is not None


def test_max_clients_counts_clients_not_failures() -> None:
    limiter = FailureLimiter(limit=5, window=60, max_clients=2)
    for t in range(4):
        limiter.failed("a", float(t))
        limiter.failed("b", float(t))
    limiter.failed("a", 4.0)  # a known client: nobody is forgotten
    assert limiter.retry_after("a", 4.0) is not None
    assert limiter.retry_after("b", 4.0) is None  # 4 failures, under 5
    limiter.failed("b", 4.0)
    assert limiter.retry_after("b", 4.0) is not None


@given(st.integers(1, 50), st.lists(st.text(max_size=3), max_size=200))
def test_memory_is_bounded(max_clients: int, clients: list[str]) -> None:
    limiter = FailureLimiter(limit=3, window=60, max_clients=max_clients)
    for i, client in enumerate(clients):
        limiter.failed(client, float(i))
    assert len(limiter._failures) <= max_clients
    assert all(len(times) <= 3 for times in limiter._failures.values())


def test_defaults() -> None:
    limiter = FailureLimiter()
    assert (limiter.limit, limiter.window, limiter.max_clients) == (10, 60.0, 10_000)


@pytest.mark.parametrize(
    ("limit", "window"),
    [(0, 60.0), (-1, 60.0), (1, 0.0), (1, -5.0), (0, 0.0)],
)
def test_invalid_constructor_arguments(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="must be at least 1, and window positive"):
        FailureLimiter(limit=limit, window=window)


def test_max_clients_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        limiter = FailureLimiter(max_clients=0)
        limiter.failed("c", 0.0)


# The window and times are small integers, as floats: `now - window` is exact, so the
# model below compares exactly what the limiter compares.
@settings(max_examples=300)
@given(
    st.integers(1, 5),
    st.integers(1, 30),
    st.lists(st.integers(0, 20), max_size=30),
    st.integers(0, 40),
)
def test_blocked_iff_limit_failures_within_the_window(
    limit: int, window: int, gaps: list[int], after: int
) -> None:
    limiter = FailureLimiter(limit=limit, window=float(window))
    times: list[float] = []
    t = 0.0
    for gap in gaps:
        t += gap
        times.append(t)
        limiter.failed("c", t)
    now = t + after
    recent = [x for x in times if now - window < x <= now]
    wait = limiter.retry_after("c", now)
    assert (wait is None) is (len(recent) < limit)
    if wait is not None:
        # until the limit-th most recent failure leaves the window
        assert wait == pytest.approx(sorted(recent)[-limit] + window - now)
        assert wait > 0

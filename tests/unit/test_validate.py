"""Validation of extensions, names, emails, choices, timeouts, destinations and lists."""

from __future__ import annotations

import pytest

from pbx.core import validate
from pbx.core.errors import InvalidInput
from pbx.core.model import Destination, DestKind, RingTarget, Role, Strategy
from tests.unit.expect import reject

# --- extensions ---------------------------------------------------------------------


@pytest.mark.parametrize("s", ["100", "101", "998 ", "1000", "8999", "9100", " 205 "])
def test_extension_accepts_three_or_four_digits(s: str) -> None:
    assert validate.extension_number(s) == s.strip()


@pytest.mark.parametrize("s", ["", "12", "12345", "0100", "012", "10a", "1 01", "-101", "١٠١"])
def test_extension_rejects_bad_shapes(s: str) -> None:
    reject("extension", repr(s), validate.extension_number, s)


@pytest.mark.parametrize("s", ["911", "112", "999", "988", "9110", "1120", "9990", "9881"])
def test_extension_rejects_emergency_numbers_and_their_prefixes(s: str) -> None:
    error = reject("extension", repr(s), validate.extension_number, s)
    assert "emergency" in error.reason


def test_extension_field_can_be_named() -> None:
    reject("member", "'12'", validate.extension_number, "12", "member")


# --- names ----------------------------------------------------------------------------


def test_name_is_stripped() -> None:
    assert validate.name("group", "  Dispatch Team ") == "Dispatch Team"
    assert validate.name("user", "José O'Brien") == "José O'Brien"


def test_name_limit_is_80() -> None:
    assert validate.name("user", "a" * 80) == "a" * 80
    error = reject("user", "'" + "a" * 81 + "'", validate.name, "user", "a" * 81)
    assert "80" in error.reason


@pytest.mark.parametrize(
    ("s", "shown"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Tech\x07", r"'Tech\x07'"),
        ("Line\nbreak", r"'Line\nbreak'"),
        ("Tab\tname", r"'Tab\tname'"),
        ("evil\u202eexe", r"'evil\u202eexe'"),
        ("Smith, Ann", "'Smith, Ann'"),
    ],
)
def test_name_rejects(s: str, shown: str) -> None:
    reject("group", shown, validate.name, "group", s)


# --- email ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana.Lopez+pbx@Example.COM ", "Ana.Lopez+pbx@example.com"),
        ("ops@mail.plumbing-co.co.uk", "ops@mail.plumbing-co.co.uk"),
    ],
)
def test_email_accepts(s: str, expected: str) -> None:
    assert validate.email(s) == expected


@pytest.mark.parametrize(
    "s",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana@@example.com",
        "ana@b@example.com",
        "ana lopez@example.com",
        "ana@exa mple.com",
        "ana@example..com",
        "ana@.example.com",
        "ana@example.com.",
        "ana@-example.com",
        "ana@exam_ple.com",
        "a,b@example.com",
        "<ana@example.com>",
    ],
)
def test_email_rejects(s: str) -> None:
    reject("email", repr(s), validate.email, s)


# --- choices --------------------------------------------------------------------------


def test_role() -> None:
    assert validate.role("Admin") is Role.ADMIN
    assert validate.role(" technician ") is Role.TECHNICIAN
    error = reject("role", "'boss'", validate.role, "boss")
    assert "admin, dispatcher, technician" in error.reason


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("ring-all", Strategy.RING_ALL),
        ("Ring All", Strategy.RING_ALL),
        ("ring_all", Strategy.RING_ALL),
        ("SEQUENTIAL", Strategy.SEQUENTIAL),
        ("Longest Idle", Strategy.LONGEST_IDLE),
        ("round-robin", Strategy.ROUND_ROBIN),
        ("fewest-calls", Strategy.FEWEST_CALLS),
        ("random", Strategy.RANDOM),
    ],
)
def test_strategy(s: str, expected: Strategy) -> None:
    assert validate.strategy(s) is expected


def test_strategy_rejects_and_lists_choices() -> None:
    error = reject("strategy", "'hunt'", validate.strategy, "hunt")
    for value in Strategy:
        assert value.value in error.reason


def test_ring_target() -> None:
    assert validate.ring_target("Both") is RingTarget.BOTH
    assert validate.ring_target("cell") is RingTarget.CELL
    error = reject("ring", "'desk'", validate.ring_target, "desk")
    assert "softphone, cell, both" in error.reason


# --- seconds --------------------------------------------------------------------------


@pytest.mark.parametrize(("s", "expected"), [("20", 20), (" 25s ", 25), ("5 s", 5), (300, 300)])
def test_seconds_accepts(s: str | int, expected: int) -> None:
    assert validate.seconds("ring_timeout", s, 5, 300) == expected


@pytest.mark.parametrize(
    ("s", "shown"),
    [("abc", "'abc'"), ("2.5", "'2.5'"), ("-5", "'-5'"), ("", "''"), ("20m", "'20m'")],
)
def test_seconds_rejects_non_numbers(s: str, shown: str) -> None:
    error = reject("ring_timeout", shown, validate.seconds, "ring_timeout", s, 5, 300)
    assert "whole number of seconds" in error.reason


@pytest.mark.parametrize(("s", "shown"), [("4", "'4'"), ("301", "'301'"), (0, "0"), (1000, "1000")])
def test_seconds_rejects_out_of_range(s: str | int, shown: str) -> None:
    error = reject("timeout", shown, validate.seconds, "timeout", s, 5, 300)
    assert "5 to 300" in error.reason


def test_seconds_rejects_bool() -> None:
    reject("timeout", "True", validate.seconds, "timeout", True, 0, 300)


# --- destinations -----------------------------------------------------------------------


def test_destination() -> None:
    assert validate.destination("ext:101") == Destination(DestKind.EXTENSION, "101")
    assert validate.destination(" EXT : 101 ") == Destination(DestKind.EXTENSION, "101")
    assert validate.destination("extension:2001") == Destination(DestKind.EXTENSION, "2001")
    assert validate.destination("group:Dispatch") == Destination(DestKind.GROUP, "Dispatch")
    assert validate.destination("group: After Hours Crew") == Destination(
        DestKind.GROUP, "After Hours Crew"
    )
    assert str(validate.destination("group:Dispatch")) == "group:Dispatch"


@pytest.mark.parametrize(
    ("s", "shown"),
    [
        ("101", "'101'"),
        ("user:ana", "'user:ana'"),
        ("ext:12", "'ext:12'"),
        ("ext:911", "emergency"),
        ("group:", "empty"),
        ("", "''"),
    ],
)
def test_destination_rejects(s: str, shown: str) -> None:
    reject("destination", shown, validate.destination, s)


# --- provider references ----------------------------------------------------------------


def test_provider_ref() -> None:
    sid = "PN0123456789abcdef0123456789abcdef"
    assert validate.provider_ref(f" {sid} ") == sid
    assert validate.provider_ref("3fa85f64-5717-4562-b3fc-2c963f66afa6")


@pytest.mark.parametrize("s", ["", "PN 123", "a;b", "x" * 129, "PN\n1"])
def test_provider_ref_rejects(s: str) -> None:
    reject("provider_ref", repr(s), validate.provider_ref, s)


# --- lists ------------------------------------------------------------------------------


def test_csv_list() -> None:
    assert validate.csv_list("members", "101, 102 ,103") == ("101", "102", "103")
    assert validate.csv_list("members", "101") == ("101",)
    assert validate.csv_list("members", " ", allow_empty=True) == ()


@pytest.mark.parametrize(
    ("s", "shown"),
    [("", "empty"), ("101,,102", "'101,,102'"), ("101,", "'101,'"), ("101,102,101", "'101'")],
)
def test_csv_list_rejects(s: str, shown: str) -> None:
    reject("members", shown, validate.csv_list, "members", s)


# -- trunk fields --------------------------------------------------------------


@pytest.mark.parametrize("good", ["provider", "twilio-east", "T_1"])
def test_identifier_accepts(good: str) -> None:
    assert validate.identifier("name", f" {good} ") == good


@pytest.mark.parametrize("bad", ["", "1abc", "has space", "semi;colon", "[section]", "x" * 41])
def test_identifier_refuses(bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate.identifier("name", bad)
    assert exc.value.field == "name" and repr(bad) in exc.value.reason


@pytest.mark.parametrize("good", ["sip.example.net", "SIP.Example.NET", "10.0.0.5", "pbx1"])
def test_hostname_accepts(good: str) -> None:
    assert validate.hostname(good) == good.lower()


@pytest.mark.parametrize("bad", ["", "exa mple.com", "-bad.com", "a..b", "1234", "host;x"])
def test_hostname_refuses(bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate.hostname(bad)
    assert exc.value.field == "host"


def test_secret_rules() -> None:
    assert validate.secret("password", "s3cret-pass") == "s3cret-pass"
    for bad in ("short", "has space in it", "semi;colon!", "x" * 129):
        with pytest.raises(InvalidInput) as exc:
            validate.secret("password", bad)
        assert exc.value.field == "password"


def test_sip_user_and_port() -> None:
    assert validate.sip_user(" acct+1@x ") == "acct+1@x"
    with pytest.raises(InvalidInput):
        validate.sip_user("two words")
    assert validate.port("port", "5061") == 5061
    for bad in ("0", "70000", "sip"):
        with pytest.raises(InvalidInput) as exc:
            validate.port("port", bad)
        assert exc.value.field == "port"

"""Phone number normalisation: E.164 out, clear reasons for what is refused."""

from __future__ import annotations

import pytest

from pbx.core import phone
from pbx.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+14155550100", "US", "+14155550100"),
        ("+1 (415) 555-0100", "US", "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("415.555.0100", "US", "+14155550100"),
        ("1-415-555-0100", "US", "+14155550100"),
        ("  +1 212 555 0199  ", "US", "+12125550199"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("00442079460958", "GB", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("(02) 9374 4000", "AU", "+61293744000"),
        ("613-555-0123", "CA", "+16135550123"),
        ("415 555 0100", "us", "+14155550100"),
        ("+1 800 555 0100", "US", "+18005550100"),
    ],
)
def test_normalize_accepts_common_forms(raw: str, region: str, e164: str) -> None:
    assert phone.normalize(raw, region) == e164


def test_normalize_is_idempotent() -> None:
    once = phone.normalize("(415) 555-0100", "US")
    assert phone.normalize(once, "US") == once
    assert phone.normalize(once, "GB") == once


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("+1555", "too short"),
        ("12", "too short"),
        ("+15551234567", "not an assigned number range"),
        ("555-0100", "include the area code"),
        ("abc", "not a phone number"),
        ("+999 123 456", "unknown country code"),
        ("+1 415 555 0100 ext 12", "extension"),
        ("+1 415 555 0100 1234 5678", "too long"),
    ],
)
def test_normalize_rejects_with_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidInput) as info:
        phone.normalize(raw, "US", field="mobile")
    assert info.value.field == "mobile"
    assert repr(raw) in info.value.reason
    assert why in info.value.reason


def test_normalize_rejects_empty() -> None:
    with pytest.raises(InvalidInput) as info:
        phone.normalize("   ", "US")
    assert info.value.field == "phone"
    assert "no phone number" in info.value.reason


def test_normalize_rejects_absurdly_long_input() -> None:
    raw = "1" * 100
    with pytest.raises(InvalidInput) as info:
        phone.normalize(raw, "US")
    assert "too long" in info.value.reason


def test_fictional_555_numbers_are_not_accepted() -> None:
    # The product documents show +15551234567; area code 555 is not assigned,
    # so it is refused. 555-01XX inside a real area code is valid and fictional.
    with pytest.raises(InvalidInput):
        phone.normalize("+15551234567", "US")
    assert phone.normalize("+1 415 555 0199", "US") == "+14155550199"


def test_unknown_region_is_an_error_of_the_region() -> None:
    with pytest.raises(InvalidInput) as info:
        phone.normalize("4155550100", "XX")
    assert info.value.field == "region"
    assert "'XX'" in info.value.reason


@pytest.mark.parametrize(
    ("e164", "region", "expected"),
    [
        ("+14155550100", "US", False),
        ("+16135550123", "US", False),  # Canada shares +1
        ("+442079460958", "US", True),
        ("+442079460958", "GB", False),
        ("+14155550100", "GB", True),
        ("+61293744000", "AU", False),
    ],
)
def test_is_international(e164: str, region: str, expected: bool) -> None:
    assert phone.is_international(e164, region) is expected


def test_is_international_rejects_non_e164() -> None:
    with pytest.raises(InvalidInput) as info:
        phone.is_international("4155550100", "US")
    assert "'4155550100'" in info.value.reason


def test_display() -> None:
    assert phone.display("+14155550100") == "+1 415-555-0100"
    assert phone.display("+442079460958") == "+44 20 7946 0958"


def test_display_never_fails() -> None:
    assert phone.display("anonymous") == "anonymous"
    assert phone.display("") == ""

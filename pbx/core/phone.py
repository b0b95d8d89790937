"""Phone numbers at the boundary: parse what people type, store E.164, show it readably.

Every number that enters the system (business numbers, mobiles, forwarding and
after-hours numbers, customer phones, caller IDs) goes through `normalize`, so
comparing two stored numbers is a plain string comparison.

Accepted numbers: only those that `phonenumbers.is_valid_number` accepts, i.e.
numbers in a range that the numbering plan of their country actually assigns.
Fictional numbers such as +1 555 123 4567 (NANP area code 555) are rejected;
the reserved-for-fiction exchange 555-0100..0199 inside a real area code
(e.g. +1 415 555 0100) is valid and is what examples and tests should use.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, ValidationResult

from pbx.core.errors import InvalidInput

__all__ = ["display", "is_international", "normalize"]

_MAX_INPUT = 64

_PARSE_REASONS: dict[int, str] = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

_POSSIBLE_REASONS: dict[int, str] = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number; include the area code",
}


def _region(region: str) -> str:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            "region", f"unknown region {region!r} (use a two-letter country code such as 'US')"
        )
    return code


def _attempt(text: str, region: str) -> PhoneNumber | str:
    """Parse one interpretation of the input: the number if valid, else why not."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return _PARSE_REASONS.get(exc.error_type, "not a phone number")
    if number.extension:
        return f"has an extension ({number.extension}); give the number without it"
    if phonenumbers.is_valid_number(number):
        return number
    why = phonenumbers.is_possible_number_with_reason(number)
    return _POSSIBLE_REASONS.get(why, "not an assigned number range")


def normalize(raw: str, region: str, field: str = "phone") -> str:
    """Return `raw` as an E.164 string ("+14155550100") or raise InvalidInput(field, ...).

    `raw` may be in international form ("+1 (415) 555-0100", "+44 20 7946 0958"),
    in the national form of `region` ("(415) 555-0100" for "US", "020 7946 0958"
    for "GB"), or use the region's international call prefix ("011 44 ..." from
    the US). A leading "00" is also accepted as an international prefix when it
    cannot be read as a number of `region` (e.g. "0044 20 7946 0958" with "US"),
    since 00 is the prefix in most of the world.

    Only numbers that phonenumbers considers valid are accepted (see the module
    docstring); numbers with an extension are rejected because E.164 cannot
    carry one. An unknown `region` raises InvalidInput("region", ...).
    """
    code = _region(region)
    text = raw.strip()
    if not text:
        raise InvalidInput(field, "no phone number given (e.g. '+14155550100')")
    if len(text) > _MAX_INPUT:
        raise InvalidInput(field, f"{text!r} is too long to be a phone number")
    candidates = [text]
    compact = "".join(ch for ch in text if not ch.isspace() and ch not in "-.()/")
    if compact.startswith("00") and len(compact) > 2:
        candidates.append("+" + compact[2:])
    result: PhoneNumber | str = ""
    for candidate in candidates:
        result = _attempt(candidate, code)
        if isinstance(result, PhoneNumber):
            return phonenumbers.format_number(result, PhoneNumberFormat.E164)
    raise InvalidInput(field, f"{text!r} is not a valid phone number ({result})")


def _parse_e164(e164: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(e164, None)
    except NumberParseException:
        raise InvalidInput("phone", f"{e164!r} is not an E.164 number (e.g. '+14155550100')") from None


def is_international(e164: str, region: str) -> bool:
    """True if the country calling code of `e164` differs from that of `region`.

    Calls within one shared calling code are not international: with region
    "US", "+16135550123" (Canada, also +1) is domestic, "+442079460958" is not.
    """
    code = _region(region)
    number = _parse_e164(e164)
    return number.country_code != phonenumbers.country_code_for_region(code)


def display(e164: str) -> str:
    """Format a stored E.164 number for people: "+1 415-555-0100", "+44 20 7946 0958".

    Display never fails: a string that cannot be parsed is returned unchanged.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)

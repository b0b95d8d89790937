"""Validation of the small values that admins type: extensions, names, emails, choices.

Every function returns the cleaned value (stripped, canonical case) or raises
InvalidInput(field, reason) whose reason quotes the bad value and, for choices,
lists the allowed ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from pbx.core import phone
from pbx.core.choices import choice
from pbx.core.errors import InvalidInput
from pbx.core.model import (
    MENU_KEYS,
    Destination,
    DestKind,
    MenuTarget,
    OptionKind,
    RingTarget,
    Role,
    Strategy,
)

__all__ = [
    "EMERGENCY_NUMBERS",
    "NAME_MAX",
    "count",
    "csv_list",
    "destination",
    "email",
    "extension_number",
    "hostname",
    "identifier",
    "menu_option",
    "menu_target",
    "name",
    "ordered_options",
    "port",
    "provider_ref",
    "ring_target",
    "role",
    "seconds",
    "secret",
    "sip_user",
    "strategy",
]

# Numbers that a phone anywhere must be able to dial to reach emergency (or
# crisis) services. No extension may equal one or start with one, so that
# neither the dialplan nor a phone's digit map ever waits for more digits.
EMERGENCY_NUMBERS: tuple[str, ...] = ("911", "112", "999", "988", "000")

NAME_MAX = 80
_EMAIL_MAX = 254
_PROVIDER_REF_MAX = 128

_EXTENSION_RE = re.compile(r"[1-9][0-9]{2,3}")
_SECONDS_RE = re.compile(r"([0-9]+)\s*s?")
_PROVIDER_REF_RE = re.compile(r"[A-Za-z0-9._:-]+")
_EMAIL_LOCAL_FORBIDDEN = set('<>()[]\\,;:"')

E = TypeVar("E", bound=StrEnum)


def extension_number(s: str, field: str = "extension") -> str:
    """Return a valid extension number: 3 or 4 digits, first digit 1-9.

    A leading 0 is refused (0 is the operator / outside-line prefix on many
    systems and "000" is an emergency number), and so is any extension that
    equals or starts with an emergency number (911, 112, 999, 988, 000).
    """
    text = s.strip()
    if not _EXTENSION_RE.fullmatch(text):
        raise InvalidInput(field, f"{s!r} is not an extension (3 or 4 digits, not starting with 0)")
    for emergency in EMERGENCY_NUMBERS:
        if text.startswith(emergency):
            raise InvalidInput(
                field,
                f"{text!r} would collide with the emergency number {emergency}; choose another",
            )
    return text


def _has_control(s: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" for ch in s)


def name(field: str, s: str) -> str:
    """Return `s` stripped: a non-empty display/lookup name of at most 80 characters.

    Control and format characters are refused, and so are commas because the
    CLI takes lists of names as comma-separated values.
    """
    text = s.strip()
    if not text:
        raise InvalidInput(field, "is empty; give a name")
    if _has_control(text):
        raise InvalidInput(field, f"{s!r} contains a control character")
    if "," in text:
        raise InvalidInput(field, f"{text!r} contains a comma (lists are comma-separated)")
    if len(text) > NAME_MAX:
        raise InvalidInput(
            field, f"{text!r} is {len(text)} characters long; the limit is {NAME_MAX}"
        )
    return text


def email(s: str, field: str = "email") -> str:
    """Return a sanity-checked email address with its domain lower-cased.

    Checks: exactly one "@", a non-empty local part without spaces, quotes or
    list punctuation, and a domain of at least two dot-separated labels made of
    letters, digits and inner hyphens. Deliverability is not checked.
    """
    text = s.strip()
    bad = f"{s!r} is not an email address (e.g. 'ana@example.com')"
    if not text or len(text) > _EMAIL_MAX or _has_control(text):
        raise InvalidInput(field, bad)
    if any(ch.isspace() for ch in text) or text.count("@") != 1:
        raise InvalidInput(field, bad)
    local, domain = text.split("@")
    if not local or len(local) > 64 or any(ch in _EMAIL_LOCAL_FORBIDDEN for ch in local):
        raise InvalidInput(field, bad)
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidInput(field, f"{s!r} is not an email address (the domain has no dot)")
    for label in labels:
        if (
            not label
            or label.startswith("-")
            or label.endswith("-")
            or not all(ch.isalnum() or ch == "-" for ch in label)
        ):
            raise InvalidInput(field, bad)
    return f"{local}@{domain.lower()}"


def role(s: str) -> Role:
    """Parse a user role, case-insensitively: admin, dispatcher or technician."""
    return choice("role", s, Role)


def strategy(s: str) -> Strategy:
    """Parse a ring strategy; "Ring All", "ring_all" and "ring-all" are the same."""
    return choice("strategy", s, Strategy)


def ring_target(s: str) -> RingTarget:
    """Parse where a user's calls ring: softphone, cell or both."""
    return choice("ring", s, RingTarget)


def seconds(field: str, s: str | int, lo: int, hi: int) -> int:
    """Parse a whole number of seconds ("20", "20s" or 20) within lo..hi inclusive."""
    if isinstance(s, bool):
        raise InvalidInput(field, f"{s!r} is not a whole number of seconds")
    if isinstance(s, int):
        value = s
    else:
        match = _SECONDS_RE.fullmatch(s.strip())
        if match is None:
            raise InvalidInput(field, f"{s!r} is not a whole number of seconds")
        value = int(match.group(1))
    if not lo <= value <= hi:
        raise InvalidInput(field, f"{s!r} is out of range ({lo} to {hi} seconds)")
    return value


def count(field: str, s: str | int, lo: int, hi: int) -> int:
    """Parse a whole number ("2" or 2) within lo..hi inclusive."""
    if isinstance(s, bool):
        raise InvalidInput(field, f"{s!r} is not a whole number")
    if isinstance(s, int):
        value = s
    else:
        text = s.strip()
        if not (text.isascii() and text.isdigit()):
            raise InvalidInput(field, f"{s!r} is not a whole number (e.g. '2')")
        value = int(text)
    if not lo <= value <= hi:
        raise InvalidInput(field, f"{s!r} is out of range ({lo} to {hi})")
    return value


def destination(s: str, field: str = "destination") -> Destination:
    """Parse "ext:NUMBER", "group:NAME" or "menu:NAME" ("extension:" is accepted for "ext:")."""
    kind_text, sep, target = s.partition(":")
    kind_key = kind_text.strip().lower()
    if not sep or kind_key not in ("ext", "extension", "group", "menu"):
        raise InvalidInput(
            field,
            f"{s!r} is not ext:NUMBER, group:NAME or menu:NAME "
            "(e.g. 'ext:101', 'group:Dispatch', 'menu:Main')",
        )
    try:
        if kind_key == "group":
            return Destination(DestKind.GROUP, name(field, target))
        if kind_key == "menu":
            return Destination(DestKind.MENU, name(field, target))
        return Destination(DestKind.EXTENSION, extension_number(target, field))
    except InvalidInput as exc:
        raise InvalidInput(field, f"in {s!r}: {exc.reason}") from None


_TARGET_HELP = (
    "group:NAME, ext:NUMBER, user:NAME, voicemail:BOX, menu:NAME, number:PHONE (or a phone "
    "number), oncall or repeat (e.g. 'group:Dispatch', 'ext:101', '+13125550100')"
)
_NAMED_TARGETS: dict[str, OptionKind] = {
    "group": OptionKind.GROUP,
    "user": OptionKind.USER,
    "voicemail": OptionKind.VOICEMAIL,
    "menu": OptionKind.MENU,
}


def menu_target(s: str, field: str, region: str) -> MenuTarget:
    """Parse where a menu key (or a menu's default) sends the caller: `group:NAME`,
    `ext:NUMBER` (or `extension:`), `user:NAME`, `voicemail:BOX`, `menu:NAME`,
    `number:PHONE` or a bare phone number (normalised to E.164 in `region`),
    `oncall` (the on-call technician) or `repeat` (play the menu again).
    Whether the named entity exists is checked by the rules."""
    text = s.strip()
    word = text.lower()
    if word in ("oncall", "on-call"):
        return MenuTarget(OptionKind.ONCALL)
    if word == "repeat":
        return MenuTarget(OptionKind.REPEAT)
    kind_text, sep, rest = text.partition(":")
    kind_key = kind_text.strip().lower()
    try:
        if sep and kind_key in _NAMED_TARGETS:
            return MenuTarget(_NAMED_TARGETS[kind_key], name(field, rest))
        if sep and kind_key in ("ext", "extension"):
            return MenuTarget(OptionKind.EXTENSION, extension_number(rest, field))
        if sep and kind_key == "number":
            return MenuTarget(OptionKind.NUMBER, phone.normalize(rest, region, field))
        if not sep and text and any(ch.isdigit() for ch in text):
            return MenuTarget(OptionKind.NUMBER, phone.normalize(text, region, field))
    except InvalidInput as exc:
        raise InvalidInput(field, f"in {s!r}: {exc.reason}") from None
    if not text:
        raise InvalidInput(field, f"is empty; give {_TARGET_HELP}")
    raise InvalidInput(field, f"{s!r} is not {_TARGET_HELP}")


def menu_option(s: str, field: str, region: str) -> tuple[str, MenuTarget]:
    """Parse a menu option `KEY=TARGET` (e.g. `1=group:Dispatch`, `0=voicemail:Main`):
    KEY is one of 0-9, * and #; TARGET as `menu_target` takes it."""
    key_text, sep, target = s.partition("=")
    key = key_text.strip()
    if not sep:
        raise InvalidInput(field, f"{s!r} is not KEY=TARGET (e.g. '1=group:Dispatch')")
    if len(key) != 1 or key not in MENU_KEYS:
        raise InvalidInput(
            field, f"{key!r} in {s!r} is not a key (one of 0-9, * or #; e.g. '1=group:Dispatch')"
        )
    return key, menu_target(target, field, region)


def ordered_options(
    options: Iterable[tuple[str, MenuTarget]],
) -> tuple[tuple[str, MenuTarget], ...]:
    """Menu options in the order of the keys' labels: 0-9, then * and #."""
    return tuple(sorted(options, key=lambda option: (MENU_KEYS.find(option[0]), option[0])))


def provider_ref(s: str, field: str = "provider_ref") -> str:
    """Return a provider's reference id (e.g. a Twilio SID 'PN0123...') stripped.

    Up to 128 characters of letters, digits and . _ : - ; no spaces.
    """
    text = s.strip()
    if not _PROVIDER_REF_RE.fullmatch(text) or len(text) > _PROVIDER_REF_MAX:
        raise InvalidInput(
            field,
            f"{s!r} is not a provider reference (up to {_PROVIDER_REF_MAX} letters, digits, . _ : -)",
        )
    return text


def csv_list(field: str, s: str, allow_empty: bool = False) -> tuple[str, ...]:
    """Split a comma-separated list: items stripped, none empty, none repeated.

    An entirely blank `s` is an error unless `allow_empty`, when it gives ().
    """
    if not s.strip():
        if allow_empty:
            return ()
        raise InvalidInput(field, "the list is empty")
    items = tuple(part.strip() for part in s.split(","))
    if any(not item for item in items):
        raise InvalidInput(field, f"{s!r} has an empty item")
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise InvalidInput(field, f"{item!r} is listed twice in {s!r}")
        seen.add(item)
    return items


_IDENTIFIER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
_HOSTNAME_RE = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_IPV4_RE = re.compile(
    r"(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}"
)
_SIP_USER_RE = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
_SECRET_FORBIDDEN = set(';#"\\')


def identifier(field: str, s: str) -> str:
    """A name that ends up in Asterisk config section names (e.g. a trunk):
    a letter, then up to 39 letters, digits, '_' or '-'."""
    text = s.strip()
    if not _IDENTIFIER_RE.fullmatch(text):
        raise InvalidInput(
            field, f"{s!r} must be a letter then up to 39 letters, digits, '_' or '-'"
        )
    return text


def hostname(s: str, field: str = "host") -> str:
    """A DNS host name or IPv4 address, lower-cased."""
    text = s.strip().lower()
    if not (_IPV4_RE.fullmatch(text) or (_HOSTNAME_RE.fullmatch(text) and not text.isdigit())):
        raise InvalidInput(field, f"{s!r} is not a host name or IPv4 address")
    return text


def sip_user(s: str, field: str = "username") -> str:
    """A SIP user name: 1-64 letters, digits or . _ @ + -."""
    text = s.strip()
    if not _SIP_USER_RE.fullmatch(text):
        raise InvalidInput(field, f"{s!r} is not a SIP user name (letters, digits, . _ @ + -)")
    return text


def secret(field: str, s: str) -> str:
    """A password stored in Asterisk's config: 8-128 printable characters, no spaces,
    and none of ; # \" \\ (they would need escaping in a config file)."""
    if not 8 <= len(s) <= 128:
        raise InvalidInput(field, "must be 8 to 128 characters long")
    if any(c.isspace() or not c.isprintable() or c in _SECRET_FORBIDDEN for c in s):
        raise InvalidInput(field, 'may not contain spaces or any of ; # " \\')
    return s


def port(field: str, s: str | int) -> int:
    """A UDP/TCP port number, 1-65535."""
    try:
        value = int(s)
    except (TypeError, ValueError):
        raise InvalidInput(field, f"{s!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise InvalidInput(field, f"{value} is not a port number (1 to 65535)")
    return value


NOTIFY_CHANNELS = ("email", "sms", "push")


def notify_channels(s: str) -> tuple[str, ...]:
    """Where a user's voicemail notifications go: a comma-separated subset of email, sms, push
    ('' or 'none': nowhere)."""
    if s.strip().lower() == "none":
        return ()
    items = tuple(item.lower() for item in csv_list("notify", s, allow_empty=True))
    for item in items:
        if item not in NOTIFY_CHANNELS:
            raise InvalidInput("notify", f"unknown channel {item!r} (email, sms or push)")
    return items

"""Reading one of an enum's values from what a person typed."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from pbx.core.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

_SEPARATORS = re.compile(r"[\s_-]+")


def _key(text: str) -> str:
    return _SEPARATORS.sub("", text.strip().lower())


def choice(field: str, raw: str, enum: type[E]) -> E:
    """The member of `enum` that `raw` names, ignoring case, spaces, '-' and '_'
    ("No Answer", "no-answer" and "noanswer" are the same); InvalidInput naming `field`."""
    key = _key(raw)
    for member in enum:
        if _key(member.value) == key:
            return member
    raise InvalidInput(field, f"{raw!r} is not one of {', '.join(m.value for m in enum)}")

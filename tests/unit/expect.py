"""Assertions shared by the unit tests."""

from __future__ import annotations

import pytest

from pbx.core.errors import InvalidInput


def reject(field: str, shown: str, call: object, *args: object) -> InvalidInput:
    """`call(*args)` raises InvalidInput for `field` with `shown` in its reason."""
    assert callable(call)
    with pytest.raises(InvalidInput) as info:
        call(*args)
    assert info.value.field == field
    assert shown in info.value.reason, info.value.reason
    return info.value

"""Fixtures of the end-to-end tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.system import System


@pytest.fixture()
def system(tmp_path: Path) -> Iterator[System]:
    sys_ = System(tmp_path)
    try:
        yield sys_
    finally:
        sys_.stop_all()

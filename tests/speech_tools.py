"""The speech tests need flite and sox; `make test` installs them (tools/system-deps.sh).

A missing tool fails the tests that need it (a skip would hide a broken install).
"""

from __future__ import annotations

import shutil

import pytest

MISSING = [tool for tool in ("flite", "sox") if shutil.which(tool) is None]


def require_speech_tools() -> None:
    """Fail the calling test when flite or sox is missing, saying which."""
    if MISSING:
        pytest.fail(f"{' and '.join(MISSING)} missing: run tools/system-deps.sh (make test does)")


needs_speech_tools = pytest.mark.usefixtures("speech_tools")


@pytest.fixture
def speech_tools() -> None:
    require_speech_tools()

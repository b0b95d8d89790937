"""Running the `pbx` CLI in-process against a temporary PBX_HOME (the integration tier)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app

runner = CliRunner()

# Settings from the environment that would leak the developer's setup into a test.
LEAKY = ("PBX_DATABASE_URL", "PBX_DEFAULT_REGION", "PBX_ALLOW_INTERNATIONAL", "PBX_MAIN_NUMBER")


def use_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point PBX_HOME at `home`, with none of the developer's PBX_* settings."""
    monkeypatch.setenv("PBX_HOME", str(home))
    for var in LEAKY:
        monkeypatch.delenv(var, raising=False)
    return home


def pbx(*args: str) -> tuple[int, str, str]:
    """Run `pbx ARGS`: exit code, stdout, stderr."""
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    """Run `pbx ARGS`, which must succeed; its stdout."""
    code, out, err = pbx(*args)
    assert code == 0, f"pbx {' '.join(args)} failed ({code}): {err}"
    return out

"""`pbx token` against a real SQLite PBX_HOME: the secret is shown once, stored hashed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.integration.cli_runner import ok, pbx, use_home


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = use_home(tmp_path / "pbx-home", monkeypatch)
    ok("user", "add", "ann", "--email", "ann@example.com")
    return home


def test_create_list_revoke(home: Path) -> None:
    secret = ok("token", "create", "--user", "ann", "--name", "crm").strip().splitlines()[-1]
    assert secret.startswith("pbx_") and len(secret) > 40
    rows = json.loads(ok("token", "list", "--json"))
    assert [(r["id"], r["user"], r["name"], r["revoked"]) for r in rows] == [
        (1, "ann", "crm", None)
    ]
    stored = (
        sqlite3.connect(home / "pbx.db").execute("SELECT token_hash FROM api_tokens").fetchall()
    )
    assert stored and secret not in str(stored)  # only the hash is kept
    made = json.loads(ok("token", "create", "--user", "ann", "--all-calls", "--json"))
    assert made["all_calls"] is True and made["token"].startswith("pbx_")
    assert "revoked token 1 of ann" in ok("token", "revoke", "1")
    rows = json.loads(ok("token", "list", "--user", "ann", "--json"))
    assert rows[0]["revoked"] is not None and rows[1]["revoked"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--user", "zed"), "error: user: no such user 'zed'"),
        (("revoke", "42"), "error: token: no such token 42"),
        (("list", "--user", "zed"), "error: user: no such user 'zed'"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    home: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = pbx("token", *args)
    assert code == 2 and err.strip() == message, (code, out, err)
    assert json.loads(ok("token", "list", "--json")) == []


def test_dial_without_a_controller_says_so(home: Path) -> None:
    code, _, err = pbx("dial", "--user", "ann", "+13125550199")
    assert code == 1 and "controller is not running" in err

"""The `pbx` CLI against a real SQLite database in a temporary PBX_HOME.

Every bad input must give one line on stderr naming the field and the reason,
exit status 2, and leave the stored directory exactly as it was.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.cli_runner import ok, pbx, use_home


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "pbx-home"
    use_home(home, monkeypatch)
    return home


def state() -> dict[str, object]:
    """Everything stored, as the CLI lists it."""
    lists = {
        "users": ["user", "list"],
        "exts": ["ext", "list", "--show-secrets"],
        "numbers": ["number", "list"],
        "groups": ["group", "list"],
        "schedules": ["schedule", "list"],
        "boxes": ["voicemail", "box", "list"],
        "customers": ["customer", "list"],
        "jobs": ["job", "list"],
        "trunks": ["trunk", "list", "--show-secrets"],
    }
    return {key: json.loads(ok(*cmd, "--json")) for key, cmd in lists.items()}


@pytest.fixture()
def populated(home: Path) -> Path:
    ok("init")
    ok("user", "add", "Ann", "--email", "ann@example.com", "--mobile", "(312) 555-0101", "--role", "admin")
    ok("user", "add", "Bob", "--email", "bob@example.com", "--mobile", "+1 312 555 0102")
    ok("user", "add", "Cat", "--email", "cat@example.com")
    ok("ext", "add", "101", "--user", "Ann")
    ok("ext", "add", "102", "--user", "Bob", "--ring", "both")
    ok("voicemail", "box", "add", "After Hours", "--members", "Ann,Bob")
    ok("group", "add", "Dispatch", "--strategy", "ring-all", "--members", "101,102", "--ext", "600")
    ok(
        "schedule", "add", "Office", "--tz", "America/Chicago",
        "--hours", "mon-fri 08:00-17:00", "--hours", "sat 09:00-12:00",
        "--holiday", "2026-12-25", "--after-hours", "oncall,+13125550199,voicemail:After Hours",
    )
    ok(
        "number", "add", "+13125550100", "--label", "Main line", "--provider", "twilio",
        "--provider-ref", "PN123", "--dest", "group:Dispatch", "--schedule", "Office",
        "--forward", "+13125550150",
    )
    ok("number", "add", "+13125550110", "--label", "Ann direct", "--assign", "Ann")
    ok("customer", "add", "Dana Homeowner", "--phone", "312-555-0177", "--owner", "Bob")
    ok("job", "add", "--customer", "Dana Homeowner", "Furnace repair")
    ok("trunk", "add", "provider", "--host", "sip.example.net", "--username", "acct1", "--password", "s3cret-pass")
    return home


def test_round_trip_listing(populated: Path) -> None:
    s = state()
    assert [u["name"] for u in s["users"]] == ["Ann", "Bob", "Cat"]  # type: ignore[index]
    ann = s["users"][0]  # type: ignore[index]
    assert ann["mobile"] == "+13125550101" and ann["role"] == "admin"
    exts = {e["number"]: e for e in s["exts"]}  # type: ignore[attr-defined]
    assert exts["102"]["ring"] == "both"
    assert len(exts["101"]["sip_password"]) >= 20
    assert exts["101"]["sip_password"] != exts["102"]["sip_password"]
    group = s["groups"][0]  # type: ignore[index]
    assert group["members"] == ["101", "102"] and group["ext"] == "600"
    sched = s["schedules"][0]  # type: ignore[index]
    assert sched["after_hours"] == ["oncall", "+13125550199", "voicemail:After Hours"]
    assert sched["holidays"] == ["2026-12-25"]
    numbers = {n["number"]: n for n in s["numbers"]}  # type: ignore[attr-defined]
    assert numbers["+13125550100"]["dest"] == "group:Dispatch"
    assert numbers["+13125550110"]["assigned_user"] == "Ann"
    assert s["customers"][0]["phones"] == ["+13125550177"]  # type: ignore[index]
    assert s["jobs"][0]["title"] == "Furnace repair"  # type: ignore[index]
    assert "password" not in json.loads(ok("trunk", "list", "--json"))[0]
    assert "sip_password" not in json.loads(ok("ext", "list", "--json"))[0]


def test_secrets_are_private(populated: Path) -> None:
    for path in (populated / "pbx.toml", populated / "pbx.db"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    config = (populated / "pbx.toml").read_text()
    assert "ari_password" in config and "ami_secret" in config


BAD_INPUTS = [
    (["user", "add", "Dan", "--email", "dan@example.com", "--mobile", "12345"], "mobile"),
    (["user", "add", "Dan", "--email", "not-an-email"], "email"),
    (["user", "add", "Ann", "--email", "ann2@example.com"], "name"),
    (["user", "add", "Dan", "--email", "dan@example.com", "--role", "boss"], "role"),
    (["user", "update", "Nobody", "--role", "admin"], "user"),
    (["user", "remove", "Ann"], "user"),
    (["user", "remove", "Nobody"], "user"),
    (["ext", "add", "12", "--user", "Cat"], "extension"),
    (["ext", "add", "12345", "--user", "Cat"], "extension"),
    (["ext", "add", "10a", "--user", "Cat"], "extension"),
    (["ext", "add", "101", "--user", "Cat"], "extension"),
    (["ext", "add", "600", "--user", "Cat"], "extension"),
    (["ext", "add", "103", "--user", "Nobody"], "user"),
    (["ext", "add", "103", "--user", "Cat", "--ring", "pager"], "ring"),
    (["ext", "remove", "101"], "extension"),
    (["number", "add", "+1555", "--label", "Bad"], "number"),
    (["number", "add", "hello", "--label", "Bad"], "number"),
    (["number", "add", "+13125550100", "--label", "Dup"], "number"),
    (["number", "add", "+13125550120", "--label", "X", "--assign", "Ann"], "assign"),
    (["number", "add", "+13125550120", "--label", "X", "--assign", "Nobody"], "assign"),
    (["number", "add", "+13125550120", "--label", "X", "--dest", "group:Nope"], "dest"),
    (["number", "add", "+13125550120", "--label", "X", "--dest", "ext:999"], "dest"),
    (["number", "add", "+13125550120", "--label", "X", "--dest", "pager:1"], "dest"),
    (["number", "add", "+13125550120", "--label", "X", "--schedule", "Nope"], "schedule"),
    (["number", "add", "+13125550120", "--label", "X", "--forward", "+442079460958"], "forward"),
    (["number", "assign", "+13125550110", "Bob"], "number"),
    (["number", "assign", "+13125550100", "Ann"], "assign"),
    (["number", "update", "+13125550100", "--provider-ref", "PN999"], "provider_ref"),
    (["number", "update", "+13125550100", "--provider", "other"], "provider"),
    (["number", "disable", "+13125550999"], "number"),
    (["group", "add", "G2", "--strategy", "loudest", "--members", "101"], "strategy"),
    (["group", "add", "G2", "--strategy", "ring-all", "--members", "101,999"], "members"),
    (["group", "add", "Dispatch", "--strategy", "ring-all", "--members", "101"], "name"),
    (["group", "add", "G2", "--strategy", "ring-all", "--members", "101", "--ext", "102"], "ext"),
    (["group", "remove", "Dispatch"], "group"),
    (["group", "update", "Nope", "--strategy", "random"], "group"),
    (["schedule", "add", "S2", "--tz", "Mars/Base", "--hours", "mon-fri 08:00-17:00"], "timezone"),
    (["schedule", "add", "S2", "--tz", "America/Chicago", "--hours", "mon-fri 8-17"], "hours"),
    (["schedule", "add", "S2", "--tz", "America/Chicago", "--hours", "mon-fri 08:00-17:00",
      "--hours", "mon 12:00-13:00"], "hours"),
    (["schedule", "add", "S2", "--tz", "America/Chicago", "--hours", "mon-fri 08:00-17:00",
      "--holiday", "christmas"], "holiday"),
    (["schedule", "add", "S2", "--tz", "America/Chicago", "--hours", "mon-fri 08:00-17:00",
      "--after-hours", "voicemail:Nope"], "after_hours"),
    (["schedule", "add", "Office", "--tz", "America/Chicago", "--hours", "mon 08:00-17:00"], "name"),
    (["voicemail", "box", "add", "Shared", "--members", "Ann,Nobody"], "members"),
    (["voicemail", "box", "add", "After Hours"], "name"),
    (["customer", "add", "Eve", "--phone", "call me"], "phone"),
    (["customer", "add", "Eve", "--phone", "+13125550188", "--owner", "Nobody"], "owner"),
    (["job", "add", "--customer", "Nobody", "Leak"], "customer"),
    (["trunk", "add", "provider", "--host", "sip.example.net", "--username", "u", "--password", "p4ssword"], "name"),
    (["trunk", "add", "global", "--host", "sip.example.net", "--username", "u", "--password", "p4ssword"], "name"),
    (["trunk", "add", "t2-auth", "--host", "sip.example.net", "--username", "u", "--password", "p4ssword"], "name"),
    (["trunk", "add", "t2", "--host", "bad host", "--username", "u", "--password", "p4ssword"], "host"),
    (["trunk", "add", "t2", "--host", "sip.example.net", "--username", "u", "--password", "short"], "password"),
    (["trunk", "add", "t2", "--host", "sip.example.net", "--username", "u", "--password", "p4ssword",
      "--port", "70000"], "port"),
]


@pytest.mark.parametrize(("args", "field"), BAD_INPUTS, ids=[" ".join(a[:3]) + f"-{i}" for i, (a, _) in enumerate(BAD_INPUTS)])
def test_bad_input_is_refused_cleanly(populated: Path, args: list[str], field: str) -> None:
    before = state()
    code, out, err = pbx(*args)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {field}: "), lines[0]
    assert len(lines[0]) > len(f"error: {field}: ") + 5
    assert state() == before


def test_restating_provider_ref_needs_no_force(populated: Path) -> None:
    ok("number", "update", "+13125550100", "--provider-ref", " PN123 ", "--label", "Main")
    numbers = {n["number"]: n for n in json.loads(ok("number", "list", "--json"))}
    assert numbers["+13125550100"]["provider_ref"] == "PN123"


def test_forced_provider_ref_edit(populated: Path) -> None:
    ok("number", "update", "+13125550100", "--provider-ref", "PN999", "--force")
    numbers = {n["number"]: n for n in json.loads(ok("number", "list", "--json"))}
    assert numbers["+13125550100"]["provider_ref"] == "PN999"


def test_disable_keeps_number(populated: Path) -> None:
    ok("number", "disable", "+13125550100")
    numbers = {n["number"]: n for n in json.loads(ok("number", "list", "--json"))}
    assert numbers["+13125550100"]["active"] is False
    ok("number", "enable", "+13125550100")


def test_rename_user_keeps_references(populated: Path) -> None:
    ok("user", "update", "Ann", "--name", "Ann Smith")
    exts = {e["number"]: e for e in json.loads(ok("ext", "list", "--json"))}
    assert exts["101"]["user"] == "Ann Smith"
    numbers = {n["number"]: n for n in json.loads(ok("number", "list", "--json"))}
    assert numbers["+13125550110"]["assigned_user"] == "Ann Smith"


def test_remove_in_dependency_order(populated: Path) -> None:
    ok("number", "unassign", "+13125550110")
    ok("number", "update", "+13125550100", "--dest", "")
    ok("group", "remove", "Dispatch")
    ok("ext", "remove", "101")
    ok("user", "remove", "Ann")
    users = [u["name"] for u in json.loads(ok("user", "list", "--json"))]
    assert "Ann" not in users


def test_malformed_environment_setting(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBX_SIP_PORT", "fifty")
    code, _, err = pbx("user", "list")
    assert code == 2
    assert err.strip().startswith("error: PBX_SIP_PORT: ")


def test_real_command_exit_status(populated: Path) -> None:
    """The installed console script, as a separate process."""
    exe = Path(sys.executable).with_name("pbx")
    env = {**os.environ, "PBX_HOME": str(populated)}
    proc = subprocess.run(
        [str(exe), "ext", "add", "101", "--user", "Cat"], check=False, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: extension: 101 is already taken")
    proc = subprocess.run([str(exe), "user", "list", "--json"], check=False, capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) == 3

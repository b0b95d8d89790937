"""Real Asterisk, real SIPp phones: render a config, boot it, register, unregister, stop."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pbx.adapters import asterisk_process as ap
from pbx.adapters import config_dir
from pbx.adapters.templates import load_templates
from pbx.core.model import Directory, Extension, Trunk, User
from pbx.core.render import custom_file_names, render
from pbx.runtime.settings import Settings
from pbx.services.config import render_options
from tests.e2e.phones import SippPhone, call, free_port, free_ports

PASSWORD = "s3cret-101-pw"
ONE_PHONE = Directory(
    users=(User("alice", "alice@example.com"),),
    extensions=(Extension("101", "alice", PASSWORD),),
)
# The trunk "provider" is SIPp on 127.0.0.2 (identified by its address); phones use 127.0.0.1.
TWO_PHONES_AND_TRUNK = Directory(
    users=(User("alice", "alice@example.com"), User("bob", "bob@example.com")),
    extensions=(Extension("101", "alice", PASSWORD), Extension("102", "bob", "bob-pw-102")),
    trunks=(Trunk("carrier", "127.0.0.2", "", ""),),
)


def _settings(home: Path) -> Settings:
    sip, ari, ami = free_ports(3)
    rtp = free_ports(1, 20)[0]
    return Settings(
        home=home,
        sip_port=sip,
        ari_port=ari,
        ami_port=ami,
        rtp_start=rtp,
        rtp_end=rtp + 19,
        ari_password="ari-pw",
        ami_secret="ami-pw",
    )


def _write_config(settings: Settings, directory: Directory, fallback: str = "") -> None:
    view = ap.locate(settings).asterisk_dir_view
    options = render_options(replace(settings, fallback_number=fallback), view)
    files = render(directory, options, load_templates())
    config_dir.write(settings.asterisk_dir / "etc", files, custom_file_names(files))


def _running(home: Path, directory: Directory, fallback: str = "") -> Iterator[Settings]:
    """A PBX_HOME with a rendered config and a running Asterisk (always stopped afterwards)."""
    settings = _settings(home)
    ap.bootstrap(settings, progress=lambda line: None)
    _write_config(settings, directory, fallback)
    try:
        ap.start(settings)
        yield settings
    finally:
        ap.stop(settings)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    yield from _running(tmp_path / "home", ONE_PHONE)


@pytest.fixture
def with_fallback(tmp_path: Path) -> Iterator[Settings]:
    yield from _running(tmp_path / "home", TWO_PHONES_AND_TRUNK, fallback="102")


def _contacts(settings: Settings) -> str:
    return ap.rx(settings, "pjsip show contacts")


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_boots_cleanly(settings: Settings) -> None:
    state = ap.status(settings)
    assert state["running"] is True
    assert "Asterisk 22" in str(state["version"])
    boot_log = (settings.asterisk_dir / "log" / "messages.log").read_text()
    assert not [line for line in boot_log.splitlines() if "ERROR[" in line], boot_log
    modules = ap.rx(settings, "module show")
    loaded = re.search(r"(\d+) modules loaded", modules)
    assert loaded and 60 <= int(loaded.group(1)) <= 100, modules
    for module in ("chan_pjsip.so", "res_ari.so", "app_stasis.so", "res_stasis_recording.so"):
        assert module in modules
    assert "from-internal" in ap.rx(settings, "dialplan show from-internal")
    assert "101" in ap.rx(settings, "pjsip show endpoint 101")


def test_phone_registers_and_unregisters(settings: Settings, tmp_path: Path) -> None:
    with SippPhone("101", PASSWORD, settings.sip_port, tmp_path) as phone:
        assert phone.wait_registered(), phone.describe()
        assert _wait_for(lambda: f"sip:101@127.0.0.1:{phone.local_port}" in _contacts(settings))
    assert phone.returncode == 0, phone.describe()
    assert phone.unregistered
    assert _wait_for(lambda: "sip:101@" not in _contacts(settings)), _contacts(settings)


def test_wrong_password_does_not_register(settings: Settings, tmp_path: Path) -> None:
    with SippPhone("101", "wrong-password", settings.sip_port, tmp_path) as phone:
        assert phone.wait_registered() is False
    assert "sip:101@" not in _contacts(settings)


def test_calls_flow_without_the_controller(with_fallback: Settings, tmp_path: Path) -> None:
    """No ARI application is connected: Stasis() fails and the failsafe dialplan takes over."""
    port = with_fallback.sip_port
    with SippPhone("102", "bob-pw-102", port, tmp_path, answer=True) as bob:
        assert bob.wait_registered(), bob.describe()
        internal = call("102", port, tmp_path, caller="101", password=PASSWORD, hold=0.5)
        assert internal.answered and internal.hung_up and internal.returncode == 0
        assert bob.answered_calls == 1
        inbound = call("+14155550100", port, tmp_path, caller="+14155550111", host="127.0.0.2")
        assert inbound.answered and inbound.hung_up and inbound.returncode == 0
        assert bob.answered_calls == 2  # the fallback number, extension 102
        unknown = call("999", port, tmp_path, caller="101", password=PASSWORD, hold=0.5)
        assert unknown.answered  # the announcement
        assert bob.answered_calls == 2
    log = (with_fallback.asterisk_dir / "log" / "messages.log").read_text()
    assert "Stasis app 'pbx' doesn't exist" in log
    assert "ERROR[" not in log, log


def test_stop_is_idempotent_and_status_follows(settings: Settings) -> None:
    ap.stop(settings)
    assert ap.status(settings)["running"] is False
    ap.stop(settings)
    with pytest.raises(ap.AsteriskError, match="not running"):
        ap.rx(settings, "core show version")


def test_start_without_config_fails_clearly(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "empty")
    with pytest.raises(ap.AsteriskError, match="no config"):
        ap.start(settings)


def test_free_port_is_usable() -> None:
    assert 20_000 <= free_port() < 60_000

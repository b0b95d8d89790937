"""One typed Settings object: defaults < the config file in PBX_HOME < environment.

The config file is `PBX_HOME/pbx.toml` (flat `key = value` lines), written by
`pbx init` with freshly generated secrets and mode 0600.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from pbx.core.errors import InvalidInput

CONFIG_NAME = "pbx.toml"

# environment variable -> settings field
ENV_NAMES = {
    "PBX_DATABASE_URL": "database_url",
    "PBX_DEFAULT_REGION": "default_region",
    "PBX_BIND": "bind",
    "PBX_SIP_PORT": "sip_port",
    "PBX_ARI_PORT": "ari_port",
    "PBX_AMI_PORT": "ami_port",
    "PBX_API_PORT": "api_port",
    "PBX_API_BIND": "api_bind",
    "PBX_RTP_START": "rtp_start",
    "PBX_RTP_END": "rtp_end",
    "PBX_ASTERISK_ROOT": "asterisk_root",
    "PBX_ASTERISK_BINARY": "asterisk_binary",
    "PBX_FALLBACK_NUMBER": "fallback_number",
    "PBX_ALLOW_INTERNATIONAL": "allow_international",
    "PBX_MAIN_NUMBER": "main_number",
    "PBX_LOG_LEVEL": "log_level",
    "PBX_SMTP_HOST": "smtp_host",
    "PBX_SMTP_PORT": "smtp_port",
    "PBX_SMTP_FROM": "smtp_from",
    "PBX_SMTP_TLS": "smtp_tls",
    "PBX_SMS_WEBHOOK_URL": "sms_webhook_url",
    "PBX_PUSH_WEBHOOK_URL": "push_webhook_url",
    "PBX_STT_ENGINE": "stt_engine",
    "PBX_VOSK_MODEL": "vosk_model",
    "PBX_ESCALATE_BY_CALL": "escalate_by_call",
    "PBX_SOFTPHONE_WS_URL": "softphone_ws_url",
    "PBX_WSS_PORT": "wss_port",
    "PBX_WSS_BIND": "wss_bind",
}

SECRET_FIELDS = ("ari_password", "ami_secret", "api_token", "webhook_secret")


def default_home() -> Path:
    return Path(os.environ.get("PBX_HOME") or Path.home() / ".pbx")


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pbx"


def new_secret() -> str:
    """A random secret: 32 URL-safe characters (about 190 bits)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str = ""
    default_region: str = "US"
    bind: str = "127.0.0.1"
    sip_port: int = 5060
    ari_port: int = 8088
    ami_port: int = 5038
    api_port: int = 8080
    api_bind: str = "127.0.0.1"
    rtp_start: int = 10000
    rtp_end: int = 20000
    ari_user: str = "pbx"
    ari_password: str = ""
    ami_user: str = "pbx"
    ami_secret: str = ""
    api_token: str = ""
    app_name: str = "pbx"
    # Host path of a root holding Asterisk (built by `pbx asterisk bootstrap`); empty = auto.
    asterisk_root: str = ""
    # An Asterisk binary installed on the host; empty = look on PATH, then use the root.
    asterisk_binary: str = ""
    # Rung by the dialplan when the controller is down (E.164 via the trunk, or an extension).
    fallback_number: str = ""
    allow_international: bool = False
    # Caller ID of outbound calls by users without a direct number; empty = the
    # first active business number.
    main_number: str = ""
    log_level: str = "INFO"
    # Notifications. Email is off while smtp_host is empty; smtp_tls: none, starttls or tls.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_tls: str = "none"
    # JSON POSTs signed with HMAC-SHA256 (webhook_secret) to SMS and push gateways; empty = off.
    sms_webhook_url: str = ""
    push_webhook_url: str = ""
    webhook_secret: str = ""
    # Transcription: engine "" = vosk when vosk_model is set, else pocketsphinx.
    stt_engine: str = ""
    vosk_model: str = ""
    # An emergency voicemail also rings the technician's phones and plays the message.
    escalate_by_call: bool = True
    # the browser softphone's SIP websocket as browsers reach it ("": ws://<API host>:<ari_port>/ws,
    # or wss://<API host>:<wss_port>/ws when wss_port is set)
    softphone_ws_url: str = ""
    # TLS websocket (wss) on Asterisk's HTTP server for browsers on other machines: 0 = off;
    # the certificate and key are PBX_HOME/asterisk/keys/http-tls.crt and http-tls.key
    wss_port: int = 0
    wss_bind: str = "127.0.0.1"

    @property
    def config_file(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def asterisk_dir(self) -> Path:
        """Everything Asterisk reads and writes: etc/, run/, spool/, log/, db/, keys/."""
        return self.home / "asterisk"

    @property
    def recordings_dir(self) -> Path:
        return self.home / "recordings"

    @property
    def call_journal(self) -> Path:
        """The call log's write-ahead journal (patches not yet in the database)."""
        return self.home / "spool" / "calls.journal"

    @property
    def failsafe_log(self) -> Path:
        """Calls the dialplan's failsafe carried (appended by Asterisk, imported by the controller)."""
        return self.asterisk_dir / "spool" / "failsafe-calls.log"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.home / 'pbx.db'}"


def _coerce(name: str, raw: Any, source: str) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    if kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput(source, f"must be a whole number, got {raw!r}") from None
        if (name.endswith("_port") or name.startswith("rtp_")) and not 1 <= value <= 65535:
            raise InvalidInput(source, f"must be a port between 1 and 65535, got {value}")
        return value
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise InvalidInput(source, f"must be true or false, got {raw!r}")
    return str(raw)


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(str(path), f"not valid TOML ({exc})") from None
    known = {f.name for f in fields(Settings)} - {"home"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"{path.name}: {unknown[0]}", "unknown setting")
    return {k: _coerce(k, v, f"{path.name}: {k}") for k, v in data.items()}


def load_settings(
    home: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings for a data directory (defaults < file < environment)."""
    env = os.environ if environ is None else environ
    home = home or Path(env.get("PBX_HOME") or Path.home() / ".pbx")
    values: dict[str, Any] = read_config_file(home / CONFIG_NAME)
    for var, name in ENV_NAMES.items():
        if env.get(var) not in (None, ""):
            values[name] = _coerce(name, env[var], var)
    settings = Settings(home=home.resolve(), **values)
    if settings.rtp_start >= settings.rtp_end:
        raise InvalidInput("rtp_start", "must be lower than rtp_end")
    return settings


def write_config_file(path: Path, values: Mapping[str, Any]) -> None:
    """Write settings to the config file (atomically, mode 0600: it holds secrets)."""
    lines = ["# pbx settings; environment variables (PBX_*) override these.\n"]
    for name in sorted(values):
        value = values[name]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{name} = {text}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.writelines(lines)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_secrets(settings: Settings) -> Settings:
    """Generate every secret the config file lacks, store it there, and return the new settings."""
    stored = read_config_file(settings.config_file)
    missing = [name for name in SECRET_FIELDS if not stored.get(name)]
    if not missing:
        return settings
    for name in missing:
        stored[name] = new_secret()
    write_config_file(settings.config_file, stored)
    return replace(settings, **{name: stored[name] for name in missing})

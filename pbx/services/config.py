"""Render the directory into an Asterisk configuration, and load it into Asterisk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pbx.adapters import config_dir
from pbx.adapters.templates import load_templates
from pbx.core.render import RenderOptions, custom_file_names, render
from pbx.runtime.settings import Settings
from pbx.services.ports import AsteriskManager, Repository


def render_options(settings: Settings, asterisk_dir_view: str) -> RenderOptions:
    """Rendering options from settings; `asterisk_dir_view` is the data directory as Asterisk sees it."""
    return RenderOptions(
        asterisk_dir=asterisk_dir_view,
        bind=settings.bind,
        sip_port=settings.sip_port,
        ari_port=settings.ari_port,
        ami_port=settings.ami_port,
        rtp_start=settings.rtp_start,
        rtp_end=settings.rtp_end,
        ari_user=settings.ari_user,
        ari_password=settings.ari_password,
        ami_user=settings.ami_user,
        ami_secret=settings.ami_secret,
        app_name=settings.app_name,
        fallback_number=settings.fallback_number,
        allow_international=settings.allow_international,
        default_region=settings.default_region,
        http_tls_port=settings.wss_port,
        http_tls_bind=settings.wss_bind,
    )


@dataclass
class ConfigService:
    """Renders the directory to `PBX_HOME/asterisk/etc` and reloads Asterisk."""

    settings: Settings
    repo: Repository
    asterisk_dir_view: str

    @property
    def etc(self) -> Path:
        return self.settings.asterisk_dir / "etc"

    async def render(self) -> dict[str, str]:
        directory = await self.repo.snapshot()
        options = render_options(self.settings, self.asterisk_dir_view)
        return render(directory, options, load_templates())

    async def check(self) -> str:
        """The diff that rendering would make; writes nothing."""
        return config_dir.diff(self.etc, await self.render())

    async def write(self) -> list[str]:
        files = await self.render()
        return config_dir.write(self.etc, files, custom_file_names(files))

    async def apply(self, manager: AsteriskManager) -> list[str]:
        """Render, write, and reload the running Asterisk."""
        changed = await self.write()
        await manager.reload()
        return changed

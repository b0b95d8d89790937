"""The one place that builds services from settings."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from pbx.adapters import asterisk_process
from pbx.adapters.ami import Ami
from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.adapters.sounds import PromptMaker, speak, write_sound
from pbx.core.oncall import OnCallSettings
from pbx.runtime.settings import Settings, ensure_secrets
from pbx.services.config import ConfigService
from pbx.services.directory import DirectoryService
from pbx.services.oncall import OnCallService


def prepare_home(settings: Settings) -> Settings:
    """Create the data directory (mode 0700) and its generated secrets if missing."""
    settings.home.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.home, 0o700)
    return ensure_secrets(settings)


@asynccontextmanager
async def repository(settings: Settings) -> AsyncIterator[SqlRepository]:
    """The directory database, migrated to the current schema."""
    repo = await open_repository(settings.effective_database_url)
    try:
        yield repo
    finally:
        await repo.close()


def prompt_maker(settings: Settings) -> PromptMaker:
    """Makes prompt files (menus, triage questions) in the sounds directory Asterisk plays."""
    return PromptMaker(settings.asterisk_dir / "sounds")


@asynccontextmanager
async def directory_service(settings: Settings) -> AsyncIterator[DirectoryService]:
    async with repository(settings) as repo:
        yield DirectoryService(
            repo,
            settings.default_region,
            settings.allow_international,
            prompt_maker(settings),
        )


ONCALL_PROMPT = "pbx-oncall-intro"  # the dialplan's pbx-confirm plays these when they exist
ONCALL_ACCEPT = "pbx-oncall-accept"


def oncall_prompt(settings: Settings) -> Callable[[OnCallSettings], None]:
    """Writes the on-call confirmation's sounds that the settings give as text, spoken by
    flite: "emergency call for <business>" and the question to accept (`accept_prompt`).
    One not given (or without flite) is removed: the dialplan plays the stock prompt."""
    sounds = settings.asterisk_dir / "sounds"

    def make(oncall: OnCallSettings) -> None:
        business = oncall.business_name
        for name, text in (
            (ONCALL_PROMPT, f"Emergency call for {business}." if business else ""),
            (ONCALL_ACCEPT, oncall.accept_prompt),
        ):
            data = speak(text) if text else None
            if data is None:
                (sounds / f"{name}.wav").unlink(missing_ok=True)
            else:
                write_sound(sounds, name, data)

    return make


@asynccontextmanager
async def oncall_service(settings: Settings) -> AsyncIterator[OnCallService]:
    async with repository(settings) as repo:
        yield OnCallService(repo, settings.default_region, prompt=oncall_prompt(settings))


@asynccontextmanager
async def config_service(settings: Settings) -> AsyncIterator[ConfigService]:
    """The config renderer, for the way this host runs Asterisk."""
    host = asterisk_process.locate(settings)
    async with repository(settings) as repo:
        yield ConfigService(settings, repo, host.asterisk_dir_view)


@asynccontextmanager
async def ami_connection(settings: Settings) -> AsyncIterator[Ami]:
    """A logged-in AMI connection to the local Asterisk."""
    ami = await Ami.connect("127.0.0.1", settings.ami_port, settings.ami_user, settings.ami_secret)
    try:
        yield ami
    finally:
        await ami.close()


def notify_controller(settings: Settings) -> None:
    """Tell a running controller that the directory changed, so the next call sees it.

    Best effort and quick: a controller that is not running (or not
    answering within a second) picks the change up by polling anyway.
    """
    from pbx.runtime.controller import local_address

    host = local_address(settings.api_bind)
    request = urllib.request.Request(
        f"http://{host}:{settings.api_port}/api/directory/refresh",
        method="POST",
        headers={"Authorization": f"Bearer {settings.api_token}"},
    )
    with suppress(OSError, ValueError):
        urllib.request.urlopen(request, timeout=1).close()

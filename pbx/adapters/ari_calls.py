"""Call control's channel operations (the `CallChannel` port) and recording source over ARI."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from pathlib import Path

from pbx.adapters.ari import AriClient, AriError
from pbx.adapters.sounds import DEFAULT_VOICE
from pbx.core.callflow import RecordSpeech, Voicemail
from pbx.core.model import Prompt
from pbx.core.prompts import text_sound
from pbx.core.voicemail import Message

log = logging.getLogger(__name__)


def _unless_gone(exc: AriError, channel_id: str, what: str) -> None:
    """Re-raise `exc` unless it says the channel is gone or no longer in our application."""
    if exc.status not in (404, 409):
        raise exc
    log.debug("call %s: %s skipped, channel gone (%s)", channel_id, what, exc.status)


PLAYBACK_PREFIX = "pbxp-"


def playback_id(channel_id: str, play: int) -> str:
    """Our name for a call's prompt playback number `play` (see `playback_of`)."""
    return f"{PLAYBACK_PREFIX}{play}-{channel_id}"


def playback_of(ident: str) -> tuple[str, int] | None:
    """The channel and playback number of one of our prompt playbacks; None for others."""
    if not ident.startswith(PLAYBACK_PREFIX):
        return None
    number, _, channel_id = ident[len(PLAYBACK_PREFIX) :].partition("-")
    if not (number.isascii() and number.isdigit() and channel_id):
        return None
    return channel_id, int(number)


class AriCallChannel:
    """Carries out call-flow commands on a channel that is in our Stasis application.

    A channel that is gone (the caller hung up meanwhile) is not an error:
    its end arrives separately through the hangup handler.
    """

    def __init__(self, client: AriClient, sounds: str = "") -> None:
        self.client = client
        self.sounds = sounds  # where Asterisk sees our sounds directory (greetings)

    async def _continue(self, channel_id: str, context: str, extension: str) -> None:
        try:
            await self.client.continue_in_dialplan(channel_id, context, extension)
        except AriError as exc:
            _unless_gone(exc, channel_id, context)

    async def ring(
        self, channel_id: str, dial: str, caller_id: str | None, from_trunk: bool
    ) -> None:
        try:
            await self.client.set_variable(channel_id, "PBX_DIAL", dial)
            if caller_id:
                await self.client.set_variable(channel_id, "CALLERID(num)", caller_id)
        except AriError as exc:
            _unless_gone(exc, channel_id, "ring")
            return
        await self._continue(channel_id, "pbx-dial", "inbound" if from_trunk else "internal")

    async def announce(self, channel_id: str, name: str) -> None:
        await self._continue(channel_id, "pbx-announce", name)

    async def voicemail(self, channel_id: str, command: Voicemail) -> None:
        greeting = f"sound:{self.sounds}/{command.greeting}" if command.greeting else ""
        try:
            await self.client.answer(channel_id)
            # Operations on a channel run in order: the recording starts after the greeting.
            await self.client.play(channel_id, greeting or "sound:vm-intro")
            await self.client.record(
                channel_id,
                command.name,
                max_seconds=command.max_seconds,
                silence_seconds=command.silence_seconds,
            )
        except AriError as exc:
            _unless_gone(exc, channel_id, "voicemail")

    def media(self, prompt: Prompt) -> str:
        """What Asterisk plays for `prompt`: its made file (a text prompt's file is named by
        its text, and the controller makes any that is missing)."""
        sound = prompt.sound or text_sound(DEFAULT_VOICE, (prompt.text or "").strip())
        return f"sound:{self.sounds}/{sound}"

    async def play_prompts(self, channel_id: str, prompts: tuple[Prompt, ...], play: int) -> None:
        try:
            await self.client.answer(channel_id)
            media = ",".join(self.media(p) for p in prompts)
            await self.client.play(channel_id, media, playback_id(channel_id, play))
        except AriError as exc:
            _unless_gone(exc, channel_id, "prompt")

    async def stop_prompts(self, channel_id: str, play: int) -> None:
        await self.client.stop_playback(playback_id(channel_id, play))

    async def record_speech(self, channel_id: str, command: RecordSpeech) -> None:
        try:
            await self.client.record(
                channel_id,
                command.name,
                max_seconds=command.max_seconds,
                silence_seconds=command.silence_seconds,
                beep=False,
            )
        except AriError as exc:
            _unless_gone(exc, channel_id, "spoken triage")

    async def stop_speech(self, name: str) -> None:
        await self.client.stop_recording(name)

    async def hangup(self, channel_id: str) -> None:
        await self.client.hangup(channel_id)

    async def failsafe(self, channel_id: str, kind: str, dialled: str) -> None:
        if kind == "inbound":
            await self._continue(channel_id, "pbx-failsafe-inbound", "s")
        else:
            await self._continue(channel_id, "pbx-failsafe-internal", dialled)


class AriRecordings:
    """Recordings Asterisk stored (spool/recording), fetched and deleted over ARI."""

    def __init__(self, client: AriClient) -> None:
        self.client = client

    async def names(self) -> list[str]:
        found = await self.client.request("GET", "/recordings/stored") or []
        return [str(r.get("name", "")) for r in found if isinstance(r, dict)]

    async def fetch(self, name: str) -> bytes | None:
        return await self.client.stored_recording(name)

    async def delete(self, name: str) -> None:
        await self.client.delete_stored_recording(name)


class AriEscalationCalls:
    """Emergency escalation calls: ring a technician, then play who called and the message.

    The message's audio is copied into our sounds directory (`sounds_dir` on
    this host, `sounds_view` as Asterisk sees it), where the dialplan's
    `pbx-escalation` context plays it; copies older than a day are removed.
    """

    RING_SECONDS = 45
    KEEP_SECONDS = 86400

    def __init__(self, client: AriClient, sounds_dir: Path, sounds_view: str) -> None:
        self.client = client
        self.sounds_dir = sounds_dir
        self.sounds_view = sounds_view

    async def call(self, endpoint: str, message: Message, audio: Path) -> None:
        name = f"msg-{message.id}"
        await asyncio.to_thread(self._copy, audio, name)
        digits = "".join(ch for ch in message.caller if ch.isdigit())
        await self.client.originate(
            endpoint,
            context="pbx-escalation",
            extension="s",
            caller_id=f'"Emergency voicemail" <{message.caller or "pbx"}>',
            timeout=self.RING_SECONDS,
            variables={"PBX_FROM": digits, "PBX_MSG": f"{self.sounds_view}/pbx/{name}"},
        )

    def _copy(self, audio: Path, name: str) -> None:
        folder = self.sounds_dir / "pbx"
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in folder.glob("msg-*.wav"):
            if now - old.stat().st_mtime > self.KEEP_SECONDS:
                old.unlink(missing_ok=True)
        tmp = folder / f".{name}.tmp"
        shutil.copyfile(audio, tmp)
        os.chmod(tmp, 0o644)  # Asterisk may run as another user
        os.replace(tmp, folder / f"{name}.wav")


class AriDialer:
    """Click-to-dial: ring the user's phone; once they answer, the dialplan's `pbx-click`
    hands the call to the controller as a call that phone placed to the number."""

    RING_SECONDS = 30

    def __init__(self, client: AriClient) -> None:
        self.client = client

    async def click_to_dial(
        self,
        extension: str,
        number: str,
        *,
        customer_name: str | None,
        customer_id: int | None,
        job: int | None,
    ) -> str:
        shown = (customer_name or "Call").replace('"', "").replace("\\", "")
        return await self.client.originate(
            f"PJSIP/{extension}",
            context="pbx-click",
            extension=number,
            caller_id=f'"{shown}" <{number}>',
            timeout=self.RING_SECONDS,
            variables={
                "PBX_EXT": extension,
                "PBX_CUSTOMER": str(customer_id or ""),
                "PBX_JOB": str(job or ""),
            },
        )

"""Call control's channel operations (the `CallChannel` port) and recording source over ARI."""

from __future__ import annotations

import logging

from pbx.adapters.ari import AriClient, AriError

log = logging.getLogger(__name__)


def _unless_gone(exc: AriError, channel_id: str, what: str) -> None:
    """Re-raise `exc` unless it says the channel is gone or no longer in our application."""
    if exc.status not in (404, 409):
        raise exc
    log.debug("call %s: %s skipped, channel gone (%s)", channel_id, what, exc.status)


class AriCallChannel:
    """Carries out call-flow commands on a channel that is in our Stasis application.

    A channel that is gone (the caller hung up meanwhile) is not an error:
    its end arrives separately through the hangup handler.
    """

    def __init__(self, client: AriClient) -> None:
        self.client = client

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

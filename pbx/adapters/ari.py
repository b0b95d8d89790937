"""A thin client for Asterisk's REST Interface (ARI) on aiohttp: REST + events websocket.

The `ari` package on PyPI is Python 2 only, so this is our own. One aiohttp
session per client; the Authorization header is built here (aiohttp 3.14
deprecates `BasicAuth`). `run()` keeps the events websocket up, reconnecting
with a capped backoff; Asterisk keeps no events for an application while it
is disconnected, so `on_connect` is where the caller reconciles.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp

from pbx.adapters.backoff import Backoff

log = logging.getLogger(__name__)


class AriError(RuntimeError):
    """Asterisk answered an ARI request with an error status."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"ARI {method} {path}: {status} {message}".rstrip())
        self.method = method
        self.path = path
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Channel:
    """A channel as ARI describes it (the fields the controller uses)."""

    id: str
    name: str = ""
    state: str = ""
    caller: str = ""  # caller ID number
    caller_name: str = ""
    context: str = ""  # where it is in the dialplan
    exten: str = ""
    app: str = ""  # the dialplan application it is running (Stasis, Dial, ...)
    app_data: str = ""

    @classmethod
    def parse(cls, data: Any) -> Channel:
        if not isinstance(data, dict):
            return cls(id="")
        caller = data.get("caller") or {}
        plan = data.get("dialplan") or {}
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            state=str(data.get("state", "")),
            caller=str(caller.get("number", "")),
            caller_name=str(caller.get("name", "")),
            context=str(plan.get("context", "")),
            exten=str(plan.get("exten", "")),
            app=str(plan.get("app_name", "")),
            app_data=str(plan.get("app_data", "")),
        )


@dataclass(frozen=True)
class StasisStart:
    """A channel entered our application: `args` are the Stasis() arguments."""

    channel: Channel
    args: tuple[str, ...]
    asterisk_id: str = ""
    type: str = "StasisStart"


@dataclass(frozen=True)
class StasisEnd:
    """A channel left our application (back to the dialplan, or hung up)."""

    channel: Channel
    type: str = "StasisEnd"


@dataclass(frozen=True)
class ChannelDestroyed:
    channel: Channel
    cause: int = 0
    cause_text: str = ""
    type: str = "ChannelDestroyed"


@dataclass(frozen=True)
class ApplicationReplaced:
    """Another client connected with our application name and now gets its events."""

    type: str = "ApplicationReplaced"


@dataclass(frozen=True)
class OtherEvent:
    """Any other event: its type and the decoded JSON object."""

    type: str
    data: Mapping[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class RecordingEnded:
    """A live recording stopped (RecordingFinished, or RecordingFailed when `failed`)."""

    name: str
    failed: bool = False
    type: str = "RecordingFinished"


@dataclass(frozen=True)
class DtmfReceived:
    """A key pressed on a channel in our application (ChannelDtmfReceived)."""

    channel_id: str
    digit: str
    type: str = "ChannelDtmfReceived"


@dataclass(frozen=True)
class PlaybackFinished:
    """A playback ended: it played out, or was stopped (PlaybackFinished)."""

    playback_id: str
    type: str = "PlaybackFinished"


AriEvent = (
    StasisStart
    | StasisEnd
    | ChannelDestroyed
    | ApplicationReplaced
    | RecordingEnded
    | DtmfReceived
    | PlaybackFinished
    | OtherEvent
)

# What the controller subscribes to (ARI application event filter): few events per call.
CALL_EVENTS = (
    "StasisStart",
    "StasisEnd",
    "ChannelDestroyed",
    "ApplicationReplaced",
    "RecordingFinished",  # voicemail messages
    "RecordingFailed",
    "ChannelDtmfReceived",  # menus and triage
    "PlaybackFinished",
)


def parse_event(data: Mapping[str, Any]) -> AriEvent:
    """The typed event for one decoded websocket message."""
    kind = str(data.get("type", ""))
    if kind == "StasisStart":
        return StasisStart(
            Channel.parse(data.get("channel")),
            tuple(str(a) for a in data.get("args") or ()),
            str(data.get("asterisk_id", "")),
        )
    if kind == "StasisEnd":
        return StasisEnd(Channel.parse(data.get("channel")))
    if kind == "ChannelDestroyed":
        cause = data.get("cause")
        return ChannelDestroyed(
            Channel.parse(data.get("channel")),
            cause if isinstance(cause, int) else 0,
            str(data.get("cause_txt", "")),
        )
    if kind == "ApplicationReplaced":
        return ApplicationReplaced()
    if kind == "ChannelDtmfReceived":
        channel = data.get("channel") or {}
        ident = str(channel.get("id", "")) if isinstance(channel, dict) else ""
        return DtmfReceived(ident, str(data.get("digit", "")))
    if kind == "PlaybackFinished":
        playback = data.get("playback") or {}
        return PlaybackFinished(str(playback.get("id", "")) if isinstance(playback, dict) else "")
    if kind in ("RecordingFinished", "RecordingFailed"):
        recording = data.get("recording") or {}
        name = str(recording.get("name", "")) if isinstance(recording, dict) else ""
        return RecordingEnded(name, failed=kind == "RecordingFailed", type=kind)
    return OtherEvent(kind, data)


EventHandler = Callable[[AriEvent], Awaitable[None]]
ConnectHook = Callable[[], Awaitable[None]]


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


class AriClient:
    """ARI for one Stasis application.

    `base_url` is Asterisk's ARI root, e.g. `http://127.0.0.1:8088/ari`.
    Create it inside the event loop; call `close()` when done.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        request_timeout: float = 10,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self._username = username
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {token}"}
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session_obj: aiohttp.ClientSession | None = None

    @property
    def _session(self) -> aiohttp.ClientSession:
        if self._session_obj is None or self._session_obj.closed:
            self._session_obj = aiohttp.ClientSession(headers=self._headers)
        return self._session_obj

    async def close(self) -> None:
        """Close the HTTP session (and with it any open websocket)."""
        if self._session_obj is not None:
            await self._session_obj.close()
            self._session_obj = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def request(self, method: str, path: str, *, json_body: Any = None, **params: Any) -> Any:
        """Call one ARI resource, e.g. `request("DELETE", f"/channels/{id}", reason="normal")`.

        Keyword parameters go to the query string (booleans as true/false,
        lists comma-joined, None left out); `json_body` is sent as JSON.
        Returns the decoded JSON answer, None for an empty answer, or bytes for
        other content (recordings). Raises AriError for an error status and
        ConnectionError when Asterisk cannot be reached.
        """
        query = {k: _query_value(v) for k, v in params.items() if v is not None}
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        try:
            async with self._session.request(
                method, url, params=query, json=json_body, timeout=self._timeout
            ) as resp:
                body = await resp.read()
                if resp.status >= 400:
                    raise AriError(method, path, resp.status, _error_message(body, resp.reason))
                if not body:
                    return None
                if resp.content_type == "application/json":
                    return json.loads(body)
                return body
        except (TimeoutError, aiohttp.ClientConnectionError, OSError) as exc:
            raise _unreachable(self.base_url, exc) from exc

    async def application_connected(self) -> bool:
        """True when Asterisk has our application registered (a websocket is attached)."""
        try:
            await self.request("GET", f"/applications/{self.app}")
        except AriError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _events_url(self) -> str:
        if self.base_url.startswith("https://"):
            return "wss://" + self.base_url[len("https://") :] + "/events"
        return "ws://" + self.base_url.removeprefix("http://") + "/events"

    async def _open_events(self) -> aiohttp.ClientWebSocketResponse:
        # Credentials go in the Authorization header (ARI also accepts an
        # api_key query parameter, but URLs end up in logs).
        params = {"app": self.app, "subscribeAll": "false"}
        try:
            return await self._session.ws_connect(self._events_url(), params=params, heartbeat=20)
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                raise AriError(
                    "GET", "/events", 401, f"credentials of {self._username!r} refused"
                ) from None
            raise AriError("GET", "/events", exc.status, exc.message) from None
        except (TimeoutError, aiohttp.ClientConnectionError, OSError) as exc:
            raise _unreachable(self.base_url, exc) from exc

    @staticmethod
    async def _read_events(ws: aiohttp.ClientWebSocketResponse) -> AsyncIterator[AriEvent]:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    log.warning("ARI: undecodable event %.200r", msg.data)
                    continue
                if isinstance(data, dict):
                    yield parse_event(data)
            elif msg.type == aiohttp.WSMsgType.ERROR:
                raise ConnectionError(f"ARI: websocket error ({ws.exception()})")

    async def events(self) -> AsyncIterator[AriEvent]:
        """Events of the application on one websocket connection; ends when it closes.

        Raises AriError (e.g. 401) or ConnectionError when it cannot connect.
        """
        ws = await self._open_events()
        try:
            async for event in self._read_events(ws):
                yield event
        finally:
            await ws.close()

    async def run(
        self,
        handler: EventHandler,
        connected: asyncio.Event | None = None,
        *,
        on_connect: ConnectHook | None = None,
        wake: asyncio.Event | None = None,
        event_types: tuple[str, ...] | None = CALL_EVENTS,
    ) -> None:
        """Keep the events websocket up forever, passing each event to `handler`.

        `wake` cuts a reconnect wait short (set it when Asterisk has just
        booted). `event_types` is the application's event filter, applied after
        every connection (None: every event).

        Reconnects with a backoff from 0.5 s doubling to 2 s (reset once
        connected). `connected` is set while the websocket is up and ours
        (cleared on ApplicationReplaced). After every
        (re)connection `on_connect` runs before any event is handled: Asterisk
        keeps nothing for a disconnected application, so reconcile there.
        Failures of `handler` and `on_connect` are logged, not raised. Logs
        once per change of state, not per retry. Returns only by cancellation.
        """
        backoff = Backoff(log, wake)
        while True:
            try:
                ws = await self._open_events()
            except (AriError, ConnectionError) as exc:
                await backoff.failed(str(exc))
                continue
            log.info("ARI: %s application %r at %s", backoff.connected(), self.app, self.base_url)
            if connected is not None:
                connected.set()
            ended = "ARI: websocket closed"
            try:
                if event_types is not None:
                    await self._filter_events(event_types)
                if on_connect is not None:
                    try:
                        await on_connect()
                    except Exception:
                        log.exception("ARI: on_connect hook failed")
                async for event in self._read_events(ws):
                    if isinstance(event, ApplicationReplaced):
                        # Another client connected with our app name; Asterisk sends it
                        # the events now and keeps this socket open but silent.
                        log.error("ARI: another client took over application %r", self.app)
                        if connected is not None:
                            connected.clear()
                    try:
                        await handler(event)
                    except Exception:
                        log.exception("ARI: handling %s failed", event.type)
            except (ConnectionError, AriError) as exc:
                ended = str(exc)
            finally:
                if connected is not None:
                    connected.clear()
                await ws.close()
            await backoff.lost(ended)

    async def _filter_events(self, types: tuple[str, ...]) -> None:
        await self.request(
            "PUT",
            f"/applications/{self.app}/eventFilter",
            json_body={"allowed": [{"type": t} for t in types]},
        )

    # -- the operations call control uses ---------------------------------------

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable", variable=name, value=value)

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int = 1
    ) -> None:
        """Let the channel leave the application and run the dialplan at context,extension,priority."""
        await self.request(
            "POST",
            f"/channels/{channel_id}/continue",
            context=context,
            extension=extension,
            priority=priority,
        )

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def _unless_gone(self, method: str, path: str, **params: Any) -> None:
        """A request about something that may be gone already (404 is fine)."""
        try:
            await self.request(method, path, **params)
        except AriError as exc:
            if exc.status != 404:
                raise

    async def play(self, channel_id: str, media: str, playback_id: str | None = None) -> None:
        """Queue `media` (e.g. `sound:vm-intro`; several separated by commas) on the channel;
        later operations wait for it. `playback_id` names it (PlaybackFinished, stop)."""
        if playback_id is None:
            await self.request("POST", f"/channels/{channel_id}/play", media=media)
        else:
            await self.request("POST", f"/channels/{channel_id}/play/{playback_id}", media=media)

    async def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (one that already ended is fine)."""
        await self._unless_gone("DELETE", f"/playbacks/{playback_id}")

    async def record(
        self,
        channel_id: str,
        name: str,
        *,
        max_seconds: int,
        silence_seconds: int,
        beep: bool = True,
    ) -> None:
        """Record the channel into stored recording `name` (WAV), after a beep unless told
        otherwise; `#` ends it."""
        await self.request(
            "POST",
            f"/channels/{channel_id}/record",
            name=name,
            format="wav",
            maxDurationSeconds=max_seconds,
            maxSilenceSeconds=silence_seconds,
            ifExists="overwrite",
            beep=beep,
            terminateOn="#",
        )

    async def stop_recording(self, name: str) -> None:
        """Stop live recording `name`, keeping what was recorded (gone already is fine)."""
        await self._unless_gone("POST", f"/recordings/live/{name}/stop")

    async def originate(
        self,
        endpoint: str,
        *,
        context: str,
        extension: str,
        caller_id: str,
        timeout: int,
        variables: Mapping[str, str],
    ) -> str:
        """Call `endpoint`; once it answers it runs the dialplan at context,extension. Returns the id."""
        found = await self.request(
            "POST",
            "/channels",
            json_body={"variables": dict(variables)},
            endpoint=endpoint,
            context=context,
            extension=extension,
            priority=1,
            callerId=caller_id,
            timeout=timeout,
        )
        return str((found or {}).get("id", "")) if isinstance(found, dict) else ""

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """Hang the channel up; a channel that is already gone is not an error."""
        await self._unless_gone("DELETE", f"/channels/{channel_id}", reason=reason)

    async def channels(self) -> list[Channel]:
        return [Channel.parse(c) for c in await self.request("GET", "/channels") or []]

    async def bridges(self) -> list[dict[str, Any]]:
        return list(await self.request("GET", "/bridges") or [])

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._unless_gone("DELETE", f"/bridges/{bridge_id}")

    async def stored_recording(self, name: str) -> bytes | None:
        """The file of a stored recording (None when Asterisk has no such recording)."""
        try:
            data = await self.request("GET", f"/recordings/stored/{name}/file")
        except AriError as exc:
            if exc.status == 404:
                return None
            raise
        return data if isinstance(data, bytes) else None

    async def delete_stored_recording(self, name: str) -> None:
        await self._unless_gone("DELETE", f"/recordings/stored/{name}")

    async def entity_id(self) -> str:
        """Asterisk's entity id (the `asterisk_id` of its events)."""
        info = await self.request("GET", "/asterisk/info", only="system")
        return str(((info or {}).get("system") or {}).get("entity_id", ""))


def _error_message(body: bytes, reason: str | None) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    text = body.decode("utf-8", "replace").strip()
    return text[:200] or (reason or "")


def _unreachable(base_url: str, exc: BaseException) -> ConnectionError:
    return ConnectionError(f"ARI: cannot reach {base_url} ({exc or type(exc).__name__})")

"""The controller process (`pbx serve`): call control (ARI, AMI, call log) and the API in one TaskGroup.

Every long-lived task runs in one `asyncio.TaskGroup`; SIGTERM and SIGINT end
them all and `serve` returns normally. Asterisk may come and go: both its
interfaces are retried quietly (one log line per change of state).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from pbx.adapters import asterisk_process
from pbx.adapters.ami import (
    Ami,
    AmiError,
    AnsweredEvent,
    BootedEvent,
    CallEndEvent,
    ConfirmEvent,
    DeviceStateEvent,
    RegistrationEvent,
    SecurityEvent,
)
from pbx.adapters.ari import (
    AriClient,
    AriError,
    AriEvent,
    DtmfReceived,
    PlaybackFinished,
    RecordingEnded,
    StasisStart,
)
from pbx.adapters.ari_calls import (
    AriCallChannel,
    AriDialer,
    AriEscalationCalls,
    AriRecordings,
    playback_of,
)
from pbx.adapters.backoff import Backoff
from pbx.adapters.db.outbox import SqlOutbox
from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.adapters.email_sender import SmtpSender
from pbx.adapters.journal import Journal
from pbx.adapters.recordings import RecordingStore
from pbx.adapters.sounds import PromptMaker
from pbx.adapters.webhook_sender import WebhookSender
from pbx.api.app import ApiState, make_app
from pbx.api.backend import Backend
from pbx.core import present
from pbx.core.callflow import CallEnded
from pbx.core.errors import InvalidInput
from pbx.core.model import Directory
from pbx.core.notifications import Channel
from pbx.core.routing import RoutingIndex, RoutingOptions
from pbx.core.voicemail import Message
from pbx.runtime.settings import Settings, default_cache, load_settings
from pbx.services.callcontrol import CallControl, Entered, LiveChannel, PresenceBook
from pbx.services.calllog import CallLogWriter
from pbx.services.directory_cache import DirectoryCache
from pbx.services.escalation import AfterTranscript
from pbx.services.failsafe_import import FailsafeImporter
from pbx.services.lamps import MessageLamps
from pbx.services.message_save import MessageSaver
from pbx.services.notifier import Notifier, Sender
from pbx.services.oncall_alerts import OnCallAlerts
from pbx.services.prompt_keeper import PromptKeeper
from pbx.services.recording_fetch import RecordingFetcher
from pbx.services.spoken_triage import SpokenTriage
from pbx.services.transcription import Transcriber, WorkerDecoder

SHIFT_CLOCK_SECONDS = 30.0

log = logging.getLogger("pbx.runtime.controller")  # also when run with -m

ContactState = Literal["registered", "unregistered", "unreachable"]


class _Shutdown(Exception):
    """Raised inside the task group to end it after a signal."""


def local_address(bind: str) -> str:
    """The address to reach a service bound to `bind` from this host (URL-ready)."""
    if bind in ("", "0.0.0.0"):
        return "127.0.0.1"
    if bind in ("::", "[::]"):
        return "[::1]"
    if ":" in bind and not bind.startswith("["):
        return f"[{bind}]"
    return bind


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run the controller until SIGTERM/SIGINT (or cancellation).

    `ready` is set once the API listens; ARI and AMI connect in the background
    and keep reconnecting. Raises OSError when the API port cannot be bound.
    """
    state = ApiState(api_token=settings.api_token)
    if not settings.api_token:
        log.warning("api_token is not set: the API refuses every request but /api/health")
    stop = asyncio.Event()
    installed = _install_signal_handlers(stop)
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(_wait_for_stop(stop), name="stop")
            tasks.create_task(_run_api(settings, state, ready), name="api")
            tasks.create_task(_run_calls(settings, state), name="calls")
    except BaseExceptionGroup as group:
        _, rest = group.split(_Shutdown)
        if rest is not None:
            if len(rest.exceptions) == 1:
                raise rest.exceptions[0] from None
            raise rest from None
    finally:
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
    log.info("controller stopped")


def _install_signal_handlers(stop: asyncio.Event) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, _on_signal, stop, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            log.debug("cannot handle %s here; stop by cancellation", sig.name)
            continue
        installed.append(sig)
    return installed


def _on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("%s received: stopping", sig.name)
    stop.set()


async def _wait_for_stop(stop: asyncio.Event) -> None:
    await stop.wait()
    raise _Shutdown


# --- API ---------------------------------------------------------------------


async def _run_api(settings: Settings, state: ApiState, ready: asyncio.Event | None) -> None:
    runner = web.AppRunner(make_app(state))
    await runner.setup()
    try:
        # a backlog above the default 128: a burst of new connections (a CRM with 200 in
        # flight) otherwise waits out SYN retries, a second or more
        site = web.TCPSite(runner, settings.api_bind, settings.api_port, backlog=1024)
        try:
            await site.start()
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"API: cannot listen on {settings.api_bind}:{settings.api_port} ({exc.strerror})",
            ) from None
        log.info(
            "API listening on http://%s:%d", local_address(settings.api_bind), settings.api_port
        )
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()  # until cancelled
    finally:
        await runner.cleanup()


# --- calls: directory, call control, call log, recordings, ARI, AMI ----------------


async def _open_repository(settings: Settings) -> SqlRepository:
    """The database, retried until it answers (calls take the failsafe path meanwhile)."""
    backoff = Backoff(log)
    while True:
        try:
            return await open_repository(settings.effective_database_url)
        except (OSError, SQLAlchemyError) as exc:
            await backoff.failed(f"database: {exc}")


class _LiveBoard:
    """The live view: calls in progress (call control) and registered contacts (AMI)."""

    def __init__(self, control: CallControl, contacts: dict[tuple[str, str], ContactState]) -> None:
        self.control = control
        self.contacts = contacts

    def active_calls(self) -> list[dict[str, Any]]:
        return self.control.active_calls()

    def registrations(self) -> list[dict[str, Any]]:
        return [
            {"endpoint": endpoint, "contact": uri, "state": state}
            for (endpoint, uri), state in sorted(self.contacts.items())
        ]


def _message_event(
    message: Message, index: RoutingIndex | None
) -> tuple[dict[str, Any], frozenset[str]]:
    box = index.boxes.get(message.box) if index is not None else None
    users = frozenset(box.members) if box is not None else frozenset()
    data = {k: v for k, v in present.message(message).items() if k not in ("audio", "transcript")}
    return data, users


async def _run_calls(settings: Settings, state: ApiState) -> None:
    repo = await _open_repository(settings)
    state.open(Backend(settings, repo))
    base_url = f"http://127.0.0.1:{settings.ari_port}/ari"  # ARI listens on loopback only
    client = AriClient(base_url, settings.ari_user, settings.ari_password, settings.app_name)
    options = RoutingOptions(
        default_region=settings.default_region,
        allow_international=settings.allow_international,
        main_number=settings.main_number,
    )
    sounds_dir = settings.asterisk_dir / "sounds"
    prompts = PromptKeeper(PromptMaker(sounds_dir))
    # the spoken triage has a decoder of its own: a caller on the line never waits
    # behind voicemail transcription
    ear = WorkerDecoder(settings.stt_engine, settings.vosk_model, default_cache() / "stt")
    spoken = SpokenTriage(AriRecordings(client), ear)

    def loaded(snapshot: Directory) -> None:
        prompts.wake(snapshot)
        spoken.directory_loaded(snapshot)

    directory = DirectoryCache(repo, options, on_loaded=loaded)
    writer = CallLogWriter(repo, Journal(settings.call_journal))
    store = RecordingStore(settings.recordings_dir)
    fetcher = RecordingFetcher(AriRecordings(client), store, writer)
    presence = PresenceBook()
    sounds_view = asterisk_process.locate(settings).asterisk_dir_view + "/sounds"
    lamps = MessageLamps(repo.unread_counts, directory)
    session = aiohttp.ClientSession()
    notifier = Notifier(SqlOutbox(repo), _senders(settings, session), store.path)
    decoder = WorkerDecoder(settings.stt_engine, settings.vosk_model, default_cache() / "stt")
    calls = (
        AriEscalationCalls(client, sounds_dir, sounds_view) if settings.escalate_by_call else None
    )

    def emergency(message: Message, users: tuple[str, ...]) -> None:
        data, members = _message_event(message, directory.index)
        state.events.publish(
            "emergency", {**data, "escalated_to": list(users)}, members | set(users)
        )

    after = AfterTranscript(
        directory, notifier, repo, calls, store.path, presence.presence, on_emergency=emergency
    )
    transcriber = Transcriber(repo, store.path, decoder, directory, writer, after)

    def stored(message: Message) -> None:
        transcriber.wake()
        lamps.wake()
        data, members = _message_event(message, directory.index)
        state.events.publish("voicemail.new", data, members)

    saver = MessageSaver(AriRecordings(client), store, repo, writer, on_stored=stored)
    alerts = OnCallAlerts(directory, notifier)
    control = CallControl(
        AriCallChannel(client, sounds_view),
        directory,
        presence,
        writer,
        fetcher,
        saver,
        alerts,
        events=state.events,
        speech=spoken,
    )
    contacts: dict[tuple[str, str], ContactState] = {}
    state.live = _LiveBoard(control, contacts)
    state.dialer = AriDialer(client)
    failsafe = FailsafeImporter(settings.failsafe_log, writer, repo.get_call_by_key)
    booted = asyncio.Event()

    def refresh() -> None:
        directory.poke()
        lamps.wake()

    state.refresh_directory = refresh
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(directory.run(), name="directory")
            tasks.create_task(prompts.run(), name="prompts")
            tasks.create_task(spoken.warm(), name="spoken-triage")
            tasks.create_task(writer.run(), name="call-log")
            tasks.create_task(fetcher.run(), name="recordings")
            tasks.create_task(saver.run(), name="voicemail")
            tasks.create_task(transcriber.run(), name="transcription")
            tasks.create_task(notifier.run(), name="notifications")
            tasks.create_task(alerts.run(), name="oncall-alerts")
            tasks.create_task(_shift_clock(repo), name="shift-clock")
            tasks.create_task(lamps.run(), name="lamps")
            tasks.create_task(control.run(), name="call-control")
            tasks.create_task(failsafe.run(), name="failsafe-log")
            tasks.create_task(_load_stats(repo, control), name="ring-stats")
            # ARI (our Stasis application) only once calls can be routed: until then
            # Stasis() fails and the dialplan's failsafe takes new calls, and channels
            # already waiting in the application are routed by the reconciliation.
            tasks.create_task(
                _once(
                    directory.loaded,
                    lambda: _run_ari(client, control, fetcher, saver, failsafe, state.ari, booted),
                ),
                name="ari",
            )
            tasks.create_task(
                _run_ami(settings, client, control, presence, lamps, state.ami, booted, contacts),
                name="ami",
            )
    finally:
        state.refresh_directory = None
        state.live = state.dialer = state.backend = None
        with contextlib.suppress(Exception):
            await writer.flush(2.0)
        writer.close()
        decoder.close()
        ear.close()
        await session.close()
        await client.close()
        await repo.close()


async def _once(ready: asyncio.Event, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work()` once `ready` is set."""
    await ready.wait()
    await work()


async def _load_stats(repo: SqlRepository, control: CallControl) -> None:
    """Strategy memory (idle times, calls today, round-robin positions) from the call log."""
    today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    backoff = Backoff(log)
    while True:
        try:
            control.load_stats(await repo.ring_stats(today))
            return
        except (OSError, SQLAlchemyError) as exc:
            await backoff.failed(f"ring statistics: {exc}")


async def _shift_clock(repo: SqlRepository, every: float = SHIFT_CLOCK_SECONDS) -> None:
    """Store the statuses the clock gives on-call shifts (scheduled -> active -> completed).

    Routing does not wait for this (it reads the status at the call's instant);
    it keeps the stored statuses true for lists and the dashboard.
    """
    while True:
        try:
            for shift in await repo.tick_shifts(datetime.now(UTC)):
                log.info("on-call %s is now %s", shift.label(), shift.status)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("on-call shift statuses not updated: %s", exc)
        await asyncio.sleep(every)


async def _live_channels(client: AriClient) -> list[LiveChannel]:
    return [
        LiveChannel(c.id, c.context, c.app, c.app_data, c.caller) for c in await client.channels()
    ]


async def _run_ari(
    client: AriClient,
    control: CallControl,
    fetcher: RecordingFetcher,
    saver: MessageSaver,
    failsafe: FailsafeImporter,
    connected: asyncio.Event,
    booted: asyncio.Event,
) -> None:
    async def on_connect() -> None:
        # Asterisk kept no events while we were away: adopt or end the calls we lost track of.
        control.node = failsafe.node = await client.entity_id() or control.node
        failsafe.wake()
        channels = await _live_channels(client)
        control.reconcile(channels)
        for bridge in await client.bridges():
            if not bridge.get("channels"):
                await client.destroy_bridge(str(bridge.get("id")))
        await fetcher.sweep(control.node, {c.id for c in channels})
        await saver.sweep(control.node, {c.id for c in channels})
        log.debug("ARI: %d channel(s) up at (re)connection", len(channels))

    async def on_event(event: AriEvent) -> None:
        if isinstance(event, StasisStart):
            ch = event.channel
            node = event.asterisk_id or control.node
            control.on_enter(Entered(ch.id, node, event.args, ch.caller))
        elif isinstance(event, RecordingEnded):
            control.on_recorded(event.name)
        elif isinstance(event, DtmfReceived):
            control.on_key(event.channel_id, event.digit)
        elif isinstance(event, PlaybackFinished):
            found = playback_of(event.playback_id)
            if found is not None:
                control.on_prompt_ended(*found)

    await client.run(on_event, connected, on_connect=on_connect, wake=booted)


async def _run_ami(
    settings: Settings,
    client: AriClient,
    control: CallControl,
    presence: PresenceBook,
    lamps: MessageLamps,
    connected: asyncio.Event,
    booted: asyncio.Event,
    known: dict[tuple[str, str], ContactState],
) -> None:
    host = "127.0.0.1"  # AMI listens on loopback only
    backoff = Backoff(log)
    while True:
        try:
            ami = await Ami.connect(host, settings.ami_port, settings.ami_user, settings.ami_secret)
        except ConnectionError as exc:
            await backoff.failed(str(exc))
            continue
        log.info("AMI: %s to %s:%d", backoff.connected(), host, settings.ami_port)
        connected.set()
        lamps.attach(ami)
        try:
            events = ami.events()  # subscribe before the snapshots
            presence.replace_all(await ami.device_states())
            snapshot: dict[tuple[str, str], ContactState] = {}
            for endpoint in await ami.endpoint_states():
                for contact in endpoint.contacts:
                    snapshot[(endpoint.endpoint, contact.uri)] = (
                        "unreachable" if contact.status == "Unreachable" else "registered"
                    )
            for key in set(known) | set(snapshot):
                _note(known, key, snapshot.get(key, "unregistered"))
            if control.sessions:  # call ends may have been missed while AMI was away
                with contextlib.suppress(ConnectionError, AriError):
                    control.reconcile(await _live_channels(client))
            async for event in events:
                if isinstance(event, CallEndEvent):
                    control.on_end(event.uniqueid, _ended(event))
                elif isinstance(event, AnsweredEvent):
                    control.on_answered(event.linkedid, event.peer)
                elif isinstance(event, ConfirmEvent):
                    control.on_confirm(event.linkedid, event.number, event.result)
                elif isinstance(event, DeviceStateEvent):
                    presence.update(event.device, event.state)
                elif isinstance(event, RegistrationEvent):
                    _note(known, (event.endpoint, event.uri), event.state)
                    if event.state == "registered":
                        lamps.forget(event.endpoint)
                elif isinstance(event, BootedEvent):
                    booted.set()  # ARI: reconnect now rather than after the backoff
                elif isinstance(event, SecurityEvent):
                    log.warning(
                        "security: %s for %r from %s (%s)",
                        event.event, event.account, event.remote, event.service,
                    )  # fmt: skip
        except (ConnectionError, AmiError) as exc:
            ended = str(exc)
        else:
            ended = "AMI: session ended"
        finally:
            connected.clear()
            lamps.attach(None)
            await ami.close()
        await backoff.lost(ended)  # a stopping Asterisk still accepts, then refuses logins


def _senders(settings: Settings, session: aiohttp.ClientSession) -> dict[Channel, Sender]:
    """A sender for every notification channel the settings configure."""
    senders: dict[Channel, Sender] = {}
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            tls=settings.smtp_tls,
        )
    for channel, url in (
        (Channel.SMS, settings.sms_webhook_url),
        (Channel.PUSH, settings.push_webhook_url),
    ):
        if url:
            senders[channel] = WebhookSender(session, url, settings.webhook_secret)
    return senders


def _ended(event: CallEndEvent) -> CallEnded:
    return CallEnded(
        at=datetime.now(UTC),
        status=event.status,
        peer=event.peer,
        answered_ms=event.answered_ms,
        cause=event.cause,
    )


def _note(
    known: dict[tuple[str, str], ContactState], key: tuple[str, str], state: ContactState
) -> None:
    """Record a contact's state; log it when it changed."""
    if known.get(key, "unregistered") == state:
        return
    endpoint, uri = key
    what = "extension" if endpoint.isdigit() else "endpoint"
    if state == "registered":
        log.info("%s %s registered from %s", what, endpoint, uri)
    elif state == "unreachable":
        log.info("%s %s unreachable at %s", what, endpoint, uri)
    else:
        log.info("%s %s unregistered (%s)", what, endpoint, uri)
    if state == "unregistered":
        known.pop(key, None)
    else:
        known[key] = state


# --- entry point ---------------------------------------------------------------


def configure_logging(level: str) -> None:
    """Log to stderr at `level` (a logging level name such as INFO or DEBUG)."""
    value = logging.getLevelName(level.upper())
    if not isinstance(value, int):
        raise InvalidInput("log_level", f"unknown logging level {level!r}")
    logging.basicConfig(
        level=value, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    if value > logging.DEBUG:
        # Schema upgrades and every health probe are not news at INFO.
        for noisy in ("alembic", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def freeze_imports() -> None:
    """Keep what is loaded by now (modules, classes: 130,000 objects) out of the garbage
    collector's full passes: under load each pass otherwise stalls every request for
    tens of milliseconds."""
    gc.collect()
    gc.freeze()


def main() -> None:
    """Run the controller with the settings of PBX_HOME (defaults < file < environment)."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        freeze_imports()
        asyncio.run(serve(settings))
    except InvalidInput as exc:
        sys.exit(f"pbx: {exc}")
    except OSError as exc:
        sys.exit(f"pbx: {exc.strerror or exc}")


if __name__ == "__main__":
    main()

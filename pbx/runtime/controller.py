"""The controller process (`pbx serve`): ARI, AMI and the API inside one TaskGroup.

Every long-lived task runs in one `asyncio.TaskGroup`; SIGTERM and SIGINT end
them all and `serve` returns normally. Asterisk may come and go: both its
interfaces are retried quietly (one log line per change of state).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Literal

from aiohttp import web

from pbx.adapters.ami import Ami, AmiError
from pbx.adapters.ari import AriClient, AriError, AriEvent
from pbx.adapters.backoff import Backoff
from pbx.api.app import ApiState, make_app
from pbx.core.errors import InvalidInput
from pbx.runtime.settings import Settings, load_settings

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
            tasks.create_task(_run_ari(settings, state.ari), name="ari")
            tasks.create_task(_run_ami(settings, state.ami), name="ami")
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
        site = web.TCPSite(runner, settings.api_bind, settings.api_port)
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


# --- ARI ---------------------------------------------------------------------


async def _run_ari(settings: Settings, connected: asyncio.Event) -> None:
    base_url = f"http://127.0.0.1:{settings.ari_port}/ari"  # ARI listens on loopback only
    client = AriClient(base_url, settings.ari_user, settings.ari_password, settings.app_name)

    async def on_connect() -> None:
        # Asterisk kept no events while we were away; reconciliation comes with call control.
        channels = await client.request("GET", "/channels")
        log.debug("ARI: %d channel(s) up at (re)connection", len(channels or []))

    async def on_event(event: AriEvent) -> None:
        log.debug("ARI event %s", event.type)
        if event.type == "StasisStart":
            await _refuse_call(client, event)

    try:
        await client.run(on_event, connected, on_connect=on_connect)
    finally:
        await client.close()


async def _refuse_call(client: AriClient, event: AriEvent) -> None:
    """Routing is not written yet: every call that enters Stasis is hung up."""
    channel = event.data.get("channel") or {}
    caller = (channel.get("caller") or {}).get("number", "")
    dialed = (channel.get("dialplan") or {}).get("exten", "")
    log.warning(
        "call %s from %r to %r: call control not implemented yet; hanging up",
        event.channel_id,
        caller,
        dialed,
    )
    try:
        await client.request("DELETE", f"/channels/{event.channel_id}")
    except AriError as exc:
        if exc.status != 404:  # 404: the caller hung up first
            log.warning("%s", exc)
    except ConnectionError as exc:
        log.warning("%s", exc)


# --- AMI ---------------------------------------------------------------------


async def _run_ami(settings: Settings, connected: asyncio.Event) -> None:
    host = "127.0.0.1"  # AMI listens on loopback only
    known: dict[tuple[str, str], ContactState] = {}
    backoff = Backoff(log)
    while True:
        try:
            ami = await Ami.connect(host, settings.ami_port, settings.ami_user, settings.ami_secret)
        except ConnectionError as exc:
            await backoff.failed(str(exc))
            continue
        log.info("AMI: %s to %s:%d", backoff.connected(), host, settings.ami_port)
        connected.set()
        try:
            events = ami.registration_events()  # subscribe before the snapshot
            snapshot: dict[tuple[str, str], ContactState] = {}
            for endpoint in await ami.endpoint_states():
                for contact in endpoint.contacts:
                    snapshot[(endpoint.endpoint, contact.uri)] = (
                        "unreachable" if contact.status == "Unreachable" else "registered"
                    )
            for key in set(known) | set(snapshot):
                _note(known, key, snapshot.get(key, "unregistered"))
            async for event in events:
                _note(known, (event.endpoint, event.uri), event.state)
        except (ConnectionError, AmiError) as exc:
            ended = str(exc)
        else:
            ended = "AMI: session ended"
        finally:
            connected.clear()
            await ami.close()
        await backoff.lost(ended)  # a stopping Asterisk still accepts, then refuses logins


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


def main() -> None:
    """Run the controller with the settings of PBX_HOME (defaults < file < environment)."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        asyncio.run(serve(settings))
    except InvalidInput as exc:
        sys.exit(f"pbx: {exc}")
    except OSError as exc:
        sys.exit(f"pbx: {exc.strerror or exc}")


if __name__ == "__main__":
    main()

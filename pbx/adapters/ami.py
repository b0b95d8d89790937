"""Asterisk's manager interface (AMI) through panoramisk, behind typed values.

panoramisk's messages are untyped case-insensitive dicts; they never leave
this module. One `Ami` object is one AMI session: it does not reconnect by
itself (panoramisk's Manager would, silently); when the session ends,
`registration_events()` raises `ConnectionError` and the owner opens a new
session with `Ami.connect`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal, Self

from panoramisk import Manager  # type: ignore[import-untyped,unused-ignore]
from panoramisk.ami_protocol import AMIProtocol  # type: ignore[import-untyped,unused-ignore]

from pbx.core.render import AMI_SECURITY_FAILURES
from pbx.services.ports import Contact, EndpointState

log = logging.getLogger(__name__)

RegistrationState = Literal["registered", "unregistered", "unreachable"]

# ContactStatus values (Asterisk 22 res_pjsip) and what they mean for a phone.
_CONTACT_STATES: dict[str, RegistrationState] = {
    "Created": "registered",
    "Updated": "registered",
    "Reachable": "registered",
    "NonQualified": "registered",  # registered, qualify_frequency = 0
    "Unknown": "registered",  # registered, not qualified yet
    "Unreachable": "unreachable",
    "Removed": "unregistered",
}
# A contact in one of these states counts as a registered phone.
_REGISTERED_STATUSES = frozenset({"Reachable", "NonQualified", "Unknown", "Created", "Updated"})


class AmiError(RuntimeError):
    """Asterisk answered an AMI action with an error."""


class _ClosedByOwner(Exception):
    """Marks a session closed by `Ami.close()` (iterators end without error)."""


@dataclass(frozen=True)
class RegistrationEvent:
    """A change of one SIP contact of an endpoint (from AMI `ContactStatus`).

    `state` is what the change means; `status` is Asterisk's own word for it
    (Created, Reachable, NonQualified, Unreachable, Removed, ...).
    """

    endpoint: str
    aor: str
    uri: str
    state: RegistrationState
    status: str
    roundtrip_usec: int | None = None


@dataclass(frozen=True)
class DeviceStateEvent:
    """A device's new state (AMI `DeviceStateChange`), e.g. PJSIP/101 INUSE."""

    device: str
    state: str


@dataclass(frozen=True)
class CallEndEvent:
    """How a call ended, from the dialplan's pbx-end hangup handler (AMI `UserEvent`).

    `status` is DIALSTATUS of the last Dial() (empty when none ran), `peer`
    DIALEDPEERNUMBER of the leg that answered, the times are those of the last
    Dial() in milliseconds, `cause` the Q.850 HANGUPCAUSE.
    """

    uniqueid: str
    linkedid: str
    status: str
    peer: str
    answered_ms: int | None
    dialed_ms: int | None
    cause: int | None


@dataclass(frozen=True)
class ConfirmEvent:
    """What an on-call technician did on an answered cell leg (the dialplan's pbx-confirm):
    `result` is accepted, declined or unconfirmed; `linkedid` names the call."""

    linkedid: str
    number: str
    result: str


@dataclass(frozen=True)
class AnsweredEvent:
    """A leg of a call answered (the dialplan's pbx-answered): `peer` is its channel name."""

    linkedid: str
    peer: str


@dataclass(frozen=True)
class BootedEvent:
    """Asterisk is fully booted (AMI `FullyBooted`, also sent to every new session)."""


@dataclass(frozen=True)
class SecurityEvent:
    """A failed authentication or refused request (AMI security class)."""

    event: str
    service: str
    account: str
    remote: str


AmiEvent = (
    RegistrationEvent
    | DeviceStateEvent
    | CallEndEvent
    | ConfirmEvent
    | AnsweredEvent
    | BootedEvent
    | SecurityEvent
)


class _Session(Manager):  # type: ignore[misc]
    """panoramisk's Manager reduced to one session: no reconnect, failures reported.

    panoramisk reconnects on its own after a lost connection and re-sends the
    actions that were pending; we want the owner to see the loss instead, so
    pending actions fail with ConnectionError and nothing reconnects.
    """

    def __init__(
        self,
        *,
        logged_in: asyncio.Future[bool],
        on_lost: Callable[[ConnectionError], None],
        **config: Any,
    ) -> None:
        self._logged_in = logged_in
        self._on_lost = on_lost
        self._background: set[asyncio.Future[Any]] = set()
        super().__init__(**config)

    def register_event(self, pattern: str, callback: Any = None) -> Any:
        # panoramisk runs coroutine callbacks with ensure_future and keeps no
        # reference: wrap every callback so that its failures are logged.
        def guard(callback: Callable[..., Any]) -> Callable[..., None]:
            def guarded(manager: Any, message: Any) -> None:
                try:
                    result = callback(manager, message)
                except Exception:
                    log.exception("AMI: event callback %r failed", callback)
                    return
                if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                    task = asyncio.ensure_future(result)
                    self._background.add(task)
                    task.add_done_callback(self._background_done)

            return guarded

        if callback is not None:
            return super().register_event(pattern, guard(callback))
        return lambda cb: super(_Session, self).register_event(pattern, guard(cb))

    def _background_done(self, task: asyncio.Future[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("AMI: event callback failed", exc_info=task.exception())

    def send_awaiting_actions(self, *_: Any) -> None:
        """Never re-send: actions pending when a session ends fail instead."""

    def fail_pending(self, error: BaseException) -> None:
        """Fail every action still waiting for an answer."""
        pending = list(self.awaiting_actions)
        self.awaiting_actions.clear()
        responses = getattr(self, "responses", None) or {}
        pending.extend(responses.values())
        for action in pending:
            if not action.future.done():
                action.future.set_exception(error)

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if f.cancelled():
            return
        exc = f.exception()
        if exc is not None:
            where = f"{self.config['host']}:{self.config['port']}"
            if not self._logged_in.done():
                self._logged_in.set_exception(
                    ConnectionError(f"AMI: cannot connect to {where} ({exc})")
                )
            return
        super().connection_made(f)

    def login(self, future: asyncio.Future[Any]) -> bool:
        try:
            ok = bool(super().login(future))
        except (ConnectionError, asyncio.CancelledError) as exc:  # no answer: connection lost
            ok = False
            log.debug("AMI: login did not complete: %r", exc)
        if not self._logged_in.done():
            self._logged_in.set_result(ok)
        return ok

    def connection_lost(self, exc: Any) -> None:
        self._connected = False
        pinger = getattr(self, "pinger", None)
        if pinger is not None:
            pinger.cancel()
            self.pinger = None
        where = f"{self.config['host']}:{self.config['port']}"
        if isinstance(exc, Exception):
            error = ConnectionError(f"AMI: connection to {where} lost ({exc})")
        elif exc is not None:  # panoramisk passes the Shutdown event itself
            error = ConnectionError(f"AMI: Asterisk at {where} is shutting down")
        else:
            error = ConnectionError(f"AMI: connection to {where} closed by the other side")
        self.fail_pending(error)
        if not self._logged_in.done():
            self._logged_in.set_exception(error)
        self._on_lost(error)


class _InfoAsDebug(logging.LoggerAdapter):  # type: ignore[type-arg]
    """panoramisk logs routine things at INFO (protocol version, ...): demote them."""

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


class _Protocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol, logging through our (demoted) logger from the first byte."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.log = _InfoAsDebug(log.getChild("panoramisk"), {})


def _text(message: Any, key: str) -> str:
    """One header of a panoramisk message as a string (the first, if repeated)."""
    value = message.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _aor_of_contact(object_name: str) -> str:
    # Registered contacts are named "aor;@hash".
    return object_name.split(";@", 1)[0]


def _names(field: str) -> list[str]:
    return [part.strip() for part in field.split(",") if part.strip()]


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _parse(message: Any) -> AmiEvent | None:
    """The typed event for one AMI message, or None for events the controller does not use."""
    name = _text(message, "Event")
    if name == "ContactStatus":
        status = _text(message, "ContactStatus")
        state = _CONTACT_STATES.get(status)
        if state is None:
            log.debug("AMI: ignoring ContactStatus %r", status)
            return None
        return RegistrationEvent(
            endpoint=_text(message, "EndpointName"),
            aor=_text(message, "AOR"),
            uri=_text(message, "URI"),
            state=state,
            status=status,
            roundtrip_usec=_int(_text(message, "RoundtripUsec")),
        )
    if name == "DeviceStateChange":
        return DeviceStateEvent(_text(message, "Device"), _text(message, "State"))
    if name == "UserEvent" and _text(message, "UserEvent") == "PbxCallEnd":
        return CallEndEvent(
            uniqueid=_text(message, "Uniqueid"),
            linkedid=_text(message, "Linkedid"),
            status=_text(message, "Status"),
            peer=_text(message, "Peer"),
            answered_ms=_int(_text(message, "AnsweredMs")),
            dialed_ms=_int(_text(message, "DialedMs")),
            cause=_int(_text(message, "Cause")),
        )
    if name == "UserEvent" and _text(message, "UserEvent") == "PbxConfirm":
        return ConfirmEvent(
            linkedid=_text(message, "Linkedid"),
            number=_text(message, "Number"),
            result=_text(message, "Result"),
        )
    if name == "UserEvent" and _text(message, "UserEvent") == "PbxAnswered":
        return AnsweredEvent(linkedid=_text(message, "Linkedid"), peer=_text(message, "Peer"))
    if name == "FullyBooted":
        return BootedEvent()
    if name in AMI_SECURITY_FAILURES:
        return SecurityEvent(
            event=name,
            service=_text(message, "Service"),
            account=_text(message, "AccountID"),
            remote=_text(message, "RemoteAddress"),
        )
    return None


class Ami:
    """One logged-in AMI session (implements `AsteriskManager`).

    Open it with `await Ami.connect(...)`; it does not reconnect. Use it as an
    async context manager or call `close()`.
    """

    def __init__(self, session: _Session, address: str) -> None:
        self._session = session
        self._address = address
        self._subscribers: set[asyncio.Queue[AmiEvent | BaseException]] = set()
        self._ended: BaseException | None = None
        session.register_event("*", self._on_event)

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        username: str,
        secret: str,
        timeout: float = 5,
        *,
        events: str = "system,security,call,user",
    ) -> Ami:
        """Connect and log in; returns once Asterisk has accepted the login.

        `events` is the AMI event mask asked for at login (ContactStatus is a
        `system` event, DeviceStateChange `call`, the dialplan's UserEvent
        `user`); the generated manager.conf filters the session down to the
        events `events()` reports. Raises ConnectionError when the manager port cannot
        be reached, the login is refused, or no answer comes within `timeout`.
        """
        loop = asyncio.get_running_loop()
        logged_in: asyncio.Future[bool] = loop.create_future()
        holder: list[Ami] = []

        def on_lost(error: ConnectionError) -> None:
            if holder:
                holder[0]._lost(error)

        session = _Session(
            logged_in=logged_in,
            on_lost=on_lost,
            host=host,
            port=port,
            username=username,
            secret=secret,
            events=events,
            loop=loop,
            ping_delay=10,
            ping_interval=10,
            log=_InfoAsDebug(log.getChild("panoramisk"), {}),
            protocol_factory=_Protocol,
        )
        ami = cls(session, f"{host}:{port}")
        holder.append(ami)
        connecting = session.connect()  # a Task; login follows in callbacks
        try:
            async with asyncio.timeout(timeout):
                accepted = await logged_in
        except BaseException as exc:
            connecting.cancel()
            session.close()
            if isinstance(exc, TimeoutError):
                raise ConnectionError(
                    f"AMI: no login answer from {host}:{port} within {timeout:g} s"
                ) from None
            raise
        if not accepted:
            session.close()
            raise ConnectionError(f"AMI: login refused for user {username!r} at {host}:{port}")
        log.debug("AMI: logged in to %s as %s", ami._address, username)
        return ami

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        """True while the session is open."""
        return self._ended is None

    async def close(self) -> None:
        """Close the connection; pending actions fail, registration iterators end."""
        if self._ended is not None:
            return
        self._ended = _ClosedByOwner()
        self._session.close()
        self._session.fail_pending(ConnectionError(f"AMI: session to {self._address} closed"))
        for queue in self._subscribers:
            queue.put_nowait(self._ended)

    def _lost(self, error: ConnectionError) -> None:
        if self._ended is not None:
            return
        self._ended = error
        log.debug("%s", error)
        for queue in self._subscribers:
            queue.put_nowait(error)

    def _on_event(self, _manager: Any, message: Any) -> None:
        # Everything else (TestEvent noise of TEST_FRAMEWORK builds included) is dropped here.
        if not self._subscribers:
            return
        event = _parse(message)
        if event is None:
            return
        for queue in self._subscribers:
            queue.put_nowait(event)

    def events(self) -> AsyncIterator[AmiEvent]:
        """Registrations, device states, call ends, boots and security failures as they happen.

        The subscription starts at the call, so a snapshot taken with
        `endpoint_states()` / `device_states()` after calling this misses
        nothing. Each call is an independent subscription. Ends normally after
        `close()`; raises ConnectionError when the connection is lost.
        """
        queue: asyncio.Queue[AmiEvent | BaseException] = asyncio.Queue()
        self._subscribers.add(queue)
        if self._ended is not None:
            queue.put_nowait(self._ended)
        return self._drain(queue)

    async def _drain(
        self, queue: asyncio.Queue[AmiEvent | BaseException]
    ) -> AsyncIterator[AmiEvent]:
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _ClosedByOwner):
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._subscribers.discard(queue)

    async def _action(self, action: dict[str, str], timeout: float = 10) -> Any:
        if self._ended is not None:
            raise ConnectionError(f"AMI: session to {self._address} is closed")
        future = self._session.send_action(action)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise ConnectionError(
                f"AMI: no answer to {action['Action']} within {timeout:g} s"
            ) from None

    async def _list(self, action: str, item_event: str, empty_message: str) -> list[Any]:
        """Run an action answered by an event list; returns the item events."""
        answer = await self._action({"Action": action})
        messages = answer if isinstance(answer, list) else [answer]
        first = messages[0]
        if _text(first, "Response") == "Error":
            reason = _text(first, "Message")
            if reason.lower().startswith(empty_message):
                return []
            raise AmiError(f"AMI: {action} failed: {reason}")
        return [m for m in messages if _text(m, "Event") == item_event]

    async def endpoint_states(self) -> list[EndpointState]:
        """Every PJSIP endpoint (trunks too), with its registered contacts and their status.

        Static contacts (an AOR's `contact=`, as trunks have) are not
        registrations and are not listed.
        """
        endpoints = await self._list("PJSIPShowEndpoints", "EndpointList", "no endpoints found")
        contact_events = await self._list("PJSIPShowContacts", "ContactList", "no contacts found")
        # Contacts belong to AORs (an AOR may serve several endpoints).
        by_aor: dict[str, list[tuple[str, str, str]]] = {}
        for c in contact_events:
            aor = _aor_of_contact(_text(c, "ObjectName"))
            by_aor.setdefault(aor, []).append(
                (_text(c, "Uri"), _text(c, "Status"), _text(c, "UserAgent"))
            )
        states = []
        for e in endpoints:
            name = _text(e, "ObjectName")
            contacts = tuple(
                Contact(endpoint=name, uri=uri, status=status, user_agent=agent)
                for aor in _names(_text(e, "Aor"))
                for uri, status, agent in by_aor.get(aor, [])
            )
            registered = any(c.status in _REGISTERED_STATUSES for c in contacts)
            states.append(EndpointState(endpoint=name, registered=registered, contacts=contacts))
        return sorted(states, key=lambda s: s.endpoint)

    async def device_states(self) -> dict[str, str]:
        """Every device Asterisk tracks and its state, e.g. {"PJSIP/101": "NOT_INUSE"}."""
        items = await self._list("DeviceStateList", "DeviceStateChange", "no devices")
        return {_text(m, "Device"): _text(m, "State") for m in items}

    async def message_waiting(self, endpoint: str, new: int, old: int) -> None:
        """Light (or clear) a phone's message-waiting lamp: a message-summary NOTIFY (RFC 3842).

        Sent with PJSIPNotify to every contact of `endpoint`; an endpoint with
        no registered contact raises AmiError.
        """
        body = [f"Messages-Waiting: {'yes' if new else 'no'}", f"Voice-Message: {new}/{old} (0/0)"]
        answer = await self._action(
            {
                "Action": "PJSIPNotify",
                "Endpoint": endpoint,
                "Variable": [
                    "Event=message-summary",
                    "Content-Type=application/simple-message-summary",
                    *(f"Content={line}" for line in body),
                ],
            }  # type: ignore[dict-item]
        )
        if _text(answer, "Response") != "Success":
            raise AmiError(f"AMI: PJSIPNotify to {endpoint} failed: {_text(answer, 'Message')}")

    async def reload(self) -> None:
        """Reload every module's configuration (PJSIP, dialplan, ARI, ...).

        The AMI `Reload` action without a module is `core reload`: it reloads
        res_pjsip (endpoints, auths, AORs, transports' settings) as well.
        """
        answer = await self._action({"Action": "Reload"}, timeout=30)
        if _text(answer, "Response") != "Success":
            raise AmiError(f"AMI: Reload failed: {_text(answer, 'Message')}")

"""API: on-call shifts, who is on call now, rotation and overrides, the emergency call
log, the dashboard and the on-call settings.

Anyone signed in reads. Writes need the on-call write permission (admins always
have it) and are made as the token's user, checked again by the service exactly
as the CLI's `--as`; the controller's own secret acts as itself. Times are given
as the CLI takes them (`2026-11-21 18:00` in the on-call time zone, `18:00`,
`now`, or ISO 8601 with an offset) and shown as the CLI shows them (local, with
`*_utc` alongside).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from pbx.api.app import backend_of, changed
from pbx.api.base import (
    LIST_PARAMS,
    Param,
    Routes,
    body,
    boolean,
    created,
    integer,
    no_content,
    nullable,
    number,
    obj,
    offset_page,
    path_int,
    principal,
    query_int,
    query_text,
    references_are_input,
    string,
)
from pbx.core import access, oncall, present
from pbx.core.access import Principal
from pbx.core.oncall import (
    SETTING_KEYS,
    Action,
    OnCallNow,
    Outcome,
    ShiftStatus,
    settings_text,
)
from pbx.services.oncall import OnCallService

routes = Routes("on-call")

TIME = "a time: '2026-11-21 18:00' (on-call time zone), '18:00' (today), 'now', or ISO 8601"


def _writer(request: web.Request) -> tuple[OnCallService, str | None]:
    """The service and the user to act as, once the principal may write on-call data."""
    p: Principal = principal(request)
    access.require_oncall_write(p)
    return backend_of(request).oncall(), p.acting_as()


async def _zone(service: OnCallService) -> ZoneInfo:
    return ZoneInfo((await service.settings()).timezone)


# -- shifts --------------------------------------------------------------------------------

STATUSES = tuple(s.value for s in ShiftStatus)


@routes.get(
    "/api/oncall/shifts",
    "On-call shifts by start, with the status they have now.",
    params=(
        Param("status", "only shifts with this status", enum=STATUSES),
        Param("tech", "only this technician's shifts"),
        *LIST_PARAMS,
    ),
)
async def list_shifts(request: web.Request) -> web.Response:
    service = backend_of(request).oncall()
    found = await service.shifts(query_text(request, "status"))
    tech = query_text(request, "tech")
    if tech is not None:
        found = [s for s in found if s.tech == tech]
    zone = await _zone(service)
    return offset_page(request, found, lambda s: present.shift(s, zone))


NEW_SHIFT = obj(
    ["tech", "start"],
    tech=string("the technician (a user name)"),
    start=string(f"when it starts: {TIME}"),
    end=string("when it ends (default: start + the shift_hours setting)"),
    notes=string("coverage notes for the handoff"),
    backup=boolean("a backup shift (may overlap a primary one)"),
)


@routes.post(
    "/api/oncall/shifts",
    "Schedule an on-call shift (on-call write permission).",
    body=NEW_SHIFT,
    status=201,
)
async def new_shift(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, NEW_SHIFT)
    with references_are_input():
        shift = await service.new_shift(
            data["tech"],
            data["start"],
            data.get("end"),
            data.get("notes", ""),
            data.get("backup", False),
            as_user,
        )
    changed(request)
    return created(present.shift(oncall.with_clock(shift, service.clock()), await _zone(service)))


@routes.get("/api/oncall/shifts/{id}", "One shift and its emergency call log.")
async def show_shift(request: web.Request) -> web.Response:
    service = backend_of(request).oncall()
    shift, calls = await service.shift(path_int(request, "id"))
    zone = await _zone(service)
    return web.json_response(
        {**present.shift(shift, zone), "calls": [present.emergency_call(c, zone) for c in calls]}
    )


SHIFT_CHANGE = obj(
    tech=string("the technician (a user name)"),
    start=string(f"when it starts: {TIME}"),
    end=string("when it ends"),
    notes=string("coverage notes"),
    backup=boolean("a backup shift (true) or a primary one (false)"),
)


@routes.patch(
    "/api/oncall/shifts/{id}",
    "Change a scheduled or active shift (on-call write permission).",
    body=SHIFT_CHANGE,
)
async def change_shift(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, SHIFT_CHANGE)
    with references_are_input("shift"):
        shift = await service.update_shift(
            path_int(request, "id"),
            tech=data.get("tech"),
            start=data.get("start"),
            end=data.get("end"),
            notes=data.get("notes"),
            backup=data.get("backup"),
            as_user=as_user,
        )
    changed(request)
    shift = oncall.with_clock(shift, service.clock())
    return web.json_response(present.shift(shift, await _zone(service)))


async def _act(request: web.Request, action: Action) -> web.Response:
    service, as_user = _writer(request)
    shift = await service.act(path_int(request, "id"), action, as_user)
    changed(request)
    return web.json_response(present.shift(shift, await _zone(service)))


@routes.post(
    "/api/oncall/shifts/{id}/activate",
    "Activate a scheduled shift by hand (on-call write permission).",
)
async def activate_shift(request: web.Request) -> web.Response:
    return await _act(request, Action.ACTIVATE)


@routes.post(
    "/api/oncall/shifts/{id}/complete",
    "Complete an active shift by hand: it ends now (on-call write permission).",
)
async def complete_shift(request: web.Request) -> web.Response:
    return await _act(request, Action.COMPLETE)


@routes.post(
    "/api/oncall/shifts/{id}/cancel",
    "Cancel a scheduled or active shift (on-call write permission).",
)
async def cancel_shift(request: web.Request) -> web.Response:
    return await _act(request, Action.CANCEL)


@routes.delete(
    "/api/oncall/shifts/{id}",
    "Delete a scheduled or cancelled shift (on-call write permission).",
)
async def delete_shift(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    await service.delete(path_int(request, "id"), as_user)
    changed(request)
    return no_content()


# -- who is on call, rotation, overrides --------------------------------------------------


@routes.get("/api/oncall/now", "Who is on call now, and the backup (their shifts, or null).")
async def now(request: web.Request) -> web.Response:
    service = backend_of(request).oncall()
    current = await service.now()
    at = service.clock()
    current = OnCallNow(  # the status the clock gives them, as the shift list shows it
        oncall.with_clock(current.primary, at) if current.primary else None,
        oncall.with_clock(current.backup, at) if current.backup else None,
    )
    return web.json_response(present.oncall_now(current, await _zone(service)))


ROTATE = obj(
    ["from", "periods"],
    **{
        "from": string("the first day, YYYY-MM-DD (on-call time zone)"),
        "periods": integer("how many periods of the cadence", minimum=1),
    },
)


@routes.post(
    "/api/oncall/rotate",
    "Generate shifts from the roster and cadence (on-call write permission).",
    body=ROTATE,
    status=201,
)
async def rotate(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, ROTATE)
    with references_are_input():
        made = await service.rotate(data["from"], data["periods"], as_user)
    changed(request)
    zone = await _zone(service)
    return created({"shifts": [present.shift(s, zone) for s in made]})


OVERRIDE = obj(
    ["tech", "start", "end"],
    tech=string("the technician (a user name)"),
    start=string(f"when it starts: {TIME}"),
    end=string("when it ends"),
    notes=string("coverage notes"),
)


@routes.post(
    "/api/oncall/overrides",
    "A one-off shift that wins over the rotation: the rotation shifts it covers give way "
    "(on-call write permission).",
    body=OVERRIDE,
    status=201,
)
async def override(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, OVERRIDE)
    with references_are_input():
        made = await service.override(
            data["tech"], data["start"], data["end"], data.get("notes", ""), as_user
        )
    changed(request)
    zone = await _zone(service)
    first, *pieces = made
    return created(
        {**present.shift(first, zone), "rotation_pieces": [present.shift(s, zone) for s in pieces]}
    )


# -- the emergency call log ---------------------------------------------------------------

OUTCOME_NAMES = ", ".join(o.value for o in Outcome)


@routes.get(
    "/api/oncall/calls",
    "The emergency call log, newest first.",
    params=(Param("shift", "only this shift's calls", "integer"), *LIST_PARAMS),
)
async def list_calls(request: web.Request) -> web.Response:
    service = backend_of(request).oncall()
    with references_are_input():
        entries = await service.calls(query_int(request, "shift", None, 1))
    zone = await _zone(service)
    return offset_page(request, entries, lambda e: present.emergency_call(e, zone))


def _minutes(value: float | str | None) -> str | None:
    """A response time as the service takes it (None: not given, "": clear it)."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


NEW_CALL = obj(
    ["shift", "customer", "phone", "issue"],
    shift=integer("the shift it came in on", minimum=1),
    customer=string("the customer's name"),
    phone=string("the customer's phone number (any format)"),
    issue=string("what the emergency is"),
    outcome=string(f"how it went: {OUTCOME_NAMES}"),
    received=string(f"when it came in (default: now): {TIME}"),
    response=number("response time in minutes"),
    job=integer("the related job id", minimum=1),
    notes=string("notes"),
)


@routes.post(
    "/api/oncall/calls",
    "Log an emergency call on a shift by hand (on-call write permission).",
    body=NEW_CALL,
    status=201,
)
async def log_call(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, NEW_CALL)
    with references_are_input():
        entry = await service.log_call(
            data["shift"],
            customer=data["customer"],
            phone_number=data["phone"],
            issue=data["issue"],
            outcome=data.get("outcome"),
            received=data.get("received"),
            response=_minutes(data.get("response")),
            job=data.get("job"),
            notes=data.get("notes", ""),
            as_user=as_user,
        )
    changed(request)
    return created(present.emergency_call(entry, await _zone(service)))


@routes.get("/api/oncall/calls/{id}", "One entry of the emergency call log.")
async def show_call(request: web.Request) -> web.Response:
    service = backend_of(request).oncall()
    entry = await service.emergency_call(path_int(request, "id"))
    return web.json_response(present.emergency_call(entry, await _zone(service)))


CALL_CHANGE = obj(
    customer=string("the customer's name"),
    phone=string("the customer's phone number (any format)"),
    issue=string("what the emergency is"),
    outcome=nullable(string(f"how it went: {OUTCOME_NAMES} (null: not known yet)")),
    received=string(f"when it came in: {TIME}"),
    response=nullable(number("response time in minutes (null: not known)")),
    job=nullable(integer("the related job id (null: none)", minimum=1)),
    notes=string("notes"),
)


@routes.patch(
    "/api/oncall/calls/{id}",
    "Edit an emergency call log entry (on-call write permission).",
    body=CALL_CHANGE,
)
async def edit_call(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, CALL_CHANGE)

    def cleared(name: str) -> Any:
        """The value of `name`: absent is None (unchanged), null clears it."""
        if name not in data:
            return None
        return data[name] if data[name] is not None else ("" if name != "job" else 0)

    with references_are_input("call"):
        entry = await service.update_call(
            path_int(request, "id"),
            customer=data.get("customer"),
            phone_number=data.get("phone"),
            issue=data.get("issue"),
            outcome=cleared("outcome"),
            received=data.get("received"),
            response=_minutes(cleared("response")),
            job=cleared("job"),
            notes=data.get("notes"),
            as_user=as_user,
        )
    changed(request)
    return web.json_response(present.emergency_call(entry, await _zone(service)))


# -- dashboard and settings ---------------------------------------------------------------


@routes.get(
    "/api/oncall/dashboard",
    "Shifts, this month's emergency calls and outcomes, response time against the SLA.",
)
async def dashboard(request: web.Request) -> web.Response:
    board = await backend_of(request).oncall().dashboard()
    return web.json_response(present.dashboard(board))


@routes.get("/api/oncall/settings", "The on-call settings (each as text, as the CLI shows them).")
async def show_settings(request: web.Request) -> web.Response:
    current = await backend_of(request).oncall().settings()
    return web.json_response(settings_text(current))


_SETTING_TYPES: dict[str, tuple[str, ...]] = {
    "shift_hours": ("string", "integer"),
    "sla_minutes": ("string", "integer"),
    "auto_notify": ("string", "boolean"),
    "roster": ("string", "array"),
}


def _setting_schema(key: str) -> dict[str, Any]:
    """A setting's value: text as the CLI's `--set key=value` takes it, or the JSON type
    that says the same; null (or "") clears an optional one."""
    schema: dict[str, Any] = {"type": [*_SETTING_TYPES.get(key, ("string",)), "null"]}
    if key == "roster":
        schema["items"] = {"type": "string"}
        schema["description"] = "technicians in rotation order: a list, or 'Ann,Bob'"
    return schema


SETTINGS = obj()
SETTINGS["properties"] = {key: _setting_schema(key) for key in SETTING_KEYS}


def _setting_text(value: Any) -> str:
    """A setting's JSON value as the `key=value` text the service reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


@routes.patch(
    "/api/oncall/settings",
    "Change on-call settings, all or nothing (on-call write permission).",
    body=SETTINGS,
)
async def change_settings(request: web.Request) -> web.Response:
    service, as_user = _writer(request)
    data = await body(request, SETTINGS)
    pairs = [f"{key}={_setting_text(value)}" for key, value in data.items()]
    if not pairs:
        return web.json_response(settings_text(await service.settings()))
    with references_are_input():
        current = await service.update_settings(pairs, as_user)
    changed(request)
    return web.json_response(settings_text(current))

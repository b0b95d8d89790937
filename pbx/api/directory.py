"""API: the directory: users, extensions, business numbers, ring groups, schedules, trunks.

Every signed-in user may read the directory (SIP passwords only show to admins
and to the extension's own user); changing it needs the admin role, and only
admins see trunks. Every change goes through the same `DirectoryService` as the
CLI, with the raw input, and tells call routing to reload the directory.

A name in a request body that refers to nothing (an unknown user, extension,
box...) is bad input (400, naming the body field); only the resource of the
path itself answers 404.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from pbx.api.app import backend_of, changed, snapshot
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
    obj,
    offset_page,
    principal,
    query_bool,
    query_text,
    references_are_input,
    string,
    strings,
)
from pbx.core import access, present, rules, validate
from pbx.core.access import Principal
from pbx.core.model import Directory, Extension, RingTarget, Role, Strategy, User
from pbx.services.directory import DirectoryService

routes = Routes("directory")

ROLES = tuple(r.value for r in Role)
RING_TARGETS = tuple(t.value for t in RingTarget)
STRATEGIES = tuple(s.value for s in Strategy)


# -- shared by the resource handlers (crm.py uses them too) --------------------------


def admin(request: web.Request, action: str) -> DirectoryService:
    """The directory service, for an admin making a change (403 for anyone else)."""
    access.require_admin(principal(request), action)
    return backend_of(request).directory()


def csv(items: Sequence[str] | None) -> str | None:
    """A JSON list as the comma-separated text the services take (None stays None)."""
    return None if items is None else ",".join(items)


def cleared(value: str | None) -> str:
    """A nullable body field: null clears the value (the services take '' for that)."""
    return "" if value is None else value


def _given(data: Mapping[str, Any], name: str, service_name: str | None = None) -> dict[str, Any]:
    """`{service_name: value}` when the body has `name` (null made ''), else nothing."""
    if name not in data:
        return {}
    return {service_name or name: cleared(data[name])}


# -- users -------------------------------------------------------------------------------


USER_NEW = obj(
    ["name", "email"],
    name=string("the user's name (unique)"),
    email=string("email address"),
    mobile=nullable(string("mobile number, any format (rung for 'cell' ring targets)")),
    role=string("role (default technician)", ROLES),
    oncall_write=boolean("may change on-call shifts"),
)

USER_PATCH = obj(
    (),
    name=string("a new name"),
    email=string("email address"),
    mobile=nullable(string("mobile number, any format; null clears it")),
    role=string("role", ROLES),
    oncall_write=boolean("may change on-call shifts"),
    active=boolean("false deactivates the user (their tokens stop working)"),
    notify=strings("where voicemail notifications go: email, sms, push ([]: nowhere)"),
)


def _user_view(d: Directory, u: User) -> dict[str, Any]:
    direct = next((n.e164 for n in d.numbers if n.assigned_user == u.name), None)
    return present.user_detail(u, [e.number for e in d.extensions_of(u.name)], direct)


@routes.get(
    "/api/users",
    "Team members, by name.",
    params=(
        Param("role", "only users of this role", enum=ROLES),
        Param("active", "only active (true) or deactivated (false) users", "boolean"),
        *LIST_PARAMS,
    ),
)
async def list_users(request: web.Request) -> web.Response:
    raw_role = query_text(request, "role")
    role = validate.role(raw_role) if raw_role is not None else None
    active = query_bool(request, "active")
    d = await snapshot(request)
    users = [  # the snapshot holds users in name order
        u
        for u in d.users
        if (role is None or u.role is role) and (active is None or u.active == active)
    ]
    return offset_page(request, users, present.user)


@routes.post("/api/users", "Add a team member.", body=USER_NEW, status=201)
async def add_user(request: web.Request) -> web.Response:
    service = admin(request, "adding users")
    data = await body(request, USER_NEW)
    with references_are_input():
        user = await service.add_user(
            data["name"],
            data["email"],
            mobile=data.get("mobile"),
            role=data.get("role", "technician"),
            oncall_write=data.get("oncall_write", False),
        )
    changed(request)
    return created(_user_view(await snapshot(request), user))


@routes.get("/api/users/{name}", "One team member, with their extensions and direct number.")
async def show_user(request: web.Request) -> web.Response:
    d = await snapshot(request)
    return web.json_response(_user_view(d, rules.require_user(d, request.match_info["name"])))


@routes.patch("/api/users/{name}", "Change a team member.", body=USER_PATCH)
async def update_user(request: web.Request) -> web.Response:
    service = admin(request, "changing users")
    name = rules.require_user(await snapshot(request), request.match_info["name"]).name
    data = await body(request, USER_PATCH)
    notify = data.get("notify")
    with references_are_input():
        user = await service.update_user(
            name,
            new_name=data.get("name"),
            email=data.get("email"),
            mobile=cleared(data["mobile"]) if "mobile" in data else None,
            role=data.get("role"),
            oncall_write=data.get("oncall_write"),
            active=data.get("active"),
            notify=None if notify is None else (csv(notify) or "none"),
        )
    changed(request)
    return web.json_response(_user_view(await snapshot(request), user))


@routes.delete(
    "/api/users/{name}", "Remove a team member who owns no extension and no direct number."
)
async def remove_user(request: web.Request) -> web.Response:
    service = admin(request, "removing users")
    await service.remove_user(request.match_info["name"])
    changed(request)
    return no_content()


# -- extensions --------------------------------------------------------------------------


EXTENSION_NEW = obj(
    ["number", "user"],
    number=string("3 or 4 digits, not starting with 0"),
    user=string("the team member it belongs to"),
    ring=string("what rings for it (default softphone)", RING_TARGETS),
    webrtc=boolean("a browser softphone rather than a SIP phone"),
)

EXTENSION_PATCH = obj(
    (),
    user=string("give it to another team member"),
    ring=string("what rings for it", RING_TARGETS),
    dnd=boolean("do not disturb"),
    webrtc=boolean("a browser softphone rather than a SIP phone"),
    new_password=boolean("true: generate a new SIP password"),
)


def _extension_view(p: Principal, e: Extension) -> dict[str, Any]:
    """SIP passwords show to admins and to the extension's own user only."""
    return present.extension_detail(e, show_secrets=p.is_admin or p.user == e.user)


@routes.get(
    "/api/extensions",
    "Extensions, by number (SIP passwords only for admins and the owner).",
    params=(Param("user", "only this user's extensions"), *LIST_PARAMS),
)
async def list_extensions(request: web.Request) -> web.Response:
    p = principal(request)
    user = query_text(request, "user")
    d = await snapshot(request)
    found = d.extensions if user is None else d.extensions_of(user)
    exts = sorted(found, key=lambda e: (len(e.number), e.number))
    return offset_page(request, exts, lambda e: _extension_view(p, e))


@routes.post(
    "/api/extensions",
    "Add an extension with a generated SIP password and a personal voicemail box.",
    body=EXTENSION_NEW,
    status=201,
)
async def add_extension(request: web.Request) -> web.Response:
    service = admin(request, "adding extensions")
    data = await body(request, EXTENSION_NEW)
    with references_are_input(extension="number"):
        ext = await service.add_extension(
            data["number"],
            data["user"],
            ring=data.get("ring", RingTarget.SOFTPHONE.value),
            webrtc=data.get("webrtc", False),
        )
    changed(request)
    return created(_extension_view(principal(request), ext))


@routes.get("/api/extensions/{number}", "One extension.")
async def show_extension(request: web.Request) -> web.Response:
    ext = rules.require_extension(await snapshot(request), request.match_info["number"])
    return web.json_response(_extension_view(principal(request), ext))


@routes.patch("/api/extensions/{number}", "Change an extension.", body=EXTENSION_PATCH)
async def update_extension(request: web.Request) -> web.Response:
    service = admin(request, "changing extensions")
    number = rules.require_extension(await snapshot(request), request.match_info["number"]).number
    data = await body(request, EXTENSION_PATCH)
    with references_are_input():
        ext = await service.update_extension(
            number,
            user=data.get("user"),
            ring=data.get("ring"),
            dnd=data.get("dnd"),
            webrtc=data.get("webrtc"),
            new_password=data.get("new_password", False),
        )
    changed(request)
    return web.json_response(_extension_view(principal(request), ext))


@routes.delete("/api/extensions/{number}", "Remove an extension that no number or ring group uses.")
async def remove_extension(request: web.Request) -> web.Response:
    service = admin(request, "removing extensions")
    await service.remove_extension(request.match_info["number"])
    changed(request)
    return no_content()


# -- business numbers --------------------------------------------------------------------

NUMBER_FIELDS: dict[str, dict[str, Any]] = {
    "label": string("a name for the number, e.g. 'Main line'"),
    "provider": string("the telephony provider"),
    "provider_ref": string("the provider's id of the number"),
    "dest": string("where it rings in business hours: ext:NUMBER or group:NAME"),
    "forward": string("a number calls are forwarded to (any format)"),
    "schedule": string("the business-hours schedule"),
    "record": boolean("record answered calls (default true)"),
}

NUMBER_NEW = obj(
    ["number", "label"],
    number=string("the number, any format (stored E.164)"),
    assigned_user=string("the user whose direct number it is"),
    **NUMBER_FIELDS,
)

NUMBER_PATCH = obj(
    (),
    assigned_user=nullable(string("the user whose direct number it is; null unassigns")),
    active=boolean("false: calls to it are no longer routed (its history stays)"),
    force=boolean("allow changing the provider fields set when it was provisioned"),
    **{
        name: (schema if name in ("label", "record") else nullable(schema))
        for name, schema in NUMBER_FIELDS.items()
    },
)

NUMBER_ERRORS = {"assign": "assigned_user"}


def _number_path(request: web.Request) -> str:
    return request.match_info["number"]


@routes.get(
    "/api/numbers",
    "Business numbers.",
    params=(
        Param("user", "only the number assigned to this user"),
        Param("active", "only active (true) or disabled (false) numbers", "boolean"),
        *LIST_PARAMS,
    ),
)
async def list_numbers(request: web.Request) -> web.Response:
    user = query_text(request, "user")
    active = query_bool(request, "active")
    d = await snapshot(request)
    numbers = sorted(
        (
            n
            for n in d.numbers
            if (user is None or n.assigned_user == user) and (active is None or n.active == active)
        ),
        key=lambda n: n.e164,
    )
    return offset_page(request, numbers, present.number)


@routes.post("/api/numbers", "Add a business number.", body=NUMBER_NEW, status=201)
async def add_number(request: web.Request) -> web.Response:
    service = admin(request, "adding business numbers")
    data = await body(request, NUMBER_NEW)
    with references_are_input(**NUMBER_ERRORS):
        num = await service.add_number(
            data["number"],
            data["label"],
            provider=data.get("provider"),
            provider_ref=data.get("provider_ref"),
            assign=data.get("assigned_user"),
            dest=data.get("dest"),
            forward=data.get("forward"),
            schedule_name=data.get("schedule"),
            record=data.get("record"),
        )
    changed(request)
    return created(present.number(num))


@routes.get("/api/numbers/{number}", "One business number (any format, e.g. %2B15551230000).")
async def show_number(request: web.Request) -> web.Response:
    service = backend_of(request).directory()
    return web.json_response(present.number(await service.get_number(_number_path(request))))


@routes.patch(
    "/api/numbers/{number}",
    "Change a business number: its routing, assignment (null unassigns) or active state.",
    body=NUMBER_PATCH,
)
async def update_number(request: web.Request) -> web.Response:
    service = admin(request, "changing business numbers")
    e164 = (await service.get_number(_number_path(request))).e164
    data = await body(request, NUMBER_PATCH)
    changes: dict[str, Any] = {}
    for name in ("label", "active", "force", "record"):
        if name in data:
            changes[name] = data[name]
    for name in ("provider", "provider_ref", "dest", "forward"):
        changes |= _given(data, name)
    changes |= _given(data, "schedule", "schedule_name")
    assign = data.get("assigned_user")
    unassign = "assigned_user" in data and assign is None
    with references_are_input(**NUMBER_ERRORS):
        num = await service.change_number(e164, assign=assign, unassign=unassign, **changes)
    changed(request)
    return web.json_response(present.number(num))


# -- ring groups -------------------------------------------------------------------------

GROUP_FIELDS: dict[str, dict[str, Any]] = {
    "strategy": string("how members are rung", STRATEGIES),
    "members": strings("extensions, in order"),
    "ring_timeout": integer("seconds each member rings (5-300, default 20)"),
    "timeout": integer("seconds before the group gives up (5-3600, default 60)"),
    "record": boolean("record calls the group answers (default true)"),
}

GROUP_NEW = obj(
    ["name", "strategy", "members"],
    name=string("the group's name (unique)"),
    ext=string("an internal dial code for the group, e.g. 600"),
    fallback_box=string("the voicemail box taking unanswered calls"),
    **GROUP_FIELDS,
)

GROUP_PATCH = obj(
    (),
    name=string("a new name"),
    ext=nullable(string("an internal dial code; null clears it")),
    fallback_box=nullable(string("the voicemail box taking unanswered calls; null clears it")),
    **GROUP_FIELDS,
)


@routes.get("/api/groups", "Ring groups, by name.", params=LIST_PARAMS)
async def list_groups(request: web.Request) -> web.Response:
    groups = sorted((await snapshot(request)).groups, key=lambda g: g.name)
    return offset_page(request, groups, present.group)


@routes.post("/api/groups", "Add a ring group.", body=GROUP_NEW, status=201)
async def add_group(request: web.Request) -> web.Response:
    service = admin(request, "adding ring groups")
    data = await body(request, GROUP_NEW)
    with references_are_input():
        group = await service.add_group(
            data["name"],
            data["strategy"],
            csv(data["members"]) or "",
            ring_timeout=data.get("ring_timeout", 20),
            timeout=data.get("timeout", 60),
            ext=data.get("ext"),
            fallback_box=data.get("fallback_box"),
            record=data.get("record"),
        )
    changed(request)
    return created(present.group(group))


@routes.get("/api/groups/{name}", "One ring group.")
async def show_group(request: web.Request) -> web.Response:
    group = rules.require_group(await snapshot(request), request.match_info["name"])
    return web.json_response(present.group(group))


@routes.patch("/api/groups/{name}", "Change a ring group.", body=GROUP_PATCH)
async def update_group(request: web.Request) -> web.Response:
    service = admin(request, "changing ring groups")
    name = rules.require_group(await snapshot(request), request.match_info["name"]).name
    data = await body(request, GROUP_PATCH)
    with references_are_input():
        group = await service.update_group(
            name,
            new_name=data.get("name"),
            strategy=data.get("strategy"),
            members=csv(data.get("members")),
            ring_timeout=data.get("ring_timeout"),
            timeout=data.get("timeout"),
            record=data.get("record"),
            **_given(data, "ext"),
            **_given(data, "fallback_box"),
        )
    changed(request)
    return web.json_response(present.group(group))


@routes.delete("/api/groups/{name}", "Remove a ring group that no business number uses.")
async def remove_group(request: web.Request) -> web.Response:
    service = admin(request, "removing ring groups")
    await service.remove_group(request.match_info["name"])
    changed(request)
    return no_content()


# -- schedules ---------------------------------------------------------------------------

SCHEDULE_NEW = obj(
    ["name", "tz", "hours"],
    name=string("the schedule's name (unique)"),
    tz=string("IANA time zone, e.g. America/Chicago"),
    hours=strings("open hours, e.g. ['mon-fri 08:00-17:00', 'sat 09:00-12:00']"),
    holidays=strings("closed dates, YYYY-MM-DD"),
    after_hours=strings(
        "tried after hours, in order: 'oncall', a phone number, 'voicemail:BOX' (last)"
    ),
)


@routes.get("/api/schedules", "Business-hours schedules, by name.", params=LIST_PARAMS)
async def list_schedules(request: web.Request) -> web.Response:
    schedules = sorted((await snapshot(request)).schedules, key=lambda s: s.name)
    return offset_page(request, schedules, present.schedule)


@routes.post(
    "/api/schedules",
    "Add a schedule: open hours, holidays and the after-hours chain.",
    body=SCHEDULE_NEW,
    status=201,
)
async def add_schedule(request: web.Request) -> web.Response:
    service = admin(request, "adding schedules")
    data = await body(request, SCHEDULE_NEW)
    after_hours = data.get("after_hours")
    with references_are_input(timezone="tz", holiday="holidays"):
        sched = await service.add_schedule(
            data["name"],
            data["tz"],
            data["hours"],
            data.get("holidays", ()),
            None if after_hours is None else ", ".join(after_hours),
        )
    changed(request)
    return created(present.schedule(sched))


@routes.get("/api/schedules/{name}", "One schedule.")
async def show_schedule(request: web.Request) -> web.Response:
    sched = rules.require_schedule(await snapshot(request), request.match_info["name"])
    return web.json_response(present.schedule(sched))


@routes.delete("/api/schedules/{name}", "Remove a schedule that no business number uses.")
async def remove_schedule(request: web.Request) -> web.Response:
    service = admin(request, "removing schedules")
    await service.remove_schedule(request.match_info["name"])
    changed(request)
    return no_content()


# -- trunks ------------------------------------------------------------------------------


@routes.get("/api/trunks", "SIP trunks (admins only; passwords hidden).", params=LIST_PARAMS)
async def list_trunks(request: web.Request) -> web.Response:
    access.require_admin(principal(request), "reading trunks")
    trunks = sorted((await snapshot(request)).trunks, key=lambda t: t.name)
    return offset_page(request, trunks, present.trunk)

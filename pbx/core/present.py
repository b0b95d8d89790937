"""Plain-data views of directory entities, for JSON output and tables."""

from __future__ import annotations

from typing import Any

from pbx.core.model import (
    BusinessNumber,
    Customer,
    Extension,
    Job,
    RingGroup,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.schedule import format_hours


def user(u: User) -> dict[str, Any]:
    return {
        "name": u.name,
        "email": u.email,
        "mobile": u.mobile,
        "role": u.role.value,
        "oncall_write": u.oncall_write,
        "active": u.active,
    }


def extension(e: Extension, show_secrets: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": e.number,
        "user": e.user,
        "ring": e.ring.value,
        "dnd": e.dnd,
        "voicemail_box": e.voicemail_box,
        "sip_username": e.number,
    }
    if show_secrets:
        data["sip_password"] = e.sip_password
    return data


def number(n: BusinessNumber) -> dict[str, Any]:
    return {
        "number": n.e164,
        "label": n.label,
        "active": n.active,
        "provider": n.provider,
        "provider_ref": n.provider_ref,
        "assigned_user": n.assigned_user,
        "dest": str(n.destination) if n.destination else None,
        "forward": n.forward,
        "schedule": n.schedule,
    }


def group(g: RingGroup) -> dict[str, Any]:
    return {
        "name": g.name,
        "strategy": g.strategy.value,
        "members": list(g.members),
        "ring_timeout": g.ring_timeout,
        "timeout": g.timeout,
        "ext": g.extension,
        "fallback_box": g.fallback_box,
    }


def schedule(s: Schedule) -> dict[str, Any]:
    return {
        "name": s.name,
        "tz": s.tz,
        "hours": format_hours(s.hours),
        "holidays": [d.isoformat() for d in s.holidays],
        "after_hours": [str(step) for step in s.after_hours],
    }


def box(b: VoicemailBox) -> dict[str, Any]:
    return {"name": b.name, "kind": b.kind.value, "members": list(b.members)}


def customer(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "phones": list(c.phones), "owner": c.owner}


def job(j: Job) -> dict[str, Any]:
    return {"id": j.id, "customer_id": j.customer_id, "title": j.title, "status": j.status.value}


def trunk(t: Trunk, show_secrets: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": t.name,
        "host": t.host,
        "port": t.port,
        "username": t.username,
        "from_domain": t.from_domain,
    }
    if show_secrets:
        data["password"] = t.password
    return data

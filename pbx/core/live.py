"""Calls in progress as the live view and the event stream show them (plain data).

`users_of` says which users a call concerns (the ones rung, the one who placed
it): a technician's event stream only carries those calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pbx.core.callflow import CallState
from pbx.core.routing import RoutingIndex


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def users_of(state: CallState, index: RoutingIndex | None) -> frozenset[str]:
    users = {leg.user for leg in state.legs if leg.user}
    users |= {leg.user for leg in state.wave if leg.user}
    if index is not None:
        placed_by = index.extensions.get(state.plan.caller)
        if placed_by is not None:
            users.add(placed_by.user)
    return frozenset(users)


def call_view(state: CallState, answered_by: str | None = None) -> dict[str, Any]:
    """A call in progress: who, what number, which customer, what it is doing now."""
    plan = state.plan
    return {
        "call": state.key,
        "direction": plan.direction.value,
        "caller": plan.caller,
        "called": plan.called,
        "business_number": plan.business_number,
        "customer": (
            {"id": plan.customer_id, "name": plan.customer_name}
            if plan.customer_name is not None
            else None
        ),
        "job_id": plan.job_id,
        "phase": state.phase.value,
        "started_at": _iso(state.started_at),
        "ringing": [leg.target for leg in state.wave] if state.phase.value == "ringing" else [],
        "answered_by": answered_by,
        "voicemail_box": state.voicemail_box,
    }


def answering_extension(peer: str) -> str | None:
    """The extension of an answering channel (`PJSIP/101-0000001a` -> `101`), if it is one."""
    tech, _, rest = peer.partition("/")
    if tech.upper() != "PJSIP":
        return None
    name = rest.rsplit("-", 1)[0]
    return name if name.isdigit() else None

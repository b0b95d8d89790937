"""Calls the dialplan's failsafe carried while the controller could not route them.

The `pbx-end` hangup handler appends one line per such call to the failsafe
log; the controller turns each line into a call-log patch when it is back.
A line is `uniqueid|kind|end epoch|caller|dialled|dial status|peer|answered ms|cause`.
The patch is keyed like every call (`<node>:<uniqueid>`), so importing a line
twice, or a line of a call the controller also followed, writes one record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pbx.core.calls import CallPatch, CallRecord, Direction, Disposition

FIELDS = 9
_UNREACHABLE = {"CHANUNAVAIL", "CONGESTION", "INVALIDARGS"}


class BadLine(ValueError):
    """A failsafe log line that cannot be read."""


def _instant(epoch: str, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadLine(f"{what} {epoch!r} is not a Unix time") from None


def _started(uniqueid: str, ended: datetime) -> datetime:
    """Asterisk's uniqueid is `[system name-]<creation epoch>.<sequence>`."""
    epoch = uniqueid.rsplit("-", 1)[-1].split(".", 1)[0]
    try:
        started = datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        return ended
    return min(started, ended)


def patch_from_line(line: str, node: str) -> CallPatch:
    """The call-log patch of one failsafe log line; BadLine when it is not one."""
    parts = line.rstrip("\r\n").split("|")
    if len(parts) != FIELDS:
        raise BadLine(f"{len(parts)} fields instead of {FIELDS}")
    uniqueid, kind, end, caller, dialled, status, peer, answered_ms, cause = parts
    if not uniqueid or kind not in ("inbound", "internal"):
        raise BadLine(f"no uniqueid or an unknown kind {kind!r}")
    ended = _instant(end, "end")
    started = _started(uniqueid, ended)
    try:
        talked = int(answered_ms or 0)
    except ValueError:
        raise BadLine(f"answered ms {answered_ms!r} is not a number") from None
    if kind == "inbound":
        direction = Direction.INBOUND
    else:
        direction = Direction.OUTBOUND if dialled.startswith("+") else Direction.INTERNAL
    peer_ext = peer if peer and "@" not in peer else None
    answered = status == "ANSWER"
    if answered:
        forwarded = kind == "inbound" and peer_ext is None
        disposition = Disposition.FORWARDED if forwarded else Disposition.ANSWERED
        what = f"answered by {peer or 'the fallback'}"
    elif status in _UNREACHABLE or (not status and kind == "internal"):
        disposition = Disposition.FAILED
        what = f"could not be placed ({status})" if status else "nothing to ring"
    else:
        disposition = Disposition.MISSED
        what = f"not answered ({status})" if status else "no fallback number to ring"
    answered_at = max(started, ended - timedelta(milliseconds=talked)) if answered else None
    return CallPatch(
        f"{node}:{uniqueid}",
        {
            "direction": direction,
            "caller": caller,
            "called": dialled,
            "business_number": dialled if kind == "inbound" and dialled.startswith("+") else None,
            "handled_by_ext": peer_ext if answered else None,
            "started_at": started,
            "answered_at": answered_at,
            "ended_at": ended,
            "disposition": disposition,
            "hangup_cause": cause or None,
            "route": (f"controller unavailable: the dialplan's failsafe took the call, {what}",),
        },
    )


# What the controller knew of a call before the failsafe took it over, and keeps.
_KEPT = ("direction", "caller", "called", "business_number", "started_at")


def continued(patch: CallPatch, record: CallRecord) -> CallPatch:
    """`patch` (a failsafe line) for a call the controller had already logged as `record`.

    The controller routed the call, then went away while it rang; the failsafe
    took it from there. The record keeps how the call came in and its route,
    and gets the failsafe's line added to the route and the end set.
    """
    values = {name: value for name, value in patch.values.items() if name not in _KEPT}
    values["route"] = (*record.route, *patch.values.get("route", ()))
    return CallPatch(patch.key, values, patch.legs)

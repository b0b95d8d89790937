"""Plain-data views of directory entities and call records, for JSON output and tables."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from pbx.core.calls import CallLeg, CallRecord
from pbx.core.model import (
    AfterHoursKind,
    BusinessNumber,
    Customer,
    Extension,
    Job,
    Menu,
    Prompt,
    RingGroup,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.notifications import Notice
from pbx.core.oncall import Dashboard, EmergencyCall, OnCallNow, Shift
from pbx.core.schedule import format_hours
from pbx.core.voicemail import Escalation, Message, TranscriptStatus


def user(u: User) -> dict[str, Any]:
    return {
        "name": u.name,
        "email": u.email,
        "mobile": u.mobile,
        "role": u.role.value,
        "oncall_write": u.oncall_write,
        "active": u.active,
        "notify": list(u.notify),
    }


def extension(e: Extension, show_secrets: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": e.number,
        "user": e.user,
        "ring": e.ring.value,
        "dnd": e.dnd,
        "voicemail_box": e.voicemail_box,
        "sip_username": e.number,
        "webrtc": e.webrtc,
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
        "record": n.record,
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
        "record": g.record,
    }


def schedule(s: Schedule) -> dict[str, Any]:
    """A schedule; one with a triage step also has `triage_prompt`, its question (None:
    the standard one)."""
    data: dict[str, Any] = {
        "name": s.name,
        "tz": s.tz,
        "hours": format_hours(s.hours),
        "holidays": [d.isoformat() for d in s.holidays],
        "after_hours": [str(step) for step in s.after_hours],
    }
    triage = next((st for st in s.after_hours if st.kind is AfterHoursKind.TRIAGE), None)
    if triage is not None:
        data["triage_prompt"] = prompt_text(triage.prompt)
    return data


def prompt_text(p: Prompt | None) -> str | None:
    """What a prompt says, for people: its text, or `recording <sound>`."""
    return None if p is None else p.text or f"recording {p.sound}"


def menu(m: Menu) -> dict[str, Any]:
    """A menu: `options` maps each key to its target (`ext:101`, `oncall`, ...)."""
    return {
        "name": m.name,
        "prompt": prompt_text(m.prompt),
        "prompt_sound": m.prompt.sound,
        "options": {key: str(target) for key, target in m.options},
        "default": str(m.default) if m.default is not None else None,
        "timeout": m.timeout,
        "retries": m.retries,
        "invalid_prompt": prompt_text(m.invalid_prompt),
        "direct_dial": m.direct_dial,
    }


def menu_row(m: Menu) -> dict[str, Any]:
    """One line of `pbx menu list`: the options as `1=group:Dispatch` items."""
    return {
        "name": m.name,
        "options": [f"{key}={target}" for key, target in m.options],
        "default": str(m.default) if m.default is not None else None,
        "timeout": m.timeout,
        "retries": m.retries,
        "direct_dial": m.direct_dial,
        "prompt": _short(prompt_text(m.prompt) or ""),
    }


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


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


# -- the call log ------------------------------------------------------------
# `tz` is where "local" times are shown (None: the system's local time zone).


def iso_time(when: datetime) -> str:
    """A moment in UTC, ISO 8601."""
    return when.astimezone(UTC).isoformat()


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def _local(when: datetime | None, tz: tzinfo | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str | None:
    return None if when is None else when.astimezone(tz).strftime(fmt)


def duration(seconds: float | None) -> str | None:
    """Talk time as m:ss (h:mm:ss from an hour)."""
    if seconds is None:
        return None
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def handled_by(c: CallRecord) -> str | None:
    """What the call was routed to and who answered: `Dispatch/101 (Ann)`."""
    where = "/".join(p for p in (c.handled_by_group, c.handled_by_ext) if p)
    if c.handled_by_user:
        return f"{where} ({c.handled_by_user})" if where else c.handled_by_user
    return where or None


def _status(c: CallRecord) -> str:
    if c.disposition is not None:
        return c.disposition.value
    return "in progress" if c.ended_at is None else "-"


def _customer(c: CallRecord, name: str | None) -> str | None:
    if c.customer_id is None:
        return None
    return f"{name} (#{c.customer_id})" if name else f"#{c.customer_id}"


def _job(c: CallRecord, title: str | None) -> str | None:
    if c.job_id is None:
        return None
    return f"#{c.job_id} {title}" if title else f"#{c.job_id}"


def call_row(
    c: CallRecord, customer: str | None = None, job: str | None = None, tz: tzinfo | None = None
) -> dict[str, Any]:
    """One line of `pbx calls list`; `customer` and `job` are the linked name and title."""
    return {
        "id": c.id,
        "started": _local(c.started_at, tz, "%Y-%m-%d %H:%M"),
        "direction": c.direction.value,
        "from": c.caller or None,
        "to": c.called or None,
        "number": c.business_number,
        "handled_by": handled_by(c),
        "customer": _customer(c, customer),
        "job": _job(c, job),
        "disposition": _status(c),
        "duration": duration(c.duration),
    }


def call_leg(leg: CallLeg) -> dict[str, Any]:
    return {
        "target": leg.target,
        "kind": leg.kind.value,
        "user": leg.user,
        "ext": leg.ext,
        "group": leg.group,
        "started_at": _iso(leg.started_at),
        "answered_at": _iso(leg.answered_at),
        "ended_at": _iso(leg.ended_at),
        "outcome": None if leg.outcome is None else leg.outcome.value,
    }


def call(c: CallRecord, customer: str | None = None, job: str | None = None) -> dict[str, Any]:
    """Everything about a call, for JSON: times in ISO 8601 UTC, duration in seconds."""
    return {
        "id": c.id,
        "key": c.key,
        "direction": c.direction.value,
        "caller": c.caller,
        "called": c.called,
        "business_number": c.business_number,
        "handled_by_group": c.handled_by_group,
        "handled_by_ext": c.handled_by_ext,
        "handled_by_user": c.handled_by_user,
        "customer_id": c.customer_id,
        "customer": customer if c.customer_id is not None else None,
        "job_id": c.job_id,
        "job": job if c.job_id is not None else None,
        "started_at": _iso(c.started_at),
        "answered_at": _iso(c.answered_at),
        "ended_at": _iso(c.ended_at),
        "duration": c.duration,
        "disposition": None if c.disposition is None else c.disposition.value,
        "hangup_cause": c.hangup_cause,
        "recording": c.recording,
        "voicemail_box": c.voicemail_box,
        "transcript": c.transcript,
        "triage": c.triage,  # emergency, other-key, no-key; None: not asked
        "route": list(c.route),
        "legs": [call_leg(leg) for leg in c.legs],
    }


def leg_line(leg: CallLeg, tz: tzinfo | None = None) -> str:
    """One rung leg, e.g. `10:00:05  101 softphone (Ann, group Dispatch): answered 10:00:09`."""
    about = [leg.kind.value]
    if leg.ext and leg.ext != leg.target:
        about.append(f"for {leg.ext}")
    who = [p for p in (leg.user, f"group {leg.group}" if leg.group else None) if p]
    text = f"{_local(leg.started_at, tz, '%H:%M:%S')}  {leg.target} {' '.join(about)}"
    if who:
        text += f" ({', '.join(who)})"
    text += f": {leg.outcome.value if leg.outcome else 'ringing'}"
    if leg.answered_at is not None:
        text += f" {_local(leg.answered_at, tz, '%H:%M:%S')}"
    if leg.ended_at is not None:
        text += f", ended {_local(leg.ended_at, tz, '%H:%M:%S')}"
    return text


def call_detail(
    c: CallRecord, customer: str | None = None, job: str | None = None, tz: tzinfo | None = None
) -> dict[str, Any]:
    """Everything about a call for people: local times; `legs` and `route` as lines."""
    return {
        "id": c.id,
        "key": c.key,
        "direction": c.direction.value,
        "from": c.caller or None,
        "to": c.called or None,
        "number": c.business_number,
        "handled_by": handled_by(c),
        "customer": _customer(c, customer),
        "job": _job(c, job),
        "started": _local(c.started_at, tz),
        "answered": _local(c.answered_at, tz),
        "ended": _local(c.ended_at, tz),
        "duration": duration(c.duration),
        "disposition": _status(c),
        "hangup_cause": c.hangup_cause,
        "recording": c.recording,
        "triage": c.triage,  # emergency, other-key, no-key; None: not asked
        "legs": [leg_line(leg, tz) for leg in c.legs],
        "route": list(c.route),
    }


def message(m: Message, customer: str | None = None) -> dict[str, Any]:
    """A voicemail message in full (JSON and `pbx voicemail show`)."""
    return {
        "id": m.id,
        "box": m.box,
        "caller": m.caller or None,
        "customer": customer if customer is not None else m.customer_id,
        "job": m.job_id,
        "number": m.business_number,
        "received_at": _iso(m.received_at),
        "duration": duration(m.duration),
        "read": m.read,
        "assigned_to": m.assigned_to,
        "emergency": m.emergency,
        "keywords": list(m.keywords),
        "transcript_status": m.transcript_status.value,
        "transcript": m.transcript,
        "transcript_error": m.transcript_error,
        "engine": m.engine,
        "confidence": None if m.confidence is None else round(m.confidence, 3),
        "audio": m.audio,
        "call": m.call_key,
    }


def message_row(
    m: Message, customer: str | None = None, tz: tzinfo | None = None
) -> dict[str, Any]:
    """One line of `pbx voicemail list`."""
    if m.transcript_status is TranscriptStatus.DONE:
        text = m.transcript or ""
    elif m.transcript_status is TranscriptStatus.FAILED:
        text = f"(no transcript: {m.transcript_error})"
    else:
        text = "(transcribing)"
    return {
        "id": m.id,
        "received": _local(m.received_at, tz, "%Y-%m-%d %H:%M"),
        "box": m.box,
        "from": m.caller or None,
        "customer": customer,
        "duration": duration(m.duration),
        "new": not m.read,
        "emergency": ", ".join(m.keywords) if m.keywords else None,
        "assigned": m.assigned_to,
        "transcript": text if len(text) <= 60 else text[:57] + "...",
    }


def shift(s: Shift, tz: tzinfo | None = None) -> dict[str, Any]:
    """One on-call shift (times in `tz`; JSON gets ISO UTC alongside)."""
    return {
        "id": s.id,
        "tech": s.tech,
        "start": _local(s.start, tz, "%Y-%m-%d %H:%M"),
        "end": _local(s.end, tz, "%Y-%m-%d %H:%M"),
        "status": s.status.value,
        "backup": s.backup,
        "source": s.source.value,
        "notes": s.notes or None,
        "start_utc": _iso(s.start),
        "end_utc": _iso(s.end),
    }


SHIFT_COLUMNS = ("id", "tech", "start", "end", "status", "backup", "source", "notes")


def emergency_call(e: EmergencyCall, tz: tzinfo | None = None) -> dict[str, Any]:
    """One entry of an on-call shift's emergency call log."""
    return {
        "id": e.id,
        "shift": e.shift_id,
        "received": _local(e.received_at, tz, "%Y-%m-%d %H:%M"),
        "customer": e.customer_name,
        "phone": e.phone,
        "issue": e.issue or None,
        "outcome": e.outcome.value if e.outcome is not None else None,
        "response_minutes": e.response_minutes,
        "job": e.job_id,
        "notes": e.notes or None,
        "source": "voicemail" if e.message_id else "call" if e.call_key else "by hand",
        "received_utc": _iso(e.received_at),
    }


EMERGENCY_CALL_COLUMNS = (
    "id", "shift", "received", "customer", "phone", "outcome", "response_minutes", "job", "issue",
)  # fmt: skip


def dashboard(d: Dashboard) -> dict[str, Any]:
    """The on-call dashboard as plain data; `average_response` None shows as a dash."""
    return {
        "active_shifts": d.active,
        "scheduled_shifts": d.scheduled,
        "emergency_calls_this_month": d.calls_this_month,
        "outcomes": dict(d.outcomes),
        "average_response_minutes": d.average_response,
        "sla_target_minutes": d.sla_minutes,
        "sla_tone": d.tone.value if d.tone is not None else None,
    }


# -- API views (the REST API's JSON) -------------------------------------------------


def extension_detail(e: Extension, show_secrets: bool = False) -> dict[str, Any]:
    """An extension as the API shows it: `extension` plus whether it is a browser softphone."""
    return {**extension(e, show_secrets), "webrtc": e.webrtc}


def user_detail(u: User, extensions: list[str], direct_number: str | None) -> dict[str, Any]:
    """A user with the numbers of their extensions and their direct business number."""
    return {**user(u), "extensions": extensions, "direct_number": direct_number}


def job_detail(j: Job, customer_name: str | None) -> dict[str, Any]:
    """A job with the name of its customer."""
    return {**job(j), "customer": customer_name}


def voicemail_box(b: VoicemailBox, keywords: tuple[str, ...]) -> dict[str, Any]:
    """A box as the API shows it: `box` plus its greeting and the emergency keywords in
    effect (`keywords_default`: the trade defaults, never changed)."""
    return {
        **box(b),
        "greeting": b.greeting,
        "keywords": list(keywords),
        "keywords_default": b.keywords is None,
    }


def escalation_line(e: Escalation) -> str:
    """One step of an emergency escalation, e.g. `2026-11-21T02:00:00+00:00 call ann: answered`."""
    return (
        f"{iso_time(e.at)} {e.action}"
        + (f" {e.user}" if e.user else "")
        + (f": {e.detail}" if e.detail else "")
    )


def notice_line(n: Notice) -> str:
    """One notification of a message, e.g. `email to ann (ann@example.com): sent`."""
    return (
        f"{n.channel.value} to {n.user} ({n.address}): {n.status.value}"
        + (f", {n.attempts} attempt(s)" if n.attempts else "")
        + (f", last error: {n.last_error}" if n.last_error else "")
    )


def message_detail(
    m: Message, customer: str | None, escalations: list[Escalation], notices: list[Notice]
) -> dict[str, Any]:
    """A message with its escalation steps and notifications (`pbx voicemail show --json`)."""
    return {
        **message(m, customer),
        "escalation": [escalation_line(e) for e in escalations],
        "notifications": [notice_line(n) for n in notices],
    }


def oncall_now(current: OnCallNow, tz: tzinfo | None = None) -> dict[str, Any]:
    """Who is on call (`on_call`) and the backup: their shifts, or None."""
    return {
        "on_call": shift(current.primary, tz) if current.primary else None,
        "backup": shift(current.backup, tz) if current.backup else None,
    }

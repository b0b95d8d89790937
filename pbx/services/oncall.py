"""The on-call service: shifts, rotation, overrides, the emergency call log, settings, dashboard.

The CLI (and the API) call these methods with raw input; times typed without
an offset are read in the on-call time zone (`pbx oncall settings`). Writes
need an admin or a user with the on-call write permission: `as_user=None`
acts as an admin (the server's CLI), a name is checked first and a refusal
changes nothing. Every write bumps the directory revision, so a running
controller routes the next call with the new shifts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from pbx.core import oncall, phone, rules
from pbx.core.choices import choice
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Directory
from pbx.core.oncall import (
    Action,
    Changes,
    Dashboard,
    EmergencyCall,
    OnCallNow,
    OnCallSettings,
    Shift,
    ShiftSource,
    ShiftStatus,
)


class OnCallStore(Protocol):
    """What the service needs of the database (SqlRepository implements it)."""

    async def snapshot(self) -> Directory: ...

    async def list_shifts(
        self,
        *,
        status: ShiftStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Shift]: ...

    async def get_shift(self, ident: int) -> Shift: ...

    async def apply_shift_changes(self, changes: Changes) -> list[Shift]: ...

    async def tick_shifts(self, now: datetime) -> list[Shift]: ...

    async def oncall_settings_text(self) -> dict[str, str]: ...

    async def save_oncall_settings(self, values: dict[str, str]) -> None: ...

    async def add_emergency_call(self, entry: EmergencyCall) -> EmergencyCall: ...

    async def get_emergency_call(self, ident: int) -> EmergencyCall: ...

    async def update_emergency_call(self, ident: int, **values: Any) -> EmergencyCall: ...

    async def list_emergency_calls(
        self, *, shift_id: int | None = None, since: datetime | None = None
    ) -> list[EmergencyCall]: ...


def _now() -> datetime:
    return datetime.now(UTC)


class OnCallService:
    """Validated on-call changes and views."""

    def __init__(
        self,
        store: OnCallStore,
        region: str,
        clock: Callable[[], datetime] = _now,
        *,
        prompt: Callable[[OnCallSettings], None] | None = None,
    ) -> None:
        self.store = store
        self.region = region
        self.clock = clock
        # Makes the spoken "emergency call for <business>" (or removes it for ""); blocking.
        self.prompt = prompt

    # -- helpers -----------------------------------------------------------------

    async def settings(self) -> OnCallSettings:
        return oncall.settings_from_text(await self.store.oncall_settings_text(), self.region)

    async def _writer(self, as_user: str | None) -> Directory:
        directory = await self.store.snapshot()
        if as_user is not None:
            rules.require_oncall_writer(directory, as_user)
        return directory

    def _when(self, raw: str, settings: OnCallSettings, field: str) -> datetime:
        return oncall.parse_when(raw, settings.timezone, field, self.clock())

    async def _all_shifts(self) -> list[Shift]:
        return await self.store.list_shifts()

    async def _apply(self, changes: Changes) -> list[Shift]:
        return await self.store.apply_shift_changes(changes)

    # -- shifts --------------------------------------------------------------------

    async def new_shift(
        self,
        tech: str,
        start: str,
        end: str | None = None,
        notes: str = "",
        backup: bool = False,
        as_user: str | None = None,
    ) -> Shift:
        """A shift made by hand; its end defaults to the start plus the default shift length."""
        directory = await self._writer(as_user)
        settings = directory.oncall
        user = rules.require_user(directory, tech.strip(), "tech")
        begin = self._when(start, settings, "start")
        finish = (
            self._when(end, settings, "end")
            if end is not None
            else begin + timedelta(hours=settings.shift_hours)
        )
        shift = Shift(user.name, begin, finish, notes.strip(), backup=backup)
        oncall.check_shift(shift, await self._all_shifts(), self.clock())
        return (await self._apply(Changes(add=(shift,))))[0]

    async def update_shift(
        self,
        ident: int,
        *,
        tech: str | None = None,
        start: str | None = None,
        end: str | None = None,
        notes: str | None = None,
        backup: bool | None = None,
        as_user: str | None = None,
    ) -> Shift:
        """Change a scheduled or active shift's technician, times, notes or backup mark."""
        directory = await self._writer(as_user)
        settings = directory.oncall
        old = await self.store.get_shift(ident)
        now = self.clock()
        status = oncall.status_at(old, now)
        if status in (ShiftStatus.COMPLETED, ShiftStatus.CANCELLED):
            raise InvalidInput("shift", f"{old.label()} is {status}: it can no longer be changed")
        new = old
        if tech is not None:
            new = replace(new, tech=rules.require_user(directory, tech.strip(), "tech").name)
        if start is not None:
            new = replace(new, start=self._when(start, settings, "start"))
        if end is not None:
            new = replace(new, end=self._when(end, settings, "end"))
        if notes is not None:
            new = replace(new, notes=notes.strip())
        if backup is not None:
            new = replace(new, backup=backup)
        oncall.check_shift(new, await self._all_shifts(), now)
        await self._apply(Changes(update=(new,)))
        return new

    async def act(self, ident: int, action: Action, as_user: str | None = None) -> Shift:
        """Activate, complete or cancel a shift by hand."""
        await self._writer(as_user)
        shift = oncall.transition(await self.store.get_shift(ident), action, self.clock())
        await self._apply(Changes(update=(shift,)))
        return shift

    async def delete(self, ident: int, as_user: str | None = None) -> Shift:
        """Delete a scheduled or cancelled shift (the others are kept as history)."""
        await self._writer(as_user)
        shift = await self.store.get_shift(ident)
        oncall.check_delete(shift, self.clock())
        await self._apply(Changes(delete=(shift,)))
        return shift

    async def shifts(self, status: str | None = None) -> list[Shift]:
        """Shifts by start, with the status the clock gives them now, optionally one status."""
        wanted = choice("status", status, ShiftStatus) if status is not None else None
        now = self.clock()
        found = [oncall.with_clock(s, now) for s in await self._all_shifts()]
        return [s for s in found if wanted is None or s.status is wanted]

    async def shift(self, ident: int) -> tuple[Shift, list[EmergencyCall]]:
        """One shift (status as of now) and its emergency call log."""
        shift = oncall.with_clock(await self.store.get_shift(ident), self.clock())
        return shift, await self.store.list_emergency_calls(shift_id=ident)

    async def now(self) -> OnCallNow:
        """Who is on call now, and the backup."""
        return oncall.on_call(await self._all_shifts(), self.clock())

    async def rotate(self, start: str, periods: int, as_user: str | None = None) -> list[Shift]:
        """Generate the roster's shifts for `periods` periods from local date `start`."""
        directory = await self._writer(as_user)
        settings = directory.oncall
        try:
            first = date.fromisoformat(start.strip())
        except ValueError:
            raise InvalidInput("from", f"{start!r} is not a date (YYYY-MM-DD)") from None
        for name in settings.roster:
            if directory.user(name) is None:
                raise NotFound("roster", f"user {name!r} of the roster no longer exists")
        new_anchor = settings.anchor is None
        if new_anchor:
            settings = replace(settings, anchor=first)
        changes = oncall.rotate(settings, first, periods, await self._all_shifts(), self.clock())
        made = await self._apply(changes)
        if new_anchor:  # only once the shifts are stored: a refused rotation changes nothing
            await self.store.save_oncall_settings({"anchor": first.isoformat()})
        return made

    async def override(
        self, tech: str, start: str, end: str, notes: str = "", as_user: str | None = None
    ) -> list[Shift]:
        """A one-off shift that wins over the rotation; returns it and the rotation pieces made."""
        directory = await self._writer(as_user)
        settings = directory.oncall
        user = rules.require_user(directory, tech.strip(), "tech")
        shift = Shift(
            user.name,
            self._when(start, settings, "start"),
            self._when(end, settings, "end"),
            notes.strip(),
            source=ShiftSource.OVERRIDE,
        )
        changes = oncall.override(shift, await self._all_shifts(), self.clock())
        return await self._apply(changes)

    # -- emergency call log --------------------------------------------------------------

    def _phone(self, raw: str) -> str:
        return phone.normalize(raw, self.region, "phone")

    @staticmethod
    def _minutes(raw: str | float | None) -> float | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput("response", f"{raw!r} is not a number of minutes") from None
        return round(value, 1)  # the range is checked with the whole entry (check_entry)

    async def log_call(
        self,
        shift_id: int,
        *,
        customer: str,
        phone_number: str,
        issue: str,
        outcome: str | None = None,
        received: str | None = None,
        response: str | None = None,
        job: int | None = None,
        notes: str = "",
        as_user: str | None = None,
    ) -> EmergencyCall:
        """Add an emergency call to a scheduled or active shift's log by hand."""
        directory = await self._writer(as_user)
        shift = await self.store.get_shift(shift_id)
        status = oncall.status_at(shift, self.clock())
        if status is ShiftStatus.CANCELLED:
            raise InvalidInput(
                "shift", f"{shift.label()} is cancelled: log the call on another one"
            )
        entry = EmergencyCall(
            shift_id=shift_id,
            customer_name=customer.strip(),
            phone=self._phone(phone_number),
            received_at=(
                self._when(received, directory.oncall, "received") if received else self.clock()
            ),
            issue=issue.strip(),
            outcome=oncall.parse_outcome(outcome) if outcome else None,
            response_minutes=self._minutes(response),
            job_id=job,
            notes=notes.strip(),
        )
        oncall.check_entry(entry)
        return await self.store.add_emergency_call(entry)

    async def update_call(
        self,
        ident: int,
        *,
        customer: str | None = None,
        phone_number: str | None = None,
        issue: str | None = None,
        outcome: str | None = None,
        received: str | None = None,
        response: str | None = None,
        job: int | None = None,
        notes: str | None = None,
        as_user: str | None = None,
    ) -> EmergencyCall:
        """Edit an emergency call log entry (automatic ones too)."""
        directory = await self._writer(as_user)
        old = await self.store.get_emergency_call(ident)
        values: dict[str, Any] = {}
        if customer is not None:
            values["customer_name"] = customer.strip()
        if phone_number is not None:
            values["phone"] = self._phone(phone_number)
        if issue is not None:
            values["issue"] = issue.strip()
        if outcome is not None:
            values["outcome"] = oncall.parse_outcome(outcome) if outcome.strip() else None
        if received is not None:
            values["received_at"] = self._when(received, directory.oncall, "received")
        if response is not None:
            values["response_minutes"] = self._minutes(response)
        if job is not None:
            values["job_id"] = job or None
        if notes is not None:
            values["notes"] = notes.strip()
        oncall.check_entry(replace(old, **values))
        if not values:
            return old
        return await self.store.update_emergency_call(ident, **values)

    async def emergency_call(self, ident: int) -> EmergencyCall:
        """One emergency call log entry (NotFound, field "call", if there is none)."""
        return await self.store.get_emergency_call(ident)

    async def calls(self, shift_id: int | None = None) -> list[EmergencyCall]:
        """The emergency call log, newest first (one shift's, or everybody's)."""
        if shift_id is not None:
            await self.store.get_shift(shift_id)
        return await self.store.list_emergency_calls(shift_id=shift_id)

    # -- settings and dashboard --------------------------------------------------------

    async def update_settings(
        self, pairs: Sequence[str], as_user: str | None = None
    ) -> OnCallSettings:
        """Apply `key=value` pairs (all or nothing) and store them."""
        directory = await self._writer(as_user)
        current = directory.oncall
        new = oncall.apply_settings(
            current,
            pairs,
            self.region,
            users=[u.name for u in directory.users],
            numbers=[n.e164 for n in directory.numbers],
        )
        before, after = oncall.settings_text(current), oncall.settings_text(new)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            await self.store.save_oncall_settings(changed)
        spoken = {"business_name", "accept_prompt"}
        if spoken & changed.keys() and self.prompt is not None:
            await asyncio.to_thread(self.prompt, new)
        return new

    async def dashboard(self) -> Dashboard:
        """Shift counts, this month's emergency calls and outcomes, response time against the SLA."""
        settings = await self.settings()
        now = self.clock()
        since = oncall.month_start(now, settings.timezone)
        calls = await self.store.list_emergency_calls(since=since)
        return oncall.dashboard(await self._all_shifts(), calls, settings, now)

"""Reading the call log: listing calls, one call, and a call's recording.

The CLI (and the API) hand in raw input: times as `YYYY-MM-DD`, `YYYY-MM-DD
HH:MM` (local time) or an age (`90m`, `24h`, `7d`, `2w`), customers by id or
exact name. Bad input raises `InvalidInput` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from pbx.core import phone, rules
from pbx.core.calls import CallRecord, Direction, Disposition
from pbx.core.choices import choice
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Directory
from pbx.services.ports import CallStore, Repository

MAX_LIMIT = 10_000
_AGE = re.compile(r"^(\d{1,6})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class RecordingFiles(Protocol):
    def path(self, relative: str) -> Path:
        """The file of a recording stored at `relative` (InvalidInput if it escapes the store)."""
        ...


def parse_when(field_name: str, text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """An instant from `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` (in `tz`, default the
    system's local time) or an age before `now` (`90m`, `24h`, `7d`, `2w`)."""
    raw = text.strip().lower()
    if match := _AGE.match(raw):
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(raw.upper()) if len(raw) >= 10 else None
    except ValueError:
        when = None
    if when is None:
        raise InvalidInput(
            field_name,
            f"{text!r} is not a date (YYYY-MM-DD), a local time (YYYY-MM-DD HH:MM) "
            "or an age (90m, 24h, 7d)",
        )
    if when.tzinfo is not None:
        return when
    return when.replace(tzinfo=tz) if tz is not None else when.astimezone()


@dataclass(frozen=True)
class CallPage:
    """Call records with the names of the customers and jobs they are linked to."""

    calls: list[CallRecord]
    customers: Mapping[int, str] = field(default_factory=dict)
    jobs: Mapping[int, str] = field(default_factory=dict)

    def customer(self, c: CallRecord) -> str | None:
        return None if c.customer_id is None else self.customers.get(c.customer_id)

    def job(self, c: CallRecord) -> str | None:
        return None if c.job_id is None else self.jobs.get(c.job_id)


class CallsService:
    """The call log as people read it (list, show, recordings)."""

    def __init__(self, repo: Repository, store: CallStore, recordings: RecordingFiles) -> None:
        self.repo = repo
        self.store = store
        self.recordings = recordings

    async def list(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        customer: str | None = None,
        limit: int = 50,
        now: datetime | None = None,
        tz: tzinfo | None = None,
        job: int | None = None,
        number: str | None = None,
        disposition: str | None = None,
        direction: str | None = None,
        user: str | None = None,
        before: tuple[datetime, int] | None = None,
        region: str = "US",
    ) -> CallPage:
        """Calls newest first, filtered by start time, customer (id or exact name), job,
        business number, disposition, direction and user (the calls they answered or
        placed); `before` continues a previous page."""
        now = now or datetime.now(UTC)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
        start = parse_when("since", since, now, tz) if since else None
        end = parse_when("until", until, now, tz) if until else None
        if start is not None and end is not None and end <= start:
            raise InvalidInput("until", "must be later than --since")
        d = await self.repo.snapshot()
        customer_id = rules.find_customer(d, customer).id if customer else None
        if job is not None and d.job(job) is None:
            raise NotFound("job", f"no such job {job}")
        involving = None
        if user is not None:
            rules.require_user(d, user)
            involving = (user, tuple(e.number for e in d.extensions_of(user)))
        found = await self.store.list_calls(
            since=start,
            until=end,
            customer_id=customer_id,
            limit=limit,
            job_id=job,
            business_number=phone.normalize(number, region, "number") if number else None,
            disposition=choice("disposition", disposition, Disposition) if disposition else None,
            direction=choice("direction", direction, Direction) if direction else None,
            involving=involving,
            before=before,
        )
        return _page(found, d)

    async def show(self, ident: int) -> CallPage:
        """One call (NotFound, field "call", if there is no such call)."""
        found = await self.store.get_call(ident)
        return _page([found], await self.repo.snapshot())

    async def recording(self, ident: int) -> Path:
        """The file holding call `ident`'s recording.

        InvalidInput when the call has none; FileNotFoundError when the record
        names a file that is not in the recording store.
        """
        c = await self.store.get_call(ident)
        if c.recording is None:
            if c.disposition is None and c.ended_at is None:
                why = "it is still in progress"
            elif c.disposition is not Disposition.ANSWERED:
                why = "it was not answered"
            else:
                why = "recording was off for its number or group"
            raise InvalidInput("call", f"call {ident} has no recording ({why})")
        path = self.recordings.path(c.recording)
        if not path.is_file():
            raise FileNotFoundError(
                f"recording of call {ident} ({c.recording}) is missing from the recording store "
                f"({path})"
            )
        return path


_names: tuple[Directory, dict[int, str], dict[int, str]] | None = None


def _page(found: list[CallRecord], d: Directory) -> CallPage:
    # Customer and job names by id, built once per snapshot (a list of 50 calls must not
    # index 10,000 customers each time).
    global _names
    if _names is None or _names[0] is not d:
        _names = (
            d,
            {c.id: c.name for c in d.customers if c.id is not None},
            {j.id: j.title for j in d.jobs if j.id is not None},
        )
    return CallPage(calls=found, customers=_names[1], jobs=_names[2])

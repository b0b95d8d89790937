"""The ports the services drive; adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from pbx.core.calls import CallPatch, CallRecord, Direction, Disposition
from pbx.core.model import Directory, Entity
from pbx.core.ringing import RingStats

E = TypeVar("E", bound=Entity)


class Repository(Protocol):
    """Durable storage of the directory.

    Entities are identified by their natural key: User.name, Extension.number,
    BusinessNumber.e164, RingGroup.name, Schedule.name, VoicemailBox.name,
    Trunk.name, and the integer id of Customer and Job. Writes are atomic; a
    write that breaks a uniqueness rule raises `InvalidInput` and stores nothing.
    """

    async def snapshot(self) -> Directory:
        """The whole directory as it is stored now."""
        ...

    async def add(self, item: E) -> E:
        """Store a new entity; returns it with its id filled in (customers and jobs)."""
        ...

    async def replace(self, old: E, new: E) -> E:
        """Replace the stored entity `old` (found by its key) by `new`; references follow renames."""
        ...

    async def remove(self, item: Entity) -> None:
        """Delete the stored entity (found by its key)."""
        ...

    async def revision(self) -> int:
        """A number that goes up with every directory write (add, replace, remove)."""
        ...

    async def close(self) -> None: ...


class CallStore(Protocol):
    """Durable storage of the call log.

    Calls are identified by their key (`<asterisk node>:<linkedid>`) and built
    up by `CallPatch`es (see `pbx.core.calls`).
    """

    async def apply_call_patches(self, patches: Sequence[CallPatch]) -> None:
        """Apply `patches` in order, all in one transaction.

        A new key inserts the call (missing mandatory fields get the neutral
        values of `pbx.core.calls.apply`); a known one gets only the fields the
        patch sets, and its legs replaced when the patch has legs. Idempotent:
        applying the same patches again leaves the same rows. Never refuses a
        patch for what it refers to: a user, customer or job that does not exist
        (any more) is stored as no reference (the user's name is kept).
        """
        ...

    async def list_calls(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        customer_id: int | None = None,
        limit: int = 100,
        job_id: int | None = None,
        business_number: str | None = None,
        disposition: Disposition | None = None,
        direction: Direction | None = None,
        involving: tuple[str, tuple[str, ...]] | None = None,
        before: tuple[datetime, int] | None = None,
    ) -> list[CallRecord]:
        """Calls that started at or after `since` and before `until`, newest first, with legs;
        filtered as given (`involving`: a user's answered or placed calls; `before`: the
        calls after (started_at, id) in this order)."""
        ...

    async def get_call(self, ident: int) -> CallRecord:
        """The call with this id; raises `NotFound` (field "call") if there is none."""
        ...

    async def get_call_by_key(self, key: str) -> CallRecord | None:
        """The call with this key, or None."""
        ...

    async def ring_stats(self, today_start: datetime) -> RingStats:
        """What ring strategies remember, from the call log.

        Per extension: the end of its last answered call and how many calls it
        answered since `today_start`; per ring group: the extension where its
        last call stopped (the answering member, else the last member rung).
        """
        ...


@dataclass(frozen=True)
class Contact:
    """A registered SIP contact of an endpoint, as Asterisk reports it."""

    endpoint: str
    uri: str
    status: str
    user_agent: str = ""


@dataclass(frozen=True)
class EndpointState:
    endpoint: str
    registered: bool
    contacts: tuple[Contact, ...]


class AsteriskManager(Protocol):
    """What the services need from Asterisk's manager interface (AMI)."""

    async def endpoint_states(self) -> list[EndpointState]:
        """Every PJSIP endpoint with its registered contacts."""
        ...

    async def reload(self) -> None:
        """Reload the configuration Asterisk reads from its config directory."""
        ...

    async def close(self) -> None: ...

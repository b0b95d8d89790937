"""The ports the services drive; adapters implement them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from pbx.core.model import Directory, Entity

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

    async def close(self) -> None:
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

    async def close(self) -> None:
        ...

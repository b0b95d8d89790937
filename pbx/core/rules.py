"""Directory consistency rules: what a change may do to a directory snapshot.

Each check takes the current `Directory` and the proposed entity and raises
`InvalidInput` (or `NotFound`) naming the field and the reason; it returns
nothing when the change is acceptable. Format validation of single values
lives in `validate`, `phone` and `schedule`; these rules cover references and
uniqueness across the directory.
"""

from __future__ import annotations

from typing import TypeVar

from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    AfterHoursKind,
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Extension,
    RingGroup,
    Role,
    Schedule,
    User,
    VoicemailBox,
)

T = TypeVar("T")


def _require(found: T | None, field: str, what: str, key: str) -> T:
    if found is None:
        raise NotFound(field, f"no such {what} '{key}'")
    return found


def require_user(d: Directory, name: str, field: str = "user") -> User:
    return _require(d.user(name), field, "user", name)


def require_extension(d: Directory, number: str, field: str = "extension") -> Extension:
    return _require(d.extension(number), field, "extension", number)


def require_number(d: Directory, e164: str, field: str = "number") -> BusinessNumber:
    return _require(d.number(e164), field, "business number", e164)


def require_group(d: Directory, name: str, field: str = "group") -> RingGroup:
    return _require(d.group(name), field, "ring group", name)


def require_schedule(d: Directory, name: str, field: str = "schedule") -> Schedule:
    return _require(d.schedule(name), field, "schedule", name)


def require_box(d: Directory, name: str, field: str = "box") -> VoicemailBox:
    return _require(d.box(name), field, "voicemail box", name)


def _dial_code_owner(d: Directory, code: str) -> str | None:
    """What already answers to the internal dial code `code`, if anything."""
    if d.extension(code) is not None:
        return f"extension {code}"
    for group in d.groups:
        if group.extension == code:
            return f"ring group '{group.name}'"
    return None


def check_user(d: Directory, user: User, previous: User | None = None) -> None:
    if (previous is None or previous.name != user.name) and d.user(user.name) is not None:
        raise InvalidInput("name", f"a user named '{user.name}' already exists")


def check_user_removal(d: Directory, user: User) -> None:
    owned = d.extensions_of(user.name)
    if owned:
        numbers = ", ".join(e.number for e in owned)
        raise InvalidInput(
            "user", f"'{user.name}' still owns extension {numbers}; remove or reassign it first"
        )
    for num in d.numbers:
        if num.assigned_user == user.name:
            raise InvalidInput(
                "user",
                f"'{user.name}' still has direct number {num.e164}; unassign it first",
            )


def check_extension(d: Directory, ext: Extension, previous: Extension | None = None) -> None:
    if previous is None or previous.number != ext.number:
        owner = _dial_code_owner(d, ext.number)
        if owner is not None:
            raise InvalidInput("extension", f"{ext.number} is already taken by {owner}")
    require_user(d, ext.user)
    if ext.voicemail_box is not None and previous is not None:
        require_box(d, ext.voicemail_box, "voicemail_box")


def _references_to_extension(d: Directory, number: str) -> list[str]:
    refs = [
        f"business number {n.e164}"
        for n in d.numbers
        if n.destination == Destination(DestKind.EXTENSION, number)
    ]
    refs += [f"ring group '{g.name}'" for g in d.groups if number in g.members]
    return refs


def check_extension_removal(d: Directory, ext: Extension) -> None:
    refs = _references_to_extension(d, ext.number)
    if refs:
        raise InvalidInput(
            "extension", f"{ext.number} is still used by {refs[0]}; change that first"
        )


def check_destination(d: Directory, dest: Destination) -> None:
    if dest.kind is DestKind.EXTENSION:
        require_extension(d, dest.name, "dest")
    else:
        require_group(d, dest.name, "dest")


def check_number(
    d: Directory, num: BusinessNumber, previous: BusinessNumber | None = None
) -> None:
    if (previous is None or previous.e164 != num.e164) and d.number(num.e164) is not None:
        raise InvalidInput("number", f"{num.e164} already exists")
    if num.assigned_user is not None:
        require_user(d, num.assigned_user, "assign")
        for other in d.numbers:
            same = previous is not None and other.e164 == previous.e164
            if other.assigned_user == num.assigned_user and not same:
                raise InvalidInput(
                    "assign",
                    f"user '{num.assigned_user}' already has direct number {other.e164}",
                )
    if num.destination is not None:
        check_destination(d, num.destination)
    if num.schedule is not None:
        require_schedule(d, num.schedule)


def check_number_assignment(d: Directory, num: BusinessNumber, user: str) -> None:
    """Assigning a number that belongs to someone else is refused (one user per number)."""
    if num.assigned_user is not None and num.assigned_user != user:
        raise InvalidInput(
            "number", f"{num.e164} is already assigned to '{num.assigned_user}'; unassign it first"
        )


def check_group(d: Directory, group: RingGroup, previous: RingGroup | None = None) -> None:
    if (previous is None or previous.name != group.name) and d.group(group.name) is not None:
        raise InvalidInput("name", f"a ring group named '{group.name}' already exists")
    if not group.members:
        raise InvalidInput("members", "a ring group needs at least one member")
    for member in group.members:
        require_extension(d, member, "members")
    if group.extension is not None and (previous is None or previous.extension != group.extension):
        owner = _dial_code_owner(d, group.extension)
        if owner is not None:
            raise InvalidInput("ext", f"{group.extension} is already taken by {owner}")
    if group.fallback_box is not None:
        require_box(d, group.fallback_box, "fallback_box")
    if group.ring_timeout > group.timeout:
        raise InvalidInput(
            "ring_timeout",
            f"{group.ring_timeout}s is longer than the group's total timeout {group.timeout}s",
        )


def check_group_removal(d: Directory, group: RingGroup) -> None:
    for num in d.numbers:
        if num.destination == Destination(DestKind.GROUP, group.name):
            raise InvalidInput(
                "group", f"'{group.name}' is the destination of {num.e164}; change that first"
            )


def check_schedule(d: Directory, sched: Schedule, previous: Schedule | None = None) -> None:
    if (previous is None or previous.name != sched.name) and d.schedule(sched.name) is not None:
        raise InvalidInput("name", f"a schedule named '{sched.name}' already exists")
    for step in sched.after_hours:
        if step.kind is AfterHoursKind.VOICEMAIL and step.target is not None:
            require_box(d, step.target, "after_hours")


def check_schedule_removal(d: Directory, sched: Schedule) -> None:
    for num in d.numbers:
        if num.schedule == sched.name:
            raise InvalidInput(
                "schedule", f"'{sched.name}' is used by {num.e164}; change that first"
            )


def check_box(d: Directory, box: VoicemailBox, previous: VoicemailBox | None = None) -> None:
    if (previous is None or previous.name != box.name) and d.box(box.name) is not None:
        raise InvalidInput("name", f"a voicemail box named '{box.name}' already exists")
    for member in box.members:
        require_user(d, member, "members")


def check_box_removal(d: Directory, box: VoicemailBox) -> None:
    users = [e.number for e in d.extensions if e.voicemail_box == box.name]
    if users:
        raise InvalidInput("box", f"'{box.name}' is the personal box of extension {users[0]}")
    for group in d.groups:
        if group.fallback_box == box.name:
            raise InvalidInput("box", f"'{box.name}' is the fallback of ring group '{group.name}'")
    for sched in d.schedules:
        if any(s.target == box.name for s in sched.after_hours):
            raise InvalidInput("box", f"'{box.name}' is in the after-hours chain of '{sched.name}'")


def check_customer(d: Directory, customer: Customer) -> None:
    if not customer.phones:
        raise InvalidInput("phone", "a customer needs at least one phone number")
    if customer.owner is not None:
        require_user(d, customer.owner, "owner")


def find_customer(d: Directory, ref: str) -> Customer:
    """A customer by id ("12") or by exact name; an ambiguous name is refused."""
    if ref.isascii() and ref.isdigit():
        found = d.customer(int(ref))
        if found is not None:
            return found
    matches = [c for c in d.customers if c.name == ref]
    if not matches:
        raise NotFound("customer", f"no such customer '{ref}'")
    if len(matches) > 1:
        ids = ", ".join(str(c.id) for c in matches)
        raise InvalidInput("customer", f"'{ref}' names several customers (ids {ids}); use the id")
    return matches[0]


def customers_by_phone(d: Directory, e164: str) -> tuple[Customer, ...]:
    """Customers with this (normalised) phone number: caller-ID matching."""
    return d.customers_with_phone(e164)


def require_oncall_writer(d: Directory, name: str) -> User:
    """The user `name`, who must be an admin or have the on-call write permission."""
    user = d.user(name)
    if user is None:
        raise NotFound("as", f"no such user '{name}'")
    if not user.active:
        raise InvalidInput("as", f"user {name} is deactivated")
    if user.role is not Role.ADMIN and not user.oncall_write:
        raise InvalidInput(
            "as", f"{name} may not change on-call data (needs the on-call write permission)"
        )
    return user

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
    Menu,
    MenuTarget,
    OptionKind,
    Prompt,
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


def require_menu(d: Directory, name: str, field: str = "menu") -> Menu:
    return _require(d.menu(name), field, "menu", name)


def _menus_naming(d: Directory, kind: OptionKind, name: str, but: str | None = None) -> list[str]:
    """The menus (other than `but`) whose options or default send callers to `kind` `name`,
    e.g. ["menu 'Main' (key 1)", "menu 'Night' (default)"]."""
    wanted = MenuTarget(kind, name)
    found = []
    for menu in d.menus:
        if menu.name == but:
            continue
        keys = [key for key, target in menu.options if target == wanted]
        if menu.default == wanted:
            keys.append("default")
        if keys:
            where = ", ".join(k if k == "default" else f"key {k}" for k in keys)
            found.append(f"menu '{menu.name}' ({where})")
    return found


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
    menus = _menus_naming(d, OptionKind.USER, user.name)
    if menus:
        raise InvalidInput("user", f"'{user.name}' is still used by {menus[0]}; change that first")


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
    refs += _menus_naming(d, OptionKind.EXTENSION, number)
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
    elif dest.kind is DestKind.MENU:
        require_menu(d, dest.name, "dest")
    else:
        require_group(d, dest.name, "dest")


def check_number(d: Directory, num: BusinessNumber, previous: BusinessNumber | None = None) -> None:
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
    menus = _menus_naming(d, OptionKind.GROUP, group.name)
    if menus:
        raise InvalidInput(
            "group", f"'{group.name}' is still used by {menus[0]}; change that first"
        )


def check_schedule(d: Directory, sched: Schedule, previous: Schedule | None = None) -> None:
    if (previous is None or previous.name != sched.name) and d.schedule(sched.name) is not None:
        raise InvalidInput("name", f"a schedule named '{sched.name}' already exists")
    for step in sched.after_hours:
        if step.kind is AfterHoursKind.VOICEMAIL and step.target is not None:
            require_box(d, step.target, "after_hours")
        if step.kind is AfterHoursKind.MENU and step.target is not None:
            require_menu(d, step.target, "after_hours")
        if step.prompt is not None:
            _check_prompt(step.prompt, "triage_prompt")


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
        if any(
            s.kind is AfterHoursKind.VOICEMAIL and s.target == box.name for s in sched.after_hours
        ):
            raise InvalidInput("box", f"'{box.name}' is in the after-hours chain of '{sched.name}'")
    menus = _menus_naming(d, OptionKind.VOICEMAIL, box.name)
    if menus:
        raise InvalidInput("box", f"'{box.name}' is still used by {menus[0]}; change that first")


MENU_TIMEOUT = (1, 60)  # seconds the caller has to press a key after the prompt
MENU_RETRIES = (0, 9)  # replays after a miss before the default


def _check_prompt(prompt: Prompt, field: str) -> None:
    if not (prompt.text and prompt.text.strip()) and not prompt.sound:
        raise InvalidInput(field, "has neither text nor a recording (e.g. --prompt 'Press 1 ...')")


def _check_target(d: Directory, menu: Menu, target: MenuTarget, field: str) -> None:
    """The entity `target` names exists (a menu may name itself, e.g. after a rename)."""
    kind, name = target.kind, target.name
    if kind is OptionKind.EXTENSION:
        require_extension(d, name, field)
    elif kind is OptionKind.GROUP:
        require_group(d, name, field)
    elif kind is OptionKind.USER:
        require_user(d, name, field)
    elif kind is OptionKind.VOICEMAIL:
        require_box(d, name, field)
    elif kind is OptionKind.MENU and name != menu.name:
        require_menu(d, name, field)
    elif kind is OptionKind.NUMBER and not name:
        raise InvalidInput(field, "number: names no phone number (e.g. 'number:+13125550100')")


def check_menu(d: Directory, menu: Menu, previous: Menu | None = None) -> None:
    """A new menu (or `previous` changed into `menu`) is consistent with the directory."""
    if (previous is None or previous.name != menu.name) and d.menu(menu.name) is not None:
        raise InvalidInput("name", f"a menu named '{menu.name}' already exists")
    _check_prompt(menu.prompt, "prompt")
    if menu.invalid_prompt is not None:
        _check_prompt(menu.invalid_prompt, "invalid_prompt")
    lo, hi = MENU_TIMEOUT
    if not lo <= menu.timeout <= hi:
        raise InvalidInput("timeout", f"{menu.timeout} is out of range ({lo} to {hi} seconds)")
    lo, hi = MENU_RETRIES
    if not lo <= menu.retries <= hi:
        raise InvalidInput("retries", f"{menu.retries} is out of range ({lo} to {hi})")
    seen: set[str] = set()
    for key, target in menu.options:
        if key in seen:
            raise InvalidInput("option", f"key {key} is given twice (one target per key)")
        seen.add(key)
        _check_target(d, menu, target, "option")
    if menu.default is not None:
        if menu.default.kind is OptionKind.REPEAT:
            raise InvalidInput(
                "default",
                "repeat would replay the menu for ever; give where callers go "
                "(e.g. 'voicemail:Main'), or none to go on with the call",
            )
        _check_target(d, menu, menu.default, "default")


def check_menu_removal(d: Directory, menu: Menu) -> None:
    """A menu cannot go while a number, an after-hours chain or another menu sends callers to it."""
    for num in d.numbers:
        if num.destination == Destination(DestKind.MENU, menu.name):
            raise InvalidInput(
                "menu", f"'{menu.name}' is the destination of {num.e164}; change that first"
            )
    for sched in d.schedules:
        if any(s.kind is AfterHoursKind.MENU and s.target == menu.name for s in sched.after_hours):
            raise InvalidInput(
                "menu", f"'{menu.name}' is in the after-hours chain of '{sched.name}'"
            )
    menus = _menus_naming(d, OptionKind.MENU, menu.name, but=menu.name)
    if menus:
        raise InvalidInput("menu", f"'{menu.name}' is still used by {menus[0]}; change that first")


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

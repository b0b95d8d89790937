"""The directory service: every admin change to users, extensions, numbers, groups,
schedules, voicemail boxes, menus, customers, jobs and trunks.

The CLI and the API call these methods with raw user input; values are
validated and normalised by the pure core, cross-references are checked
against a fresh snapshot by `pbx.core.rules`, then the repository stores the
change atomically. Any bad input raises `InvalidInput` before anything is stored.

Prompts (a menu's, a triage step's question) are made by a `PromptMaking` (text
spoken by flite, a WAV file checked and converted) off the event loop, after
everything else about the change was checked. Without one, a text prompt is
stored unspoken (the controller's prompt keeper speaks it) and a file is refused.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from pbx.core import phone, rules, schedule, validate
from pbx.core.choices import choice
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BoxKind,
    BusinessNumber,
    Customer,
    Directory,
    Extension,
    Job,
    JobStatus,
    Menu,
    MenuTarget,
    OptionKind,
    Prompt,
    RingGroup,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.prompts import check_text
from pbx.services.ports import Repository

SIP_PASSWORD_LENGTH = 24
_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def new_sip_password() -> str:
    """A random SIP password: 24 letters and digits (about 140 bits)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(SIP_PASSWORD_LENGTH))


def personal_box_name(number: str) -> str:
    return f"ext-{number}"


def _pending(text: str | None) -> Prompt:
    """A stand-in for a prompt still to be made (the rules only ask that it says something)."""
    return Prompt(text) if text is not None else Prompt(sound="pending")


def _one_of(text: str | None, file: str | Path | None, field: str) -> bool:
    """Whether a prompt is given: its words or a WAV file, not both."""
    if text is not None and file is not None:
        raise InvalidInput(field, "give either the words or a WAV file, not both")
    return text is not None or file is not None


class PromptMaking(Protocol):
    """Makes prompt files (`pbx.adapters.sounds.PromptMaker`); blocking, InvalidInput
    naming `field` on bad input."""

    def from_text(self, text: str, field: str = "prompt") -> Prompt: ...

    def from_wav(self, path: Path, field: str = "prompt") -> Prompt: ...


class DirectoryService:
    """Validated changes to the phone-system directory."""

    def __init__(
        self,
        repo: Repository,
        region: str,
        allow_international: bool = False,
        prompts: PromptMaking | None = None,
    ) -> None:
        self.repo = repo
        self.region = region
        self.allow_international = allow_international
        self.prompts = prompts

    async def snapshot(self) -> Directory:
        return await self.repo.snapshot()

    # -- helpers -----------------------------------------------------------

    def _phone(self, raw: str, field: str) -> str:
        return phone.normalize(raw, self.region, field)

    def _dialable(self, raw: str, field: str) -> str:
        """A number we will dial out to: international only when enabled."""
        e164 = self._phone(raw, field)
        if not self.allow_international and phone.is_international(e164, self.region):
            raise InvalidInput(
                field,
                f"{e164} is an international number and international dialling is disabled "
                "(set allow_international = true to enable it)",
            )
        return e164

    def _phones(self, raw: Sequence[str], field: str = "phone") -> tuple[str, ...]:
        """Phone numbers normalised, each once, in the order given."""
        return tuple(dict.fromkeys(self._phone(p, field) for p in raw))

    @staticmethod
    def _optional(raw: str | None) -> str | None:
        if raw is None:
            return None
        raw = raw.strip()
        return raw or None

    async def _prompt(self, text: str | None, file: str | Path | None, field: str) -> Prompt | None:
        """The prompt of `text` (spoken) or of the WAV `file` (errors name `field` or
        `<field>_file`); None when neither is given."""
        if not _one_of(text, file, field):
            return None
        if text is not None:
            if self.prompts is None:
                return Prompt(check_text(text, field))  # spoken later, by the prompt keeper
            return await asyncio.to_thread(self.prompts.from_text, text, field)
        assert file is not None
        if self.prompts is None:
            raise InvalidInput(
                f"{field}_file",
                "recorded prompts cannot be stored here (no sounds directory); "
                "use the pbx command on the server",
            )
        return await asyncio.to_thread(self.prompts.from_wav, Path(file), f"{field}_file")

    def _target(self, raw: str, field: str) -> MenuTarget:
        target = validate.menu_target(raw, field, self.region)
        if target.kind is OptionKind.NUMBER:
            self._dialable(target.name, field)
        return target

    def _options(self, raw: Sequence[str]) -> list[tuple[str, MenuTarget]]:
        """`KEY=TARGET` options, each key once."""
        options: list[tuple[str, MenuTarget]] = []
        for item in raw:
            key, target = validate.menu_option(item, "option", self.region)
            if any(k == key for k, _ in options):
                raise InvalidInput("option", f"key {key} is given twice (one target per key)")
            if target.kind is OptionKind.NUMBER:
                self._dialable(target.name, "option")
            options.append((key, target))
        return options

    # -- users -------------------------------------------------------------

    async def add_user(
        self,
        name: str,
        email: str,
        mobile: str | None = None,
        role: str = "technician",
        oncall_write: bool = False,
    ) -> User:
        user = User(
            name=validate.name("name", name),
            email=validate.email(email),
            mobile=self._dialable(mobile, "mobile") if mobile else None,
            role=validate.role(role),
            oncall_write=oncall_write,
        )
        d = await self.snapshot()
        rules.check_user(d, user)
        return await self.repo.add(user)

    async def update_user(
        self,
        name: str,
        *,
        new_name: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
        role: str | None = None,
        oncall_write: bool | None = None,
        active: bool | None = None,
        notify: str | None = None,
    ) -> User:
        d = await self.snapshot()
        old = rules.require_user(d, name)
        new = old
        if new_name is not None:
            new = replace(new, name=validate.name("name", new_name))
        if email is not None:
            new = replace(new, email=validate.email(email))
        if mobile is not None:
            new = replace(new, mobile=self._dialable(mobile, "mobile") if mobile.strip() else None)
        if role is not None:
            new = replace(new, role=validate.role(role))
        if oncall_write is not None:
            new = replace(new, oncall_write=oncall_write)
        if active is not None:
            new = replace(new, active=active)
        if notify is not None:
            new = replace(new, notify=validate.notify_channels(notify))
        rules.check_user(d, new, previous=old)
        return await self.repo.replace(old, new)

    async def remove_user(self, name: str) -> None:
        d = await self.snapshot()
        user = rules.require_user(d, name)
        rules.check_user_removal(d, user)
        # Box notifications and customer ownership just stop; nothing else refers to the user.
        for box in d.boxes:
            if user.name in box.members:
                members = tuple(m for m in box.members if m != user.name)
                await self.repo.replace(box, replace(box, members=members))
        for customer in d.customers:
            if customer.owner == user.name:
                await self.repo.replace(customer, replace(customer, owner=None))
        await self.repo.remove(user)

    # -- extensions --------------------------------------------------------

    async def add_extension(
        self, number: str, user: str, ring: str = "softphone", webrtc: bool = False
    ) -> Extension:
        """A new extension of `user` with a random SIP password and a personal voicemail box;
        `webrtc`: a browser softphone (registers over the SIP websocket)."""
        number = validate.extension_number(number)
        ext = Extension(
            number=number,
            user=user,
            sip_password=new_sip_password(),
            ring=validate.ring_target(ring),
            voicemail_box=personal_box_name(number),
            webrtc=webrtc,
        )
        d = await self.snapshot()
        rules.check_extension(d, ext)
        box = VoicemailBox(name=personal_box_name(number), kind=BoxKind.PERSONAL, members=(user,))
        if d.box(box.name) is not None:
            raise InvalidInput("extension", f"a voicemail box named '{box.name}' already exists")
        await self.repo.add(box)
        try:
            return await self.repo.add(ext)
        except InvalidInput:
            await self.repo.remove(box)
            raise

    async def update_extension(
        self,
        number: str,
        *,
        user: str | None = None,
        ring: str | None = None,
        dnd: bool | None = None,
        new_password: bool = False,
        webrtc: bool | None = None,
    ) -> Extension:
        d = await self.snapshot()
        old = rules.require_extension(d, number)
        new = old
        if webrtc is not None:
            new = replace(new, webrtc=webrtc)
        if user is not None:
            new = replace(new, user=user)
        if ring is not None:
            new = replace(new, ring=validate.ring_target(ring))
        if dnd is not None:
            new = replace(new, dnd=dnd)
        if new_password:
            new = replace(new, sip_password=new_sip_password())
        rules.check_extension(d, new, previous=old)
        result = await self.repo.replace(old, new)
        box = d.box(old.voicemail_box) if old.voicemail_box else None
        if user is not None and box is not None and box.kind is BoxKind.PERSONAL:
            await self.repo.replace(box, replace(box, members=(new.user,)))
        return result

    async def remove_extension(self, number: str) -> None:
        d = await self.snapshot()
        ext = rules.require_extension(d, number)
        rules.check_extension_removal(d, ext)
        await self.repo.remove(ext)
        box = d.box(ext.voicemail_box) if ext.voicemail_box else None
        if box is not None and box.kind is BoxKind.PERSONAL:
            await self.repo.remove(box)

    # -- business numbers --------------------------------------------------

    async def add_number(
        self,
        e164: str,
        label: str,
        *,
        provider: str | None = None,
        provider_ref: str | None = None,
        assign: str | None = None,
        dest: str | None = None,
        forward: str | None = None,
        schedule_name: str | None = None,
        record: bool | None = None,
    ) -> BusinessNumber:
        num = BusinessNumber(
            e164=self._phone(e164, "number"),
            label=validate.name("label", label),
            provider=validate.name("provider", provider) if provider else None,
            provider_ref=validate.provider_ref(provider_ref) if provider_ref else None,
            assigned_user=self._optional(assign),
            destination=validate.destination(dest, "dest") if dest else None,
            forward=self._dialable(forward, "forward") if forward else None,
            schedule=self._optional(schedule_name),
            record=True if record is None else record,
        )
        d = await self.snapshot()
        rules.check_number(d, num)
        return await self.repo.add(num)

    async def get_number(self, e164: str) -> BusinessNumber:
        return rules.require_number(await self.snapshot(), self._phone(e164, "number"))

    async def update_number(
        self,
        e164: str,
        *,
        label: str | None = None,
        provider: str | None = None,
        provider_ref: str | None = None,
        dest: str | None = None,
        forward: str | None = None,
        schedule_name: str | None = None,
        active: bool | None = None,
        force: bool = False,
        record: bool | None = None,
    ) -> BusinessNumber:
        """Change a number. Empty strings clear dest/forward/schedule.

        The provider and its reference id are set when the number is provisioned;
        changing them can break call routing, so it takes `force`.
        """
        d = await self.snapshot()
        old = rules.require_number(d, self._phone(e164, "number"))
        new = old
        if label is not None:
            new = replace(new, label=validate.name("label", label))
        for field, raw in (("provider", provider), ("provider_ref", provider_ref)):
            if raw is None:
                continue
            current = getattr(old, field)
            if current is not None and current != raw.strip() and not force:
                raise InvalidInput(
                    field,
                    f"is set by the provider ({current!r}); changing it can break call routing "
                    "(use --force if you really mean it)",
                )
            value = None
            if raw.strip():
                value = (
                    validate.provider_ref(raw)
                    if field == "provider_ref"
                    else validate.name(field, raw)
                )
            new = replace(new, **{field: value})
        if dest is not None:
            new = replace(
                new, destination=validate.destination(dest, "dest") if dest.strip() else None
            )
        if forward is not None:
            new = replace(
                new, forward=self._dialable(forward, "forward") if forward.strip() else None
            )
        if schedule_name is not None:
            new = replace(new, schedule=self._optional(schedule_name))
        if active is not None:
            new = replace(new, active=active)
        if record is not None:
            new = replace(new, record=record)
        rules.check_number(d, new, previous=old)
        return await self.repo.replace(old, new)

    async def assign_number(self, e164: str, user: str) -> BusinessNumber:
        d = await self.snapshot()
        old = rules.require_number(d, self._phone(e164, "number"))
        rules.check_number_assignment(d, old, user)
        new = replace(old, assigned_user=user)
        rules.check_number(d, new, previous=old)
        return await self.repo.replace(old, new)

    async def unassign_number(self, e164: str) -> BusinessNumber:
        d = await self.snapshot()
        old = rules.require_number(d, self._phone(e164, "number"))
        return await self.repo.replace(old, replace(old, assigned_user=None))

    async def set_number_active(self, e164: str, active: bool) -> BusinessNumber:
        return await self.update_number(e164, active=active)

    # -- ring groups -------------------------------------------------------

    async def add_group(
        self,
        name: str,
        strategy: str,
        members: str,
        *,
        ring_timeout: int | str = 20,
        timeout: int | str = 60,
        ext: str | None = None,
        fallback_box: str | None = None,
        record: bool | None = None,
    ) -> RingGroup:
        group = RingGroup(
            name=validate.name("name", name),
            strategy=validate.strategy(strategy),
            members=tuple(
                validate.extension_number(m, "members")
                for m in validate.csv_list("members", members)
            ),
            ring_timeout=validate.seconds("ring_timeout", ring_timeout, 5, 300),
            timeout=validate.seconds("timeout", timeout, 5, 3600),
            extension=validate.extension_number(ext, "ext") if ext else None,
            fallback_box=self._optional(fallback_box),
            record=True if record is None else record,
        )
        d = await self.snapshot()
        rules.check_group(d, group)
        return await self.repo.add(group)

    async def update_group(
        self,
        name: str,
        *,
        new_name: str | None = None,
        strategy: str | None = None,
        members: str | None = None,
        ring_timeout: int | str | None = None,
        timeout: int | str | None = None,
        ext: str | None = None,
        fallback_box: str | None = None,
        record: bool | None = None,
    ) -> RingGroup:
        d = await self.snapshot()
        old = rules.require_group(d, name)
        new = old
        if new_name is not None:
            new = replace(new, name=validate.name("name", new_name))
        if strategy is not None:
            new = replace(new, strategy=validate.strategy(strategy))
        if members is not None:
            new = replace(
                new,
                members=tuple(
                    validate.extension_number(m, "members")
                    for m in validate.csv_list("members", members)
                ),
            )
        if ring_timeout is not None:
            new = replace(new, ring_timeout=validate.seconds("ring_timeout", ring_timeout, 5, 300))
        if timeout is not None:
            new = replace(new, timeout=validate.seconds("timeout", timeout, 5, 3600))
        if ext is not None:
            new = replace(
                new, extension=validate.extension_number(ext, "ext") if ext.strip() else None
            )
        if fallback_box is not None:
            new = replace(new, fallback_box=self._optional(fallback_box))
        if record is not None:
            new = replace(new, record=record)
        rules.check_group(d, new, previous=old)
        return await self.repo.replace(old, new)

    async def remove_group(self, name: str) -> None:
        d = await self.snapshot()
        group = rules.require_group(d, name)
        rules.check_group_removal(d, group)
        await self.repo.remove(group)

    # -- schedules ---------------------------------------------------------

    async def add_schedule(
        self,
        name: str,
        tz: str,
        hours: Sequence[str],
        holidays: Sequence[str] = (),
        after_hours: str | None = None,
        *,
        triage_prompt: str | None = None,
        triage_prompt_file: str | Path | None = None,
    ) -> Schedule:
        """A new schedule; `triage_prompt` (words) or `triage_prompt_file` (a WAV file) is
        the question of the chain's triage step (none: the standard question)."""
        sched = Schedule(
            name=validate.name("name", name),
            tz=schedule.parse_timezone(tz),
            hours=schedule.build_hours(hours),
            holidays=tuple(sorted({schedule.parse_holiday(h) for h in holidays})),
            after_hours=self._chain(after_hours) if after_hours else (),
        )
        d = await self.snapshot()
        rules.check_schedule(d, sched)
        chain = await self._triage_prompt(sched.after_hours, triage_prompt, triage_prompt_file)
        return await self.repo.add(replace(sched, after_hours=chain))

    async def get_schedule(self, name: str) -> Schedule:
        return rules.require_schedule(await self.snapshot(), name)

    def _chain(self, after_hours: str) -> tuple[AfterHoursStep, ...]:
        chain = schedule.parse_after_hours(after_hours, self.region)
        for step in chain:
            if step.kind is AfterHoursKind.NUMBER and step.target:
                self._dialable(step.target, "after_hours")
        return chain

    async def _triage_prompt(
        self,
        chain: tuple[AfterHoursStep, ...],
        text: str | None,
        file: str | Path | None,
        kept: Prompt | None = None,
    ) -> tuple[AfterHoursStep, ...]:
        """`chain` with its triage step asking `text` or `file` ('' text: the standard
        question), else `kept`; a prompt for a chain without triage is refused."""
        triage = next((s for s in chain if s.kind is AfterHoursKind.TRIAGE), None)
        given = text is not None or file is not None
        if triage is None:
            if given:
                field = "triage_prompt" if text is not None else "triage_prompt_file"
                raise InvalidInput(
                    field,
                    "the after-hours chain has no triage step to ask it "
                    "(e.g. --after-hours 'triage,oncall,voicemail:After Hours')",
                )
            return chain
        if text is not None and not text.strip() and file is None:
            prompt = None  # back to the standard question
        elif given:
            prompt = await self._prompt(text, file, "triage_prompt")
        else:
            prompt = kept
        return tuple(replace(s, prompt=prompt) if s is triage else s for s in chain)

    async def update_schedule(
        self,
        name: str,
        *,
        new_name: str | None = None,
        tz: str | None = None,
        hours: Sequence[str] | None = None,
        holidays: Sequence[str] | None = None,
        after_hours: str | None = None,
        triage_prompt: str | None = None,
        triage_prompt_file: str | Path | None = None,
    ) -> Schedule:
        """Change a schedule: `hours` and `holidays` replace the stored ones, `after_hours`
        the chain ('' clears it). The triage step keeps its question unless a new one
        is given ('' for `triage_prompt`: the standard question)."""
        d = await self.snapshot()
        old = rules.require_schedule(d, name)
        new = old
        if new_name is not None:
            new = replace(new, name=validate.name("name", new_name))
        if tz is not None:
            new = replace(new, tz=schedule.parse_timezone(tz))
        if hours is not None:
            new = replace(new, hours=schedule.build_hours(hours))
        if holidays is not None:
            new = replace(
                new, holidays=tuple(sorted({schedule.parse_holiday(h) for h in holidays}))
            )
        if after_hours is not None:
            new = replace(new, after_hours=self._chain(after_hours) if after_hours.strip() else ())
        rules.check_schedule(d, new, previous=old)
        kept = next((s.prompt for s in old.after_hours if s.kind is AfterHoursKind.TRIAGE), None)
        chain = await self._triage_prompt(new.after_hours, triage_prompt, triage_prompt_file, kept)
        return await self.repo.replace(old, replace(new, after_hours=chain))

    async def remove_schedule(self, name: str) -> None:
        d = await self.snapshot()
        sched = rules.require_schedule(d, name)
        rules.check_schedule_removal(d, sched)
        await self.repo.remove(sched)

    # -- menus ---------------------------------------------------------------

    async def add_menu(
        self,
        name: str,
        *,
        prompt: str | None = None,
        prompt_file: str | Path | None = None,
        options: Sequence[str] = (),
        default: str | None = None,
        timeout: int | str = 5,
        retries: int | str = 2,
        invalid_prompt: str | None = None,
        invalid_prompt_file: str | Path | None = None,
        direct_dial: bool = False,
    ) -> Menu:
        """A new auto attendant: its prompt (words or a WAV file), `KEY=TARGET` options,
        the default after the misses run out (None: on with the call's plan)."""
        if not _one_of(prompt, prompt_file, "prompt"):
            raise InvalidInput("prompt", "a menu needs a prompt: the words to speak or a WAV file")
        invalid_prompt = self._optional(invalid_prompt)
        _one_of(invalid_prompt, invalid_prompt_file, "invalid_prompt")
        menu = Menu(
            name=validate.name("name", name),
            prompt=_pending(prompt),
            options=validate.ordered_options(self._options(options)),
            default=self._target(default, "default") if default and default.strip() else None,
            timeout=validate.count("timeout", timeout, *rules.MENU_TIMEOUT),
            retries=validate.count("retries", retries, *rules.MENU_RETRIES),
            direct_dial=direct_dial,
        )
        d = await self.snapshot()
        rules.check_menu(d, menu)
        made = await self._prompt(prompt, prompt_file, "prompt")
        invalid = await self._prompt(invalid_prompt, invalid_prompt_file, "invalid_prompt")
        return await self.repo.add(
            replace(menu, prompt=made or menu.prompt, invalid_prompt=invalid)
        )

    async def menus(self) -> tuple[Menu, ...]:
        """Every menu, by name."""
        return (await self.snapshot()).menus

    async def menu(self, name: str) -> Menu:
        return rules.require_menu(await self.snapshot(), name)

    async def update_menu(
        self,
        name: str,
        *,
        new_name: str | None = None,
        prompt: str | None = None,
        prompt_file: str | Path | None = None,
        options: Sequence[str] = (),
        remove_options: Sequence[str] = (),
        clear_options: bool = False,
        default: str | None = None,
        timeout: int | str | None = None,
        retries: int | str | None = None,
        invalid_prompt: str | None = None,
        invalid_prompt_file: str | Path | None = None,
        direct_dial: bool | None = None,
    ) -> Menu:
        """Change a menu. Options: `clear_options` drops them all, then `remove_options`
        (keys) go, then `options` (`KEY=TARGET`) add or replace keys. '' clears the
        default and the invalid-key prompt."""
        new_prompt = _one_of(prompt, prompt_file, "prompt")
        clear_invalid = invalid_prompt is not None and not invalid_prompt.strip()
        if clear_invalid:
            invalid_prompt = None
        new_invalid = _one_of(invalid_prompt, invalid_prompt_file, "invalid_prompt")
        d = await self.snapshot()
        old = rules.require_menu(d, name)
        new = old
        if new_name is not None:
            new = replace(new, name=validate.name("name", new_name))
        keyed = dict(() if clear_options else old.options)
        for raw in remove_options:
            key = raw.strip()
            if key not in keyed:
                keys = f" (its keys: {', '.join(keyed)})" if keyed else ""
                raise InvalidInput("remove_option", f"menu '{old.name}' has no key {key!r}{keys}")
            del keyed[key]
        keyed.update(self._options(options))
        new = replace(new, options=validate.ordered_options(keyed.items()))
        if default is not None:
            new = replace(
                new, default=self._target(default, "default") if default.strip() else None
            )
        if timeout is not None:
            new = replace(new, timeout=validate.count("timeout", timeout, *rules.MENU_TIMEOUT))
        if retries is not None:
            new = replace(new, retries=validate.count("retries", retries, *rules.MENU_RETRIES))
        if direct_dial is not None:
            new = replace(new, direct_dial=direct_dial)
        if new_prompt:
            new = replace(new, prompt=_pending(prompt))
        if clear_invalid or new_invalid:
            new = replace(new, invalid_prompt=None)
        rules.check_menu(d, new, previous=old)
        if new_prompt:
            new = replace(
                new, prompt=await self._prompt(prompt, prompt_file, "prompt") or new.prompt
            )
        if new_invalid:
            invalid = await self._prompt(invalid_prompt, invalid_prompt_file, "invalid_prompt")
            new = replace(new, invalid_prompt=invalid)
        return await self.repo.replace(old, new)

    async def remove_menu(self, name: str) -> None:
        """Remove a menu that no number, after-hours chain or other menu sends callers to."""
        d = await self.snapshot()
        menu = rules.require_menu(d, name)
        rules.check_menu_removal(d, menu)
        await self.repo.remove(menu)

    # -- voicemail boxes ---------------------------------------------------

    async def add_box(self, name: str, members: str | None = None) -> VoicemailBox:
        box = VoicemailBox(
            name=validate.name("name", name),
            kind=BoxKind.SHARED,
            members=validate.csv_list("members", members) if members else (),
        )
        d = await self.snapshot()
        rules.check_box(d, box)
        return await self.repo.add(box)

    async def remove_box(self, name: str) -> None:
        d = await self.snapshot()
        box = rules.require_box(d, name)
        rules.check_box_removal(d, box)
        await self.repo.remove(box)

    # -- customers and jobs ------------------------------------------------

    async def add_customer(
        self, name: str, phones: Sequence[str], owner: str | None = None
    ) -> Customer:
        customer = Customer(
            name=validate.name("name", name),
            phones=self._phones(phones),
            owner=self._optional(owner),
        )
        d = await self.snapshot()
        rules.check_customer(d, customer)
        return await self.repo.add(customer)

    async def get_customer(self, ref: str) -> tuple[Customer, tuple[Job, ...]]:
        d = await self.snapshot()
        customer = rules.find_customer(d, ref)
        return customer, tuple(j for j in d.jobs if j.customer_id == customer.id)

    async def add_job(self, customer: str, title: str) -> Job:
        d = await self.snapshot()
        found = rules.find_customer(d, customer)
        assert found.id is not None
        job = Job(customer_id=found.id, title=validate.name("title", title))
        return await self.repo.add(job)

    async def set_job_status(self, ident: int, status: str) -> Job:
        job = await self.get_job(ident)
        return await self.repo.replace(
            job, replace(job, status=choice("status", status, JobStatus))
        )

    # -- trunks ------------------------------------------------------------

    async def add_trunk(
        self,
        name: str,
        host: str,
        username: str,
        password: str,
        port: int | str = 5060,
        from_domain: str | None = None,
    ) -> Trunk:
        trunk = Trunk(
            name=validate.identifier("name", name),
            host=validate.hostname(host),
            username=validate.sip_user(username),
            password=validate.secret("password", password),
            port=validate.port("port", port),
            from_domain=validate.hostname(from_domain, "from_domain") if from_domain else None,
        )
        reserved = trunk.name.lower() in ("global", "system") or trunk.name.lower().startswith(
            "transport"
        )
        if reserved or trunk.name.endswith(("-auth", "-identify")):
            raise InvalidInput("name", f"'{trunk.name}' would clash with a generated SIP section")
        d = await self.snapshot()
        if d.trunk(trunk.name) is not None:
            raise InvalidInput("name", f"a trunk named '{trunk.name}' already exists")
        return await self.repo.add(trunk)

    async def remove_trunk(self, name: str) -> None:
        d = await self.snapshot()
        trunk = d.trunk(name)
        if trunk is None:
            raise NotFound("trunk", f"no such trunk '{name}'")
        await self.repo.remove(trunk)

    # -- what the REST API adds ------------------------------------------------

    async def change_number(
        self,
        e164: str,
        *,
        assign: str | None = None,
        unassign: bool = False,
        **changes: Any,
    ) -> BusinessNumber:
        """`update_number`'s `changes` and a new assignment (or its removal) together.

        The assignment is checked before anything is stored, so a refused
        assignment leaves the number as it was; errors about it name `assign`.
        """
        d = await self.snapshot()
        old = rules.require_number(d, self._phone(e164, "number"))
        user = self._optional(assign) if assign is not None else None
        if assign is not None:
            if user is None:
                raise InvalidInput("assign", "no user given")
            try:
                rules.check_number_assignment(d, old, user)
            except InvalidInput as exc:
                raise InvalidInput("assign", exc.reason) from None
            rules.check_number(d, replace(old, assigned_user=user), previous=old)
        result = await self.update_number(old.e164, **changes) if changes else old
        if user is not None and old.assigned_user != user:
            result = await self.assign_number(old.e164, user)
        elif unassign and old.assigned_user is not None:
            result = await self.unassign_number(old.e164)
        return result

    async def find_customers(
        self, *, q: str | None = None, phone: str | None = None, owner: str | None = None
    ) -> tuple[Customer, ...]:
        """Customers by id whose name contains `q` (any case), who have `phone` (any format,
        normalised) and whom `owner` handles; a filter that is None does not filter."""
        d = await self.snapshot()
        found: Sequence[Customer] = d.customers
        if phone is not None:
            found = rules.customers_by_phone(d, self._phone(phone, "phone"))
        if q is not None:
            needle = q.strip().casefold()
            if found is d.customers:  # every customer: their names are folded once per snapshot
                names = zip(found, d.customer_names_folded, strict=True)
                found = [c for c, name in names if needle in name]
            else:
                found = [c for c in found if needle in c.name.casefold()]
        if owner is not None:
            found = [c for c in found if c.owner == owner]
        return tuple(found)  # the snapshot holds customers in id order; filters keep it

    async def lookup_caller(self, phone: str) -> tuple[Customer | None, Job | None]:
        """The customer with this phone number (the lowest id when several have it) and
        their newest open job: what a phone shows for an incoming call."""
        d = await self.snapshot()
        matches = rules.customers_by_phone(d, self._phone(phone, "phone"))
        if not matches:
            return None, None
        customer = matches[0]  # in id order
        return customer, d.open_job(customer.id) if customer.id is not None else None

    async def update_customer(
        self,
        ident: int,
        *,
        name: str | None = None,
        phones: Sequence[str] | None = None,
        owner: str | None = None,
    ) -> Customer:
        """Change a customer: a new name, a new list of phones (replacing the old one),
        a new owner ('' clears it)."""
        d = await self.snapshot()
        old = d.customer(ident)
        if old is None:
            raise NotFound("customer", f"no such customer {ident}")
        new = old
        if name is not None:
            new = replace(new, name=validate.name("name", name))
        if phones is not None:
            new = replace(new, phones=self._phones(phones, "phones"))
        if owner is not None:
            new = replace(new, owner=self._optional(owner))
        rules.check_customer(d, new)
        return await self.repo.replace(old, new)

    async def get_job(self, ident: int) -> Job:
        job = (await self.snapshot()).job(ident)
        if job is None:
            raise NotFound("job", f"no such job {ident}")
        return job

    async def find_jobs(
        self, *, customer: str | None = None, status: str | None = None
    ) -> tuple[Job, ...]:
        """Jobs by id, of one customer (id or exact name) and/or in one status."""
        d = await self.snapshot()
        jobs: Sequence[Job] = d.jobs
        if customer is not None:
            found = rules.find_customer(d, customer)
            jobs = [j for j in jobs if j.customer_id == found.id]
        if status is not None:
            wanted = choice("status", status, JobStatus)
            jobs = [j for j in jobs if j.status is wanted]
        return tuple(sorted(jobs, key=lambda j: j.id or 0))

"""Voicemail as people use it: the inbox (list, show, read, assign, export), box greetings
and the emergency keywords of boxes and business numbers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pbx.adapters.sounds import PromptMaker, telephone_wav, write_sound
from pbx.core import keywords as kw
from pbx.core import rules
from pbx.core.choices import choice
from pbx.core.errors import InvalidInput
from pbx.core.model import Directory
from pbx.core.notifications import Notice
from pbx.core.voicemail import Escalation, Message, MessageFilters, TranscriptStatus
from pbx.services.calls import parse_when
from pbx.services.ports import Repository
from stt.audio import AudioError, load_wav

MAX_LIMIT = 1000
GREETING_MAX_SECONDS = 120.0


class MessageRepository(Protocol):
    async def list_messages(
        self,
        *,
        box: str | None,
        unread: bool | None,
        limit: int,
        status: TranscriptStatus | None = None,
        filters: MessageFilters | None = None,
    ) -> list[Message]: ...

    async def get_message(self, ident: int) -> Message: ...

    async def update_message(self, ident: int, **values: Any) -> Message: ...

    async def escalations(self, message_id: int) -> list[Escalation]: ...

    async def notices_of(self, message_id: int) -> list[Notice]: ...


class AudioFiles(Protocol):
    def path(self, relative: str) -> Path: ...


@dataclass(frozen=True)
class MessageDetail:
    message: Message
    customer: str | None
    escalations: list[Escalation]
    notices: list[Notice]


@dataclass(frozen=True)
class MessagePage:
    """One page of messages (newest first), the directory for names, and whether more follow."""

    messages: list[Message]
    directory: Directory
    more: bool

    def customer(self, m: Message) -> str | None:
        found = self.directory.customer(m.customer_id) if m.customer_id is not None else None
        return found.name if found is not None else None


class VoicemailService:
    """The voicemail inbox, greetings and keyword lists."""

    def __init__(
        self,
        repo: Repository,
        messages: MessageRepository,
        audio: AudioFiles,
        sounds_dir: Path,
    ) -> None:
        self.repo = repo
        self.messages = messages
        self.audio = audio
        self.sounds_dir = sounds_dir  # Asterisk's view of it is the same tree

    async def list(
        self, *, box: str | None = None, unread: bool = False, limit: int = 50
    ) -> tuple[list[Message], Directory]:
        """Messages newest first (of one box; only unread ones), with the directory for names."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
        d = await self.repo.snapshot()
        if box is not None:
            rules.require_box(d, box)
        found = await self.messages.list_messages(
            box=box, unread=True if unread else None, limit=limit
        )
        return found, d

    async def show(self, ident: int) -> MessageDetail:
        m = await self.messages.get_message(ident)
        d = await self.repo.snapshot()
        customer = d.customer(m.customer_id) if m.customer_id is not None else None
        return MessageDetail(
            m,
            customer.name if customer is not None else None,
            await self.messages.escalations(ident),
            await self.messages.notices_of(ident),
        )

    async def mark(self, ident: int, *, read: bool) -> Message:
        return await self.messages.update_message(ident, read=read)

    async def assign(self, ident: int, user: str | None) -> Message:
        """Assign the message to `user` (None: unassign); the user must exist."""
        if user is not None:
            rules.require_user(await self.repo.snapshot(), user)
        return await self.messages.update_message(ident, assigned_user_name=user)

    async def audio_file(self, ident: int) -> Path:
        """The message's WAV file; FileNotFoundError when the store has lost it."""
        m = await self.messages.get_message(ident)
        path = self.audio.path(m.audio)
        if not path.is_file():
            raise FileNotFoundError(f"message {ident}: its audio {m.audio} is missing")
        return path

    async def set_greeting(self, box: str, source: Path | None) -> str | None:
        """Use the WAV file `source` as the box's greeting (None: back to the default one).

        The file is checked and converted to 8 kHz mono for Asterisk; a broken
        file is refused with the reason and changes nothing.
        """
        d = await self.repo.snapshot()
        old = rules.require_box(d, box)
        name: str | None = None
        if source is not None:
            data = await asyncio.to_thread(_telephone_wav, source)
            name = f"pbx/greeting-{_slug(old.name)}"
            await asyncio.to_thread(write_sound, self.sounds_dir, name, data)
        await self.repo.replace(old, replace(old, greeting=name))
        return name

    async def set_greeting_text(self, box: str, text: str) -> str:
        """Have flite speak `text` (offline) as the box's greeting; returns its sound name.

        The text is stripped and must be 1..1000 characters (InvalidInput naming `text`).
        The file is named by the voice and the words (`pbx/prompts/tts-<hash>`), so the
        same words reuse the file already made; without flite the greeting is refused
        and nothing changes.
        """
        d = await self.repo.snapshot()
        old = rules.require_box(d, box)
        maker = PromptMaker(self.sounds_dir)
        prompt = await asyncio.to_thread(maker.from_text, text, "text")
        name = prompt.sound
        assert name is not None  # from_text always names the file it made
        await self.repo.replace(old, replace(old, greeting=name))
        return name

    async def set_keywords(
        self,
        *,
        box: str | None = None,
        number: str | None = None,
        add: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
        reset: bool = False,
        clear: bool = False,
    ) -> tuple[str, ...]:
        """Change the emergency keywords of a box or a business number; returns the new list.

        A list never changed is the trade defaults; `reset` goes back to them,
        `clear` empties it (nothing escalates for it).
        """
        if (box is None) == (number is None):
            raise InvalidInput("keywords", "give a box or a business number")
        d = await self.repo.snapshot()
        entity: Any = rules.require_box(d, box) if box is not None else None
        if number is not None:
            entity = next((n for n in d.numbers if n.e164 == number), None)
            if entity is None:
                raise InvalidInput("number", f"no such business number {number!r}")
        current = kw.DEFAULT_KEYWORDS if entity.keywords is None else entity.keywords
        if reset:
            current = kw.DEFAULT_KEYWORDS
        if clear:
            current = ()
        added = tuple(kw.normalize_keyword(k) for k in add)
        removed = tuple(kw.normalize_keyword(k) for k in remove)
        missing = [k for k in removed if k not in current]
        if missing:
            raise InvalidInput("remove", f"{missing[0]!r} is not in the list")
        new = tuple(dict.fromkeys(k for k in (*current, *added) if k not in removed))
        stored: tuple[str, ...] | None = None if new == kw.DEFAULT_KEYWORDS else new
        await self.repo.replace(entity, replace(entity, keywords=stored))
        return new

    async def find(
        self,
        *,
        boxes: Collection[str] | None = None,
        box: str | None = None,
        unread: bool | None = None,
        emergency: bool | None = None,
        customer: str | None = None,
        assigned: str | None = None,
        status: str | None = None,
        since: str | None = None,
        until: str | None = None,
        before: tuple[datetime, int] | None = None,
        limit: int = 50,
        now: datetime | None = None,
    ) -> MessagePage:
        """Messages newest first, filtered (raw input, InvalidInput naming the field):
        only the boxes `boxes` (None: every box), one `box`, read state, emergency or
        not, customer (id or exact name), assigned user, transcript status, received
        since/until (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or an age such as `24h`);
        `before` (received_at, id) continues a previous page."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
        now = now or datetime.now(UTC)
        start = parse_when("since", since, now) if since else None
        end = parse_when("until", until, now) if until else None
        if start is not None and end is not None and end <= start:
            raise InvalidInput("until", "must be later than since")
        d = await self.repo.snapshot()
        if box is not None:
            rules.require_box(d, box)
        customer_id = rules.find_customer(d, customer).id if customer else None
        if assigned is not None:
            rules.require_user(d, assigned, "assigned")
        wanted = choice("status", status, TranscriptStatus) if status is not None else None
        allowed = None if boxes is None else frozenset(boxes)
        if allowed is not None and (not allowed or (box is not None and box not in allowed)):
            return MessagePage([], d, False)
        filters = MessageFilters(allowed, emergency, customer_id, assigned, start, end, before)
        found = await self.messages.list_messages(
            box=box, unread=unread, status=wanted, limit=limit + 1, filters=filters
        )  # one more than asked: whether another page follows
        return MessagePage(found[:limit], d, len(found) > limit)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "box"


def _telephone_wav(source: Path) -> bytes:
    """`source` as an 8 kHz mono 16-bit WAV; InvalidInput("file", reason) when it is unusable."""
    if not source.is_file():
        raise InvalidInput("file", f"{source} does not exist")
    try:
        audio = load_wav(source, max_seconds=GREETING_MAX_SECONDS)
    except AudioError as exc:
        raise InvalidInput("file", f"{source.name}: {exc.reason}") from None
    if audio.seconds < 0.5:
        raise InvalidInput("file", f"{source.name}: too short ({audio.seconds:.1f} s)")
    return telephone_wav(source)

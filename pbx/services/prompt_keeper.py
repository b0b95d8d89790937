"""Keeps every prompt the directory uses playable: a text prompt whose file is missing
(a new machine, a wiped sounds directory, the standard triage question) is spoken
again with flite, off the call path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Protocol

from pbx.core.callflow import TRIAGE_PROMPT, TRIAGE_SPOKEN_PROMPT
from pbx.core.errors import InvalidInput
from pbx.core.model import AfterHoursKind, Directory, Prompt

log = logging.getLogger(__name__)


class Maker(Protocol):
    def make(self, prompt: Prompt, field: str = "prompt") -> Prompt:
        """The prompt with its file made if it was missing (blocking; InvalidInput if it
        cannot be made)."""
        ...


def prompts_of(directory: Directory) -> Iterator[tuple[str, Prompt]]:
    """Every prompt callers may hear, with what it belongs to (for the log)."""
    yield "the standard triage question", TRIAGE_PROMPT
    yield "the standard spoken triage question", TRIAGE_SPOKEN_PROMPT
    for menu in directory.menus:
        yield f"menu {menu.name}", menu.prompt
        if menu.invalid_prompt is not None:
            yield f"menu {menu.name} (invalid key)", menu.invalid_prompt
    for schedule in directory.schedules:
        for step in schedule.after_hours:
            if step.kind is AfterHoursKind.TRIAGE and step.prompt is not None:
                yield f"schedule {schedule.name} (triage)", step.prompt


class PromptKeeper:
    """Makes missing prompt files after each directory load (`wake`)."""

    def __init__(self, maker: Maker) -> None:
        self.maker = maker
        self._latest: Directory | None = None
        self._woken = asyncio.Event()
        self._failed: set[Prompt] = set()  # said once

    def wake(self, directory: Directory) -> None:
        self._latest = directory
        self._woken.set()

    async def run(self) -> None:
        while True:
            await self._woken.wait()
            self._woken.clear()
            directory, self._latest = self._latest, None
            if directory is not None:
                await asyncio.to_thread(self.keep, directory)

    def keep(self, directory: Directory) -> None:
        """Make whatever is missing (blocking)."""
        for owner, prompt in prompts_of(directory):
            try:
                self.maker.make(prompt)
            except InvalidInput as exc:
                if prompt not in self._failed:
                    log.warning("prompt of %s cannot be played: %s", owner, exc.reason)
                    self._failed.add(prompt)

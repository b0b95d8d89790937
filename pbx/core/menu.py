"""An auto attendant's dialogue with one caller: a pure state machine.

`start()` and `step()` take the state and an event (a key, the prompt's end, a
timer) and return the new state and commands (play, stop, set a timer) plus,
once the caller's choice is known, a `Chosen`. The call flow carries the commands
out through Asterisk (DTMF arrives over ARI) and routes the choice.

The rules: the prompt plays and a key interrupts it. After the prompt the caller
has `timeout` seconds. A key with an option chooses it; `repeat` plays the menu
again without counting as a miss. A key with no option, or silence, is a miss:
the invalid prompt (if any) and the menu play again, until `retries` misses
have been replayed; the next miss goes to the menu's default. With direct
dialling, keys that begin an extension's number are collected until they make
one (or `DIGIT_SECONDS` pass without another key); a key that is both an option
and the start of an extension waits that long for more.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from pbx.core.model import Menu, MenuTarget, OptionKind, Prompt

DIGIT_SECONDS = 3  # direct dialling: the longest pause between an extension's digits


class Phase(StrEnum):
    PLAYING = "playing"  # the prompt plays; a key interrupts it
    WAITING = "waiting"  # the prompt ended; the timeout runs
    COLLECTING = "collecting"  # direct dialling: more digits may follow
    DONE = "done"


class How(StrEnum):
    """How the caller left the menu."""

    KEY = "key"  # pressed an option's key
    EXTENSION = "extension"  # keyed an extension's number (direct dialling)
    DEFAULT = "default"  # misses ran out (silence or invalid keys)


# -- events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    digit: str


@dataclass(frozen=True)
class PromptEnded:
    """The playback of `play` (its number in `Play`) finished or was stopped."""

    play: int


@dataclass(frozen=True)
class TimerFired:
    timer: int  # the number of the `SetTimer` that fired


Event = Key | PromptEnded | TimerFired


# -- commands -------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play these prompts one after another (playback number `play`)."""

    prompts: tuple[Prompt, ...]
    play: int


@dataclass(frozen=True)
class Stop:
    """Stop playback `play` (a key interrupted it)."""

    play: int


@dataclass(frozen=True)
class SetTimer:
    """Fire `TimerFired(timer)` in `seconds` (a newer timer replaces an older one)."""

    seconds: float
    timer: int


@dataclass(frozen=True)
class Chosen:
    """The caller's choice: go to `target` (None: the menu has no default)."""

    target: MenuTarget | None
    how: How
    keys: str  # what the caller keyed ("" when nothing)
    misses: int


Command = Play | Stop | SetTimer | Chosen


# -- state ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuState:
    menu: Menu
    extensions: frozenset[str] = frozenset()  # direct dialling: the numbers that can be keyed
    phase: Phase = Phase.PLAYING
    misses: int = 0
    digits: str = ""  # direct dialling: keyed so far
    play: int = 0  # number of the current playback
    timer: int = 0  # number of the current timer
    keys: str = ""  # every key pressed, for the call log


def start(
    menu: Menu, extensions: frozenset[str] = frozenset(), numbered: int = 0
) -> tuple[MenuState, list[Command]]:
    """Begin the menu: play its prompt. `extensions` are what direct dialling may reach;
    playbacks and timers are numbered after `numbered` (a call's earlier menus used those,
    and their late events must not be taken for this menu's)."""
    reach = extensions if menu.direct_dial else frozenset()
    state = MenuState(menu, reach, play=numbered + 1, timer=numbered)
    return state, [Play((menu.prompt,), state.play)]


def numbers_used(state: MenuState) -> int:
    """The highest playback or timer number the menu used (see `start`)."""
    return max(state.play, state.timer)


def step(state: MenuState, event: Event) -> tuple[MenuState, list[Command]]:
    """The state after `event`, and what to do."""
    if state.phase is Phase.DONE:
        return state, []
    if isinstance(event, PromptEnded):
        if event.play != state.play or state.phase is not Phase.PLAYING:
            return state, []  # an older playback, or one a key already stopped
        timer = state.timer + 1
        return replace(state, phase=Phase.WAITING, timer=timer), [
            SetTimer(state.menu.timeout, timer)
        ]
    if isinstance(event, TimerFired):
        if event.timer != state.timer or state.phase is Phase.PLAYING:
            return state, []
        if state.phase is Phase.COLLECTING:
            return _resolve(state, [])
        return _miss(state, [], invalid=False)
    return _key(state, event.digit)


def _key(state: MenuState, digit: str) -> tuple[MenuState, list[Command]]:
    commands: list[Command] = []
    if state.phase is Phase.PLAYING:
        commands.append(Stop(state.play))
    state = replace(state, keys=state.keys + digit, timer=state.timer + 1)
    keyed = state.digits + digit
    if state.extensions and any(ext.startswith(keyed) for ext in state.extensions):
        if keyed in state.extensions and not _longer(keyed, state.extensions):
            return _chose(state, MenuTarget(OptionKind.EXTENSION, keyed), How.EXTENSION, commands)
        state = replace(state, phase=Phase.COLLECTING, digits=keyed)
        return state, [*commands, SetTimer(DIGIT_SECONDS, state.timer)]
    if state.digits:  # collecting, and this key makes no extension
        return _miss(replace(state, digits=""), commands, invalid=True)
    return _resolve(replace(state, digits=digit), commands)


def _longer(keyed: str, extensions: frozenset[str]) -> bool:
    return any(len(ext) > len(keyed) and ext.startswith(keyed) for ext in extensions)


def _resolve(state: MenuState, commands: list[Command]) -> tuple[MenuState, list[Command]]:
    """The keys collected so far are complete: an option, an extension, or a miss."""
    keyed, state = state.digits, replace(state, digits="")
    target = state.menu.option(keyed) if len(keyed) == 1 else None
    if target is not None and target.kind is OptionKind.REPEAT:
        return _replay(state, commands, ())
    if target is not None:
        return _chose(state, target, How.KEY, commands)
    if keyed in state.extensions:
        return _chose(state, MenuTarget(OptionKind.EXTENSION, keyed), How.EXTENSION, commands)
    return _miss(state, commands, invalid=bool(keyed))


def _miss(
    state: MenuState, commands: list[Command], *, invalid: bool
) -> tuple[MenuState, list[Command]]:
    misses = state.misses + 1
    state = replace(state, misses=misses)
    if misses > state.menu.retries:
        return _chose(state, state.menu.default, How.DEFAULT, commands)
    before = (state.menu.invalid_prompt,) if invalid and state.menu.invalid_prompt else ()
    return _replay(state, commands, before)


def _replay(
    state: MenuState, commands: list[Command], before: tuple[Prompt, ...]
) -> tuple[MenuState, list[Command]]:
    play = state.play + 1
    state = replace(state, phase=Phase.PLAYING, play=play)
    return state, [*commands, Play((*before, state.menu.prompt), play)]


def _chose(
    state: MenuState, target: MenuTarget | None, how: How, commands: list[Command]
) -> tuple[MenuState, list[Command]]:
    state = replace(state, phase=Phase.DONE)
    return state, [*commands, Chosen(target, how, state.keys, state.misses)]


def triage_menu(prompt: Prompt, timeout: int = 6) -> Menu:
    """The after-hours triage as a menu: 1 is an emergency (the on-call technician);
    anything else, or silence, goes on with the chain."""
    return Menu(
        "triage", prompt, (("1", MenuTarget(OptionKind.ONCALL)),), timeout=timeout, retries=0
    )

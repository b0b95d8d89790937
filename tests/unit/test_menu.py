"""The auto attendant's dialogue with one caller: keys, prompt ends and timers in, plays,
stops, timers and the caller's choice out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbx.core import menu as M
from pbx.core.menu import (
    DIGIT_SECONDS,
    Chosen,
    How,
    Key,
    MenuState,
    Phase,
    Play,
    PromptEnded,
    SetTimer,
    Stop,
    TimerFired,
)
from pbx.core.model import MENU_KEYS, Menu, MenuTarget, OptionKind, Prompt

PROMPT = Prompt("For sales press 1, for service press 2, to hear this again press star.")
INVALID = Prompt("Sorry, that is not a choice.")
SALES = MenuTarget(OptionKind.GROUP, "Sales")
SERVICE = MenuTarget(OptionKind.EXTENSION, "103")
ANN = MenuTarget(OptionKind.USER, "Ann")
BOX = MenuTarget(OptionKind.VOICEMAIL, "Main")
OPTIONS = (
    ("1", SALES),
    ("2", SERVICE),
    ("0", ANN),
    ("*", MenuTarget(OptionKind.REPEAT)),
)
# direct dialling: 1xx collides with option 1; 4xx with no option; 31 is a prefix of 310
EXTENSIONS = frozenset({"101", "102", "401", "402", "31", "310"})


def menu(**kw: Any) -> Menu:
    values: dict[str, Any] = {
        "options": OPTIONS,
        "default": BOX,
        "timeout": 5,
        "retries": 2,
        "invalid_prompt": INVALID,
    }
    values.update(kw)
    return Menu("main", PROMPT, **values)


def begin(m: Menu | None = None, extensions: frozenset[str] = EXTENSIONS) -> MenuState:
    state, commands = M.start(m or menu(), extensions)
    assert commands == [Play((PROMPT,), 1)]
    return state


def feed(state: MenuState, *events: M.Event) -> tuple[MenuState, list[M.Command]]:
    """All the events in turn: the last state and every command."""
    out: list[M.Command] = []
    for event in events:
        state, commands = M.step(state, event)
        out.extend(commands)
    return state, out


def wait_out(state: MenuState) -> tuple[MenuState, list[M.Command]]:
    """The current prompt ends, then its timeout runs out."""
    state, ended = M.step(state, PromptEnded(state.play))
    assert ended == [SetTimer(state.menu.timeout, state.timer)]
    state, fired = M.step(state, TimerFired(state.timer))
    return state, [*ended, *fired]


def chosen(commands: list[M.Command]) -> list[Chosen]:
    return [c for c in commands if isinstance(c, Chosen)]


# -- options ---------------------------------------------------------------------------


def test_start_plays_the_prompt_and_waits_for_it() -> None:
    state, commands = M.start(menu())
    assert commands == [Play((PROMPT,), 1)]
    assert (state.phase, state.play, state.timer, state.misses, state.keys) == (
        Phase.PLAYING, 1, 0, 0, "",
    )  # fmt: skip


def test_the_prompt_ends_and_the_timeout_starts() -> None:
    state, commands = M.step(begin(menu(timeout=7)), PromptEnded(1))
    assert commands == [SetTimer(7, 1)]
    assert state.phase is Phase.WAITING


@pytest.mark.parametrize(("key", "target"), [("1", SALES), ("2", SERVICE), ("0", ANN)])
def test_an_option_key_after_the_prompt_chooses_it(key: str, target: MenuTarget) -> None:
    state, _ = M.step(begin(), PromptEnded(1))
    state, commands = M.step(state, Key(key))
    assert commands == [Chosen(target, How.KEY, key, 0)]
    assert state.phase is Phase.DONE


def test_a_key_during_the_prompt_stops_it_first() -> None:
    state, commands = M.step(begin(), Key("2"))
    assert commands == [Stop(1), Chosen(SERVICE, How.KEY, "2", 0)]
    assert state.phase is Phase.DONE


def test_a_key_after_the_prompt_stops_nothing() -> None:
    state, _ = M.step(begin(), PromptEnded(1))
    _, commands = M.step(state, Key("1"))
    assert not any(isinstance(c, Stop) for c in commands)


# -- misses -----------------------------------------------------------------------------


def test_silence_replays_the_prompt_up_to_retries_then_goes_to_the_default() -> None:
    state = begin(menu(retries=2))
    state, commands = wait_out(state)
    # silence is not invalid: no invalid prompt, even though the menu has one
    assert commands == [SetTimer(5, 1), Play((PROMPT,), 2)]
    assert (state.phase, state.misses) == (Phase.PLAYING, 1)
    state, commands = wait_out(state)
    assert commands == [SetTimer(5, 2), Play((PROMPT,), 3)]
    assert state.misses == 2
    state, commands = wait_out(state)
    assert commands == [SetTimer(5, 3), Chosen(BOX, How.DEFAULT, "", 3)]
    assert state.phase is Phase.DONE


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_the_default_comes_after_retries_replays(retries: int) -> None:
    state = begin(menu(retries=retries))
    plays: list[M.Command] = []
    while state.phase is not Phase.DONE:
        state, commands = wait_out(state)
        plays.extend(c for c in commands if isinstance(c, Play))
    assert len(plays) == retries
    assert chosen(commands) == [Chosen(BOX, How.DEFAULT, "", retries + 1)]


def test_an_invalid_key_plays_the_invalid_prompt_then_the_menu() -> None:
    state, _ = M.step(begin(), PromptEnded(1))
    state, commands = M.step(state, Key("7"))
    assert commands == [Play((INVALID, PROMPT), 2)]
    assert (state.phase, state.misses, state.play) == (Phase.PLAYING, 1, 2)


def test_an_invalid_key_during_the_prompt_stops_it_then_replays() -> None:
    state, commands = M.step(begin(), Key("#"))
    assert commands == [Stop(1), Play((INVALID, PROMPT), 2)]
    assert state.misses == 1


def test_an_invalid_key_without_an_invalid_prompt_replays_the_menu_only() -> None:
    state, _ = M.step(begin(menu(invalid_prompt=None)), PromptEnded(1))
    state, commands = M.step(state, Key("7"))
    assert commands == [Play((PROMPT,), 2)]
    assert state.misses == 1


def test_invalid_keys_run_out_to_the_default() -> None:
    state, commands = feed(begin(menu(retries=1)), PromptEnded(1), Key("7"), Key("8"))
    assert commands[-1] == Chosen(BOX, How.DEFAULT, "78", 2)
    assert [c for c in commands if isinstance(c, Play)] == [Play((INVALID, PROMPT), 2)]


def test_an_invalid_key_then_a_timeout_reach_the_default() -> None:
    state, commands = M.step(begin(menu(retries=1)), Key("7"))
    assert commands == [Stop(1), Play((INVALID, PROMPT), 2)]
    state, commands = wait_out(state)
    assert chosen(commands) == [Chosen(BOX, How.DEFAULT, "7", 2)]
    assert state.phase is Phase.DONE


def test_repeat_replays_without_counting_a_miss() -> None:
    state = begin(menu(retries=1))
    state, commands = feed(state, PromptEnded(1), Key("*"))
    assert commands == [SetTimer(5, 1), Play((PROMPT,), 2)]  # no invalid prompt
    assert state.misses == 0
    state, commands = M.step(state, Key("*"))  # during the replay: stops it
    assert commands == [Stop(2), Play((PROMPT,), 3)]
    assert state.misses == 0
    for _ in range(10):  # however often
        state, commands = M.step(state, Key("*"))
        assert state.misses == 0 and not chosen(commands)
    state, commands = wait_out(state)  # the one allowed miss
    assert state.misses == 1 and not chosen(commands)
    state, commands = wait_out(state)
    assert chosen(commands) == [Chosen(BOX, How.DEFAULT, "*" * 12, 2)]


def test_a_menu_without_a_default_chooses_none() -> None:
    state, commands = wait_out(begin(menu(default=None, retries=0)))
    assert chosen(commands) == [Chosen(None, How.DEFAULT, "", 1)]
    assert state.phase is Phase.DONE


def test_a_menu_without_options_sends_any_key_to_the_default() -> None:
    state, commands = M.step(begin(menu(options=(), retries=0)), Key("1"))
    assert commands == [Stop(1), Chosen(BOX, How.DEFAULT, "1", 1)]


# -- stale and late events ----------------------------------------------------------------


def test_the_end_of_an_older_playback_is_ignored() -> None:
    state, _ = M.step(begin(), Key("7"))  # stops play 1, plays 2
    assert state.play == 2
    assert M.step(state, PromptEnded(1)) == (state, [])  # the stopped play 1 reports its end
    state, commands = M.step(state, PromptEnded(2))
    assert commands == [SetTimer(5, state.timer)]


def test_a_second_end_of_the_same_playback_is_ignored() -> None:
    state, _ = M.step(begin(), PromptEnded(1))
    assert M.step(state, PromptEnded(1)) == (state, [])


def test_the_end_of_a_playback_a_key_stopped_is_ignored_while_collecting() -> None:
    state, _ = M.step(begin(menu(direct_dial=True)), Key("4"))
    assert state.phase is Phase.COLLECTING and state.play == 1
    assert M.step(state, PromptEnded(1)) == (state, [])


def test_an_older_timer_is_ignored() -> None:
    state, _ = feed(begin(), PromptEnded(1), Key("*"), PromptEnded(2))
    assert state.timer == 3  # timer 1 was set, the key cancelled it, 3 is the new one
    assert M.step(state, TimerFired(1)) == (state, [])
    assert M.step(state, TimerFired(2)) == (state, [])
    state, commands = M.step(state, TimerFired(3))
    assert commands == [Play((PROMPT,), 3)] and state.misses == 1


def test_a_timer_fired_while_the_prompt_plays_is_ignored() -> None:
    state = begin()
    assert M.step(state, TimerFired(state.timer)) == (state, [])


def test_a_timer_set_before_a_key_is_ignored_after_it() -> None:
    state, _ = M.step(begin(), PromptEnded(1))  # timer 1 runs
    state, _ = M.step(state, Key("7"))  # invalid: replays
    state, _ = M.step(state, PromptEnded(2))
    assert M.step(state, TimerFired(1)) == (state, [])
    assert state.misses == 1


@pytest.mark.parametrize(
    "event", [Key("1"), Key("7"), PromptEnded(1), PromptEnded(2), TimerFired(1), TimerFired(2)]
)
def test_nothing_happens_after_the_choice(event: M.Event) -> None:
    state, _ = feed(begin(), PromptEnded(1), Key("2"))
    assert state.phase is Phase.DONE
    assert M.step(state, event) == (state, [])


# -- direct dialling ----------------------------------------------------------------------


def dialling(**kw: Any) -> MenuState:
    return begin(menu(direct_dial=True, **kw))


def test_a_complete_extension_is_chosen_at_once() -> None:
    state, commands = M.step(dialling(), Key("4"))
    assert commands == [Stop(1), SetTimer(DIGIT_SECONDS, 1)]
    assert (state.phase, state.digits) == (Phase.COLLECTING, "4")
    state, commands = M.step(state, Key("0"))
    assert commands == [SetTimer(DIGIT_SECONDS, 2)]
    state, commands = M.step(state, Key("2"))
    assert commands == [Chosen(MenuTarget(OptionKind.EXTENSION, "402"), How.EXTENSION, "402", 0)]
    assert state.phase is Phase.DONE


def test_an_extension_that_begins_a_longer_one_waits_for_the_timer() -> None:
    state, commands = feed(dialling(), Key("3"), Key("1"))
    assert not chosen(commands) and state.phase is Phase.COLLECTING
    _, commands = M.step(state, TimerFired(state.timer))
    assert commands == [Chosen(MenuTarget(OptionKind.EXTENSION, "31"), How.EXTENSION, "31", 0)]
    _, commands = M.step(state, Key("0"))
    assert commands == [Chosen(MenuTarget(OptionKind.EXTENSION, "310"), How.EXTENSION, "310", 0)]


def test_an_option_that_begins_an_extension_waits_then_the_timer_chooses_the_option() -> None:
    state, commands = M.step(dialling(), Key("1"))
    assert commands == [Stop(1), SetTimer(DIGIT_SECONDS, 1)]
    assert state.phase is Phase.COLLECTING
    state, commands = M.step(state, TimerFired(1))
    assert commands == [Chosen(SALES, How.KEY, "1", 0)]


def test_an_option_that_begins_an_extension_goes_on_to_the_extension() -> None:
    state, commands = feed(dialling(), Key("1"), Key("0"), Key("1"))
    assert chosen(commands) == [
        Chosen(MenuTarget(OptionKind.EXTENSION, "101"), How.EXTENSION, "101", 0)
    ]


def test_an_option_that_begins_no_extension_is_chosen_at_once() -> None:
    state, commands = M.step(dialling(), Key("2"))
    assert commands == [Stop(1), Chosen(SERVICE, How.KEY, "2", 0)]


def test_a_digit_that_makes_no_extension_is_a_miss() -> None:
    # 2 is an option, but after the 4 it is the second digit of no extension
    state, commands = feed(dialling(), Key("4"), Key("2"))
    assert commands == [Stop(1), SetTimer(DIGIT_SECONDS, 1), Play((INVALID, PROMPT), 2)]
    assert (state.phase, state.misses, state.digits, state.keys) == (
        Phase.PLAYING, 1, "", "42",
    )  # fmt: skip
    # the digits start over: a whole extension after the replay is chosen
    _, commands = feed(state, Key("4"), Key("0"), Key("1"))
    assert chosen(commands) == [
        Chosen(MenuTarget(OptionKind.EXTENSION, "401"), How.EXTENSION, "42401", 1)
    ]


def test_partial_digits_then_the_timer_are_a_miss() -> None:
    state, _ = feed(dialling(), Key("4"), Key("0"))
    state, commands = M.step(state, TimerFired(state.timer))
    assert commands == [Play((INVALID, PROMPT), 2)]
    assert (state.misses, state.digits) == (1, "")


def test_the_timer_of_an_earlier_digit_is_ignored() -> None:
    state, _ = feed(dialling(), Key("4"), Key("0"))
    assert M.step(state, TimerFired(1)) == (state, [])


def test_partial_digits_with_retries_exhausted_go_to_the_default() -> None:
    state, _ = feed(dialling(retries=0), Key("4"))
    _, commands = M.step(state, TimerFired(state.timer))
    assert commands == [Chosen(BOX, How.DEFAULT, "4", 1)]


def test_without_direct_dialling_extension_digits_are_invalid_keys() -> None:
    state, commands = M.step(begin(menu(direct_dial=False)), Key("4"))
    assert commands == [Stop(1), Play((INVALID, PROMPT), 2)]
    assert state.extensions == frozenset()
    _, commands = M.step(begin(menu(direct_dial=False)), Key("1"))
    assert commands == [Stop(1), Chosen(SALES, How.KEY, "1", 0)]  # no waiting for 101


def test_keys_records_every_key() -> None:
    state, commands = feed(
        begin(menu(retries=3)), Key("7"), PromptEnded(2), Key("*"), Key("#"), Key("0")
    )
    assert state.keys == "7*#0"
    assert chosen(commands) == [Chosen(ANN, How.KEY, "7*#0", 2)]


# -- the after-hours triage -----------------------------------------------------------------

TRIAGE = Prompt("If this is an emergency, press 1.")


def test_the_triage_menu_is_press_1_with_no_retries_and_no_default() -> None:
    triage = M.triage_menu(TRIAGE, timeout=8)
    assert (triage.prompt, triage.retries, triage.default, triage.timeout) == (TRIAGE, 0, None, 8)
    assert triage.option("1") == MenuTarget(OptionKind.ONCALL)
    assert M.triage_menu(TRIAGE).timeout == 6


def test_triage_1_is_an_emergency() -> None:
    state, commands = M.start(M.triage_menu(TRIAGE), EXTENSIONS)
    assert commands == [Play((TRIAGE,), 1)]
    _, commands = M.step(state, Key("1"))  # direct dialling is off: no wait for 101
    assert commands == [Stop(1), Chosen(MenuTarget(OptionKind.ONCALL), How.KEY, "1", 0)]


@pytest.mark.parametrize("key", ["2", "0", "*", "#"])
def test_triage_another_key_goes_on_after_a_single_miss(key: str) -> None:
    state, _ = M.start(M.triage_menu(TRIAGE))
    state, commands = M.step(state, Key(key))
    assert commands == [Stop(1), Chosen(None, How.DEFAULT, key, 1)]  # no replay


def test_triage_silence_goes_on_after_the_timeout() -> None:
    state, _ = M.start(M.triage_menu(TRIAGE))
    state, commands = M.step(state, PromptEnded(1))
    assert commands == [SetTimer(6, 1)]
    _, commands = M.step(state, TimerFired(1))
    assert commands == [Chosen(None, How.DEFAULT, "", 1)]


# -- any dialogue ---------------------------------------------------------------------------

CURRENT = -1  # stands for the state's current playback or timer number


@st.composite
def menus(draw: st.DrawFn) -> Menu:
    keys = draw(st.lists(st.sampled_from(MENU_KEYS), unique=True, max_size=5))
    targets = st.sampled_from([SALES, SERVICE, ANN, BOX, MenuTarget(OptionKind.REPEAT)])
    return menu(
        options=tuple((k, draw(targets)) for k in keys),
        default=draw(st.none() | st.just(BOX)),
        retries=draw(st.integers(0, 3)),
        invalid_prompt=draw(st.none() | st.just(INVALID)),
        direct_dial=draw(st.booleans()),
    )


EVENTS = st.lists(
    st.one_of(
        st.builds(Key, st.sampled_from(MENU_KEYS)),
        st.builds(PromptEnded, st.sampled_from([CURRENT, CURRENT, 0, 1, 2, 3])),
        st.builds(TimerFired, st.sampled_from([CURRENT, CURRENT, 0, 1, 2, 3])),
    ),
    max_size=40,
)


def concrete(state: MenuState, event: M.Event) -> M.Event:
    if isinstance(event, PromptEnded) and event.play == CURRENT:
        return PromptEnded(state.play)
    if isinstance(event, TimerFired) and event.timer == CURRENT:
        return TimerFired(state.timer)
    return event


@settings(max_examples=300, deadline=None)
@given(menus(), EVENTS)
def test_any_dialogue_chooses_at_most_once_and_then_stays_silent(
    m: Menu, events: list[M.Event]
) -> None:
    state, _ = M.start(m, EXTENSIONS)
    choices: list[Chosen] = []
    keyed = ""
    for event in events:
        event = concrete(state, event)
        before = state
        state, commands = M.step(state, event)
        if before.phase is Phase.DONE:
            assert (state, commands) == (before, [])
            continue
        stale = (isinstance(event, PromptEnded) and event.play != before.play) or (
            isinstance(event, TimerFired) and event.timer != before.timer
        )
        if stale:
            assert (state, commands) == (before, [])
        if isinstance(event, Key):
            keyed += event.digit
        found = chosen(commands)
        assert len(found) <= 1
        if found:
            assert commands[-1] == found[0]  # the choice is the last word
            assert state.phase is Phase.DONE
        else:
            assert state.phase is not Phase.DONE
        choices.extend(found)
        assert state.misses <= m.retries + 1
        assert state.keys == keyed
        for c in commands:
            if isinstance(c, Play):
                assert c.play == state.play > before.play  # a new playback, a new number
                assert c.prompts[-1] == PROMPT
            if isinstance(c, Stop):
                assert c.play == before.play and before.phase is Phase.PLAYING
            if isinstance(c, SetTimer):
                assert c.timer == state.timer > before.timer
    assert len(choices) <= 1
    for choice in choices:
        assert choice.keys == keyed
        assert choice.misses == state.misses <= m.retries + 1
        if choice.how is How.DEFAULT:
            assert (choice.target, choice.misses) == (m.default, m.retries + 1)
        elif choice.how is How.KEY:
            assert choice.target == m.option(keyed[-1])
            assert choice.target is not None and choice.target.kind is not OptionKind.REPEAT
        else:
            assert m.direct_dial and choice.target is not None
            assert choice.target.name in EXTENSIONS and keyed.endswith(choice.target.name)

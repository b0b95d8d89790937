"""`routing.follow`: the plan after a caller's keys at its menus and triage (what
`pbx simulate --keys` shows)."""

from __future__ import annotations

from dataclasses import replace

from pbx.core.routing import StepKind, TargetKind, follow
from tests.unit.test_callflow_menu import (
    DIRECTORY,
    MAIN,
    MENU_NUMBER,
    NIGHT,
    T0,
    index_of,
    plan_of,
)


def rings(plan_steps: tuple) -> list[tuple[TargetKind | None, str]]:
    return [(s.target, s.name) for s in plan_steps if s.kind is StepKind.RING and not s.skip]


def test_keys_lead_through_nested_menus() -> None:
    plan, said = follow(plan_of(MENU_NUMBER), ["4", "1"], index_of(), T0)
    assert said == [
        "menu main: pressed 4 -> menu service",
        "menu service: pressed 1 -> extension 102",
    ]
    assert rings(plan.steps) == [(TargetKind.EXTENSION, "102")]


def test_nothing_or_a_wrong_key_takes_the_default() -> None:
    for key in ("", "7", "9"):  # 9 is repeat: replayed, then nothing
        plan, said = follow(plan_of(MENU_NUMBER), [key], index_of(), T0)
        assert said[0].endswith("the default -> voicemail box Main"), said
        assert plan.steps[-1].kind is StepKind.VOICEMAIL and plan.steps[-1].name == "Main"


def test_direct_dialling_reaches_an_extension_when_the_menu_allows_it() -> None:
    direct = replace(DIRECTORY, menus=(replace(MAIN, direct_dial=True), *DIRECTORY.menus[1:]))
    plan, said = follow(plan_of(MENU_NUMBER, direct), ["102"], index_of(direct), T0)
    assert said == ["menu main: pressed 102 -> extension 102"]
    assert rings(plan.steps) == [(TargetKind.EXTENSION, "102")]
    _, said = follow(plan_of(MENU_NUMBER), ["102"], index_of(), T0)  # not allowed: default
    assert "the default" in said[0]


def test_the_triage_key_decides_whether_on_call_rings() -> None:
    plan, said = follow(plan_of(NIGHT), ["1"], index_of(), T0)
    assert said == ["triage: pressed 1: an emergency"]
    assert rings(plan.steps) == [(TargetKind.ONCALL, "Cat")]
    plan, said = follow(plan_of(NIGHT), [""], index_of(), T0)
    assert said == ["triage: pressed nothing: not an emergency"]
    assert rings(plan.steps) == []


def test_keys_beyond_the_last_menu_are_said_and_ignored() -> None:
    plan, said = follow(plan_of(NIGHT), ["2", "5"], index_of(), T0)
    assert said[-1] == "key 5: no menu or triage is left to answer"
    assert rings(plan.steps) == []

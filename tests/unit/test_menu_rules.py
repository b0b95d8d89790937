"""Menus and the after-hours triage in the pure core: parsing what admins type, the
directory rules, and how menus and triaged calls are presented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pbx.core import present, rules, validate
from pbx.core import schedule as S
from pbx.core.calls import CallRecord, Direction
from pbx.core.errors import NotFound
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BoxKind,
    BusinessNumber,
    Destination,
    DestKind,
    Directory,
    Extension,
    Menu,
    MenuTarget,
    OpenRange,
    OptionKind,
    Prompt,
    RingGroup,
    Schedule,
    Strategy,
    User,
    VoicemailBox,
)
from tests.unit.expect import reject

T = MenuTarget
ANN = User("Ann", "ann@example.com", "+13125550101")
BOB = User("Bob", "bob@example.com")
E101 = Extension("101", "Ann", "x" * 24, voicemail_box="ext-101")
E102 = Extension("102", "Bob", "y" * 24, voicemail_box="ext-102")
GROUP = RingGroup("Dispatch", Strategy.RING_ALL, ("101", "102"))
OTHERS = RingGroup("Others", Strategy.RING_ALL, ("102",))
BOX = VoicemailBox("Main", BoxKind.SHARED, ("Ann",))
PERSONAL = VoicemailBox("ext-101", BoxKind.PERSONAL, ("Ann",))
HELLO = Prompt("Thanks for calling. For dispatch press 1.", "pbx/prompts/tts-1")
MAIN = Menu(
    "Main",
    HELLO,
    (
        ("0", T(OptionKind.VOICEMAIL, "Main")),
        ("1", T(OptionKind.GROUP, "Dispatch")),
        ("2", T(OptionKind.EXTENSION, "102")),
        ("3", T(OptionKind.USER, "Bob")),
        ("4", T(OptionKind.MENU, "Billing")),
        ("9", T(OptionKind.ONCALL)),
        ("*", T(OptionKind.NUMBER, "+13125550150")),
        ("#", T(OptionKind.REPEAT)),
    ),
    default=T(OptionKind.EXTENSION, "101"),
    invalid_prompt=Prompt("Sorry, that is not an option."),
)
BILLING = Menu(
    "Billing", Prompt("Billing. Press 0 for the main menu."), (("0", T(OptionKind.MENU, "Main")),)
)
NIGHT = Schedule(
    "Night",
    "UTC",
    (OpenRange(0, 480, 1020),),
    after_hours=(
        AfterHoursStep(AfterHoursKind.TRIAGE),
        AfterHoursStep(AfterHoursKind.MENU, "Billing"),
    ),
)
NUMBER = BusinessNumber("+13125550100", "Main", destination=Destination(DestKind.MENU, "Main"))
D = Directory(
    users=(ANN, BOB),
    extensions=(E101, E102),
    numbers=(NUMBER,),
    groups=(GROUP, OTHERS),
    schedules=(NIGHT,),
    boxes=(BOX, PERSONAL),
    menus=(BILLING, MAIN),
)
EMPTY = Directory(users=(ANN, BOB), extensions=(E101, E102), groups=(GROUP,), boxes=(BOX,))


# -- menu targets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("group:Dispatch", T(OptionKind.GROUP, "Dispatch")),
        (" Group : Dispatch ", T(OptionKind.GROUP, "Dispatch")),
        ("ext:101", T(OptionKind.EXTENSION, "101")),
        ("extension: 1234", T(OptionKind.EXTENSION, "1234")),
        ("user:Ann Smith", T(OptionKind.USER, "Ann Smith")),
        ("voicemail:After Hours", T(OptionKind.VOICEMAIL, "After Hours")),
        ("menu:Billing", T(OptionKind.MENU, "Billing")),
        ("number:(312) 555-0150", T(OptionKind.NUMBER, "+13125550150")),
        ("312 555 0150", T(OptionKind.NUMBER, "+13125550150")),
        ("+44 20 7946 0958", T(OptionKind.NUMBER, "+442079460958")),
        ("oncall", T(OptionKind.ONCALL)),
        ("On-Call", T(OptionKind.ONCALL)),
        ("REPEAT", T(OptionKind.REPEAT)),
    ],
)
def test_menu_target_parses_every_kind(text: str, target: MenuTarget) -> None:
    assert validate.menu_target(text, "default", "US") == target


def test_menu_targets_print_as_they_are_typed() -> None:
    for text in ("group:Dispatch", "ext:101", "user:Ann", "voicemail:Main", "menu:Billing",
                 "number:+13125550150", "oncall", "repeat"):  # fmt: skip
        assert str(validate.menu_target(text, "default", "US")) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", "is empty"),
        ("dispatch", "'dispatch' is not group:NAME"),
        ("queue:Dispatch", "e.g. 'group:Dispatch'"),
        ("group:", "is empty; give a name"),
        ("group:A,B", "contains a comma"),
        ("ext:99", "'99' is not an extension"),
        ("ext:911", "emergency number 911"),
        ("number:abc", "in 'number:abc'"),
        ("+1555", "'+1555' is not a valid phone number"),
        ("oncall:Ann", "'oncall:Ann' is not group:NAME"),
    ],
)
def test_menu_target_rejects_naming_its_field(text: str, shown: str) -> None:
    reject("default", shown, validate.menu_target, text, "default", "US")


def test_menu_option_is_a_key_and_a_target() -> None:
    assert validate.menu_option("1=group:Dispatch", "option", "US") == (
        "1",
        T(OptionKind.GROUP, "Dispatch"),
    )
    assert validate.menu_option(" # = repeat", "option", "US") == ("#", T(OptionKind.REPEAT))
    assert validate.menu_option("*=312-555-0150", "option", "US") == (
        "*",
        T(OptionKind.NUMBER, "+13125550150"),
    )
    assert validate.menu_option("0=voicemail:a=b", "option", "US") == (
        "0",
        T(OptionKind.VOICEMAIL, "a=b"),
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1", "'1' is not KEY=TARGET (e.g. '1=group:Dispatch')"),
        ("group:Dispatch", "is not KEY=TARGET"),
        ("=group:Dispatch", "'' in '=group:Dispatch' is not a key"),
        ("12=group:Dispatch", "'12' in '12=group:Dispatch' is not a key (one of 0-9, * or #"),
        ("a=oncall", "'a' in 'a=oncall' is not a key"),
        ("1=", "is empty"),
        ("1=nowhere", "'nowhere' is not group:NAME"),
        ("1=ext:42", "'42' is not an extension"),
    ],
)
def test_menu_option_rejects_naming_its_field(text: str, shown: str) -> None:
    reject("option", shown, validate.menu_option, text, "option", "US")


def test_options_are_ordered_by_key_label() -> None:
    keyed = [("#", T(OptionKind.REPEAT)), ("*", T(OptionKind.ONCALL)), ("9", T(OptionKind.ONCALL)),
             ("0", T(OptionKind.ONCALL)), ("1", T(OptionKind.ONCALL))]  # fmt: skip
    assert [k for k, _ in validate.ordered_options(keyed)] == ["0", "1", "9", "*", "#"]


def test_a_destination_may_be_a_menu() -> None:
    assert validate.destination("menu:Main", "dest") == Destination(DestKind.MENU, "Main")
    assert str(validate.destination("Menu: Main ", "dest")) == "menu:Main"
    reject("dest", "menu:NAME", validate.destination, "ivr:Main", "dest")
    reject("dest", "is empty", validate.destination, "menu:", "dest")


@pytest.mark.parametrize(("text", "value"), [("0", 0), (" 9 ", 9), (3, 3)])
def test_count_parses_whole_numbers(text: str | int, value: int) -> None:
    assert validate.count("retries", text, 0, 9) == value


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("10", "out of range (0 to 9)"),
        ("-1", "not a whole number"),
        ("two", "not a whole number"),
        (True, "not a whole number"),
    ],
)
def test_count_rejects_naming_its_field(text: str | int, shown: str) -> None:
    reject("retries", shown, validate.count, "retries", text, 0, 9)


# -- the after-hours chain -------------------------------------------------------------------


def test_after_hours_takes_triage_first_and_a_menu_last() -> None:
    assert S.parse_after_hours("triage, oncall, menu:Night Menu", "US") == (
        AfterHoursStep(AfterHoursKind.TRIAGE),
        AfterHoursStep(AfterHoursKind.ONCALL),
        AfterHoursStep(AfterHoursKind.MENU, "Night Menu"),
    )
    assert S.parse_after_hours("Triage:Spoken,oncall,voicemail:Main", "US")[0] == AfterHoursStep(
        AfterHoursKind.TRIAGE, spoken=True
    )
    assert S.parse_after_hours("menu:Main", "US") == (AfterHoursStep(AfterHoursKind.MENU, "Main"),)


def test_after_hours_with_triage_and_menus_round_trips_through_str() -> None:
    for spec in ("triage,oncall,+14155550100,voicemail:Main", "triage:spoken,oncall,menu:Main"):
        steps = S.parse_after_hours(spec, "US")
        assert ",".join(str(s) for s in steps) == spec
        assert S.parse_after_hours(",".join(str(s) for s in steps), "US") == steps


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("oncall,triage,voicemail:Main", "'triage' comes after oncall in"),
        ("triage,oncall,triage", "'triage' comes twice"),
        ("triage,triage:spoken,oncall", "triage is asked once, first"),
        ("triage", "is only triage: give the steps it leads to"),
        ("triage:loud,oncall", "'triage:loud' is not triage or triage:spoken"),
        ("menu:Main,oncall", "'oncall' comes after menu:Main, which decides the rest"),
        ("menu:A,voicemail:Main", "put the menu last"),
        ("voicemail:Main,menu:A", "'menu:A' comes after voicemail:Main"),
        ("oncall,menu", "'menu' names no menu (menu:MENU)"),
        ("oncall,menu: ", "names no menu"),
        ("menu:A,B", "'B' comes after menu:A"),
        ("ivr", "nor triage or menu:NAME"),
    ],
)
def test_after_hours_rejects_bad_triage_and_menu_steps(spec: str, shown: str) -> None:
    reject("after_hours", shown, S.parse_after_hours, spec, "US")


# -- menu rules ------------------------------------------------------------------------------


def test_a_consistent_menu_passes() -> None:
    rules.check_menu(D, MAIN, previous=MAIN)
    rules.check_menu(D, Menu("Fresh", Prompt(sound="pbx/prompts/rec-1")))
    rules.check_menu(EMPTY, Menu("Loop", HELLO, (("1", T(OptionKind.MENU, "Loop")),)))


def test_a_menu_name_is_taken_once() -> None:
    reject("name", "a menu named 'Main' already exists", rules.check_menu, D, MAIN)
    renamed = Menu("Billing", HELLO)
    reject("name", "'Billing' already exists", rules.check_menu, D, renamed, MAIN)


def test_a_renamed_menu_may_still_name_itself_by_its_old_name() -> None:
    loop = Menu("Loop", HELLO, (("1", T(OptionKind.MENU, "Loop")),))
    d = Directory(menus=(loop,))
    rules.check_menu(d, Menu("Spin", HELLO, (("1", T(OptionKind.MENU, "Loop")),)), loop)
    rules.check_menu(d, Menu("Spin", HELLO, (("1", T(OptionKind.MENU, "Spin")),)), loop)


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        (T(OptionKind.EXTENSION, "109"), "no such extension '109'"),
        (T(OptionKind.GROUP, "Sales"), "no such ring group 'Sales'"),
        (T(OptionKind.USER, "Zed"), "no such user 'Zed'"),
        (T(OptionKind.VOICEMAIL, "Nope"), "no such voicemail box 'Nope'"),
        (T(OptionKind.MENU, "Nope"), "no such menu 'Nope'"),
    ],
)
def test_every_target_must_exist(target: MenuTarget, shown: str) -> None:
    with pytest.raises(NotFound) as info:
        rules.check_menu(EMPTY, Menu("New", HELLO, (("1", target),)))
    assert (info.value.field, info.value.reason) == ("option", shown)
    with pytest.raises(NotFound) as info:
        rules.check_menu(EMPTY, Menu("New", HELLO, default=target))
    assert (info.value.field, info.value.reason) == ("default", shown)


def test_menu_values_are_in_range() -> None:
    reject(
        "timeout",
        "0 is out of range (1 to 60 seconds)",
        rules.check_menu,
        EMPTY,
        Menu("M", HELLO, timeout=0),
    )
    reject("timeout", "61 is out of range", rules.check_menu, EMPTY, Menu("M", HELLO, timeout=61))
    reject(
        "retries",
        "10 is out of range (0 to 9)",
        rules.check_menu,
        EMPTY,
        Menu("M", HELLO, retries=10),
    )
    reject("retries", "-1 is out of range", rules.check_menu, EMPTY, Menu("M", HELLO, retries=-1))
    rules.check_menu(EMPTY, Menu("M", HELLO, timeout=1, retries=0))
    rules.check_menu(EMPTY, Menu("M", HELLO, timeout=60, retries=9))


def test_a_key_has_one_target() -> None:
    twice = Menu("M", HELLO, (("1", T(OptionKind.ONCALL)), ("1", T(OptionKind.REPEAT))))
    reject("option", "key 1 is given twice", rules.check_menu, EMPTY, twice)


def test_prompts_must_say_something() -> None:
    reject("prompt", "neither text nor a recording", rules.check_menu, EMPTY, Menu("M", Prompt()))
    reject(
        "prompt", "neither text nor a recording", rules.check_menu, EMPTY, Menu("M", Prompt("  "))
    )
    silent = Menu("M", HELLO, invalid_prompt=Prompt())
    reject("invalid_prompt", "neither text nor a recording", rules.check_menu, EMPTY, silent)


def test_repeat_is_no_default() -> None:
    looping = Menu("M", HELLO, default=T(OptionKind.REPEAT))
    reject("default", "repeat would replay the menu for ever", rules.check_menu, EMPTY, looping)


def test_a_number_target_needs_a_number() -> None:
    reject(
        "option",
        "names no phone number",
        rules.check_menu,
        EMPTY,
        Menu("M", HELLO, (("1", T(OptionKind.NUMBER)),)),
    )


# -- what refers to menus, and what menus refer to -------------------------------------------


def test_a_menu_in_use_is_not_removed() -> None:
    reject("menu", "'Main' is the destination of +13125550100", rules.check_menu_removal, D, MAIN)
    reject("menu", "'Billing' is in the after-hours chain of 'Night'", rules.check_menu_removal,
           Directory(schedules=(NIGHT,), menus=(BILLING,)), BILLING)  # fmt: skip
    reject("menu", "'Billing' is still used by menu 'Main' (key 4)", rules.check_menu_removal,
           Directory(menus=(BILLING, MAIN)), BILLING)  # fmt: skip


def test_an_unused_menu_goes_even_when_it_names_itself() -> None:
    loop = Menu(
        "Loop", HELLO, (("1", T(OptionKind.MENU, "Loop")),), default=T(OptionKind.MENU, "Loop")
    )
    rules.check_menu_removal(Directory(menus=(loop,)), loop)
    rules.check_menu_removal(Directory(menus=(MAIN,)), MAIN)


def test_what_a_menu_names_is_not_removed() -> None:
    d = Directory(users=(ANN, BOB), extensions=(E101, E102), boxes=(BOX,), menus=(MAIN,))
    reject(
        "extension",
        "102 is still used by menu 'Main' (key 2)",
        rules.check_extension_removal,
        d,
        E102,
    )
    reject(
        "extension",
        "101 is still used by menu 'Main' (default)",
        rules.check_extension_removal,
        d,
        E101,
    )
    reject(
        "group",
        "'Dispatch' is still used by menu 'Main' (key 1)",
        rules.check_group_removal,
        d,
        GROUP,
    )
    reject("box", "'Main' is still used by menu 'Main' (key 0)", rules.check_box_removal, d, BOX)
    d = Directory(users=(ANN, BOB), menus=(MAIN,))  # Bob owns no extension here
    reject("user", "'Bob' is still used by menu 'Main' (key 3)", rules.check_user_removal, d, BOB)
    rules.check_user_removal(d, ANN)
    rules.check_group_removal(Directory(groups=(OTHERS,), menus=(MAIN,)), OTHERS)


def test_a_menu_naming_a_target_twice_says_where() -> None:
    twice = Menu("Twice", HELLO, (("1", T(OptionKind.GROUP, "Dispatch")), ("5", T(OptionKind.GROUP, "Dispatch"))),
                 default=T(OptionKind.GROUP, "Dispatch"))  # fmt: skip
    d = Directory(groups=(GROUP,), menus=(twice,))
    reject("group", "menu 'Twice' (key 1, key 5, default)", rules.check_group_removal, d, GROUP)


def test_a_box_is_not_confused_with_a_menu_of_its_name() -> None:
    night = Schedule("Night", "UTC", (), after_hours=(AfterHoursStep(AfterHoursKind.MENU, "Main"),))
    menus = (Menu("Main", HELLO),)
    rules.check_box_removal(Directory(boxes=(BOX,), schedules=(night,), menus=menus), BOX)


def test_numbers_and_schedules_may_go_to_menus_that_exist() -> None:
    rules.check_destination(D, Destination(DestKind.MENU, "Main"))
    rules.check_number(D, NUMBER, previous=NUMBER)
    with pytest.raises(NotFound) as info:
        rules.check_destination(D, Destination(DestKind.MENU, "Nope"))
    assert (info.value.field, info.value.reason) == ("dest", "no such menu 'Nope'")
    rules.check_schedule(D, NIGHT, previous=NIGHT)
    lost = Schedule("Lost", "UTC", (), after_hours=(AfterHoursStep(AfterHoursKind.MENU, "Nope"),))
    with pytest.raises(NotFound) as info:
        rules.check_schedule(D, lost)
    assert info.value.field == "after_hours"
    mute = Schedule("Mute", "UTC", (), after_hours=(AfterHoursStep(AfterHoursKind.TRIAGE, prompt=Prompt()),
                                                      AfterHoursStep(AfterHoursKind.ONCALL)))  # fmt: skip
    reject("triage_prompt", "neither text nor a recording", rules.check_schedule, D, mute)


def test_require_menu() -> None:
    assert rules.require_menu(D, "Main") is MAIN
    with pytest.raises(NotFound) as info:
        rules.require_menu(D, "main")
    assert info.value.field == "menu"


# -- presentation ----------------------------------------------------------------------------


def test_a_menu_as_data() -> None:
    view = present.menu(MAIN)
    assert view == {
        "name": "Main",
        "prompt": "Thanks for calling. For dispatch press 1.",
        "prompt_sound": "pbx/prompts/tts-1",
        "options": {
            "0": "voicemail:Main",
            "1": "group:Dispatch",
            "2": "ext:102",
            "3": "user:Bob",
            "4": "menu:Billing",
            "9": "oncall",
            "*": "number:+13125550150",
            "#": "repeat",
        },
        "default": "ext:101",
        "timeout": 5,
        "retries": 2,
        "invalid_prompt": "Sorry, that is not an option.",
        "direct_dial": False,
    }
    recorded = present.menu(Menu("Rec", Prompt(sound="pbx/prompts/rec-abc")))
    assert recorded["prompt"] == "recording pbx/prompts/rec-abc"
    assert recorded["default"] is None and recorded["invalid_prompt"] is None
    row = present.menu_row(MAIN)
    assert row["options"][:2] == ["0=voicemail:Main", "1=group:Dispatch"]
    assert row["prompt"].endswith("...") and len(row["prompt"]) == 40


def test_a_schedule_with_triage_shows_its_question() -> None:
    asked = Schedule("N", "UTC", (), after_hours=(
        AfterHoursStep(AfterHoursKind.TRIAGE, prompt=Prompt("Emergency? Press 1.", "s")),
        AfterHoursStep(AfterHoursKind.ONCALL),
    ))  # fmt: skip
    assert present.schedule(asked)["after_hours"] == ["triage", "oncall"]
    assert present.schedule(asked)["triage_prompt"] == "Emergency? Press 1."
    assert present.schedule(NIGHT)["triage_prompt"] is None  # the standard question
    assert "triage_prompt" not in present.schedule(Schedule("Plain", "UTC", ()))


def test_a_triaged_call_shows_the_answer() -> None:
    start = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)
    call = CallRecord(
        "n:1", Direction.INBOUND, "+13125550177", "+13125550100", start, triage="emergency"
    )
    assert present.call(call)["triage"] == "emergency"
    assert present.call_detail(call)["triage"] == "emergency"
    plain = CallRecord("n:2", Direction.INBOUND, "+13125550177", "+13125550100", start)
    assert present.call(plain)["triage"] is None

"""Menus, menu destinations and the after-hours triage stored for real (SQLite and
PostgreSQL), through the directory service with real prompts (flite), and the `pbx` CLI
end to end against a temporary PBX_HOME.

Refused changes leave the stored directory exactly as it was; bad CLI input gives one
line on stderr naming the field, and exit status 2.
"""

from __future__ import annotations

import asyncio
import json
import math
import struct
import wave
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.adapters.sounds import PromptMaker
from pbx.core.calls import CallPatch, Direction, Disposition
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BoxKind,
    BusinessNumber,
    Destination,
    DestKind,
    Extension,
    Menu,
    MenuTarget,
    OptionKind,
    Prompt,
    RingGroup,
    Schedule,
    Strategy,
    User,
    VoicemailBox,
)
from pbx.runtime.settings import load_settings
from pbx.services.directory import DirectoryService
from tests.integration.cli_runner import ok, pbx, use_home

T = MenuTarget
ANN = User("Ann", "ann@example.com", "+13125550101")
BOB = User("Bob", "bob@example.com")
EXT_101 = Extension("101", "Ann", "secret-101-xxxxxxxx")
EXT_102 = Extension("102", "Bob", "secret-102-xxxxxxxx")
BOX = VoicemailBox("Main", BoxKind.SHARED, ("Ann",))
DISPATCH = RingGroup("Dispatch", Strategy.RING_ALL, ("101", "102"))
MAIN = Menu(
    "Main",
    Prompt("For dispatch press 1.", "pbx/prompts/tts-0123"),
    (
        ("0", T(OptionKind.VOICEMAIL, "Main")),
        ("1", T(OptionKind.GROUP, "Dispatch")),
        ("2", T(OptionKind.EXTENSION, "102")),
        ("3", T(OptionKind.USER, "Bob")),
        ("4", T(OptionKind.MENU, "Billing")),
        ("5", T(OptionKind.MENU, "Main")),
        ("9", T(OptionKind.ONCALL)),
        ("*", T(OptionKind.NUMBER, "+13125550150")),
        ("#", T(OptionKind.REPEAT)),
    ),
    default=T(OptionKind.USER, "Bob"),
    timeout=7,
    retries=0,
    invalid_prompt=Prompt(sound="pbx/prompts/rec-4567"),
    direct_dial=True,
)
BILLING = Menu("Billing", Prompt("Billing."), (("0", T(OptionKind.MENU, "Main")),))
NIGHT = Schedule(
    "Night",
    "America/Chicago",
    (),
    after_hours=(
        AfterHoursStep(AfterHoursKind.TRIAGE, prompt=Prompt("Emergency? Press 1.", "pbx/x")),
        AfterHoursStep(AfterHoursKind.ONCALL),
        AfterHoursStep(AfterHoursKind.MENU, "Billing"),
    ),
)
SPOKEN = Schedule(
    "Spoken",
    "UTC",
    (),
    after_hours=(
        AfterHoursStep(AfterHoursKind.TRIAGE, spoken=True),
        AfterHoursStep(AfterHoursKind.ONCALL),
        AfterHoursStep(AfterHoursKind.VOICEMAIL, "Main"),
    ),
)
NUMBER = BusinessNumber(
    "+13125550100", "Main line", destination=Destination(DestKind.MENU, "Main"), schedule="Night"
)
# Main and Billing name each other: Main is stored without its key 4 first
MAIN_FIRST = replace(MAIN, options=tuple(o for o in MAIN.options if o[0] != "4"))
ALL = (ANN, BOB, EXT_101, EXT_102, BOX, DISPATCH, MAIN_FIRST, BILLING, NIGHT, SPOKEN, NUMBER)


@pytest.fixture
async def repo(db_url: str) -> AsyncIterator[SqlRepository]:
    repository = await open_repository(db_url)
    try:
        yield repository
    finally:
        await repository.close()


async def add_all(repo: SqlRepository) -> None:
    for item in ALL:
        assert await repo.add(item) == item
    assert await repo.replace(MAIN_FIRST, MAIN) == MAIN


# -- the repository ----------------------------------------------------------------------------


async def test_menus_destinations_and_triage_steps_round_trip(repo: SqlRepository) -> None:
    await add_all(repo)
    d = await repo.snapshot()
    assert d.menus == (BILLING, MAIN)
    assert d.menu("Main") == MAIN
    assert d.numbers == (NUMBER,)
    assert d.schedules == (NIGHT, SPOKEN)


async def test_options_come_back_in_key_order(repo: SqlRepository) -> None:
    keys = ("#", "*", "9", "0", "1")
    shuffled = Menu("Shuffled", Prompt("Hi."), tuple((k, T(OptionKind.ONCALL)) for k in keys))
    await repo.add(shuffled)
    stored = (await repo.snapshot()).menu("Shuffled")
    assert stored is not None
    assert [k for k, _ in stored.options] == ["0", "1", "9", "*", "#"]


async def test_menu_writes_bump_the_directory_revision(repo: SqlRepository) -> None:
    start = await repo.revision()
    alone = Menu("Alone", Prompt("Hi."), (("1", T(OptionKind.MENU, "Alone")),))
    await repo.add(alone)
    assert await repo.revision() == start + 1
    await repo.replace(alone, replace(alone, timeout=9))
    assert await repo.revision() == start + 2
    await repo.remove(replace(alone, timeout=9))
    assert await repo.revision() == start + 3
    assert (await repo.snapshot()).menus == ()


async def test_renames_follow_into_menus_numbers_and_chains(repo: SqlRepository) -> None:
    await add_all(repo)
    await repo.replace(MAIN, replace(MAIN, name="Front"))
    await repo.replace(DISPATCH, replace(DISPATCH, name="Dispatchers"))
    await repo.replace(BOB, replace(BOB, name="Robert"))
    billing = (await repo.snapshot()).menu("Billing")  # it names Front now
    assert billing == replace(BILLING, options=(("0", T(OptionKind.MENU, "Front")),))
    await repo.replace(billing, replace(billing, name="Accounts"))
    d = await repo.snapshot()
    front = d.menu("Front")
    assert front is not None and d.menu("Main") is None
    assert dict(front.options)["1"] == T(OptionKind.GROUP, "Dispatchers")
    assert dict(front.options)["3"] == T(OptionKind.USER, "Robert")
    assert dict(front.options)["4"] == T(OptionKind.MENU, "Accounts")
    assert dict(front.options)["5"] == T(OptionKind.MENU, "Front")  # itself
    assert front.default == T(OptionKind.USER, "Robert")
    assert d.menu("Accounts") == replace(
        BILLING, name="Accounts", options=(("0", T(OptionKind.MENU, "Front")),)
    )
    assert d.numbers[0].destination == Destination(DestKind.MENU, "Front")
    assert d.schedules[0].after_hours[2] == AfterHoursStep(AfterHoursKind.MENU, "Accounts")


async def test_a_number_moves_between_menu_group_and_no_destination(repo: SqlRepository) -> None:
    await add_all(repo)
    for dest in (
        Destination(DestKind.GROUP, "Dispatch"),
        None,
        Destination(DestKind.MENU, "Billing"),
    ):
        old = (await repo.snapshot()).numbers[0]
        await repo.replace(old, replace(old, destination=dest))
        assert (await repo.snapshot()).numbers[0].destination == dest


async def test_the_database_refuses_removing_a_menu_in_use(repo: SqlRepository) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as info:
        await repo.remove(MAIN)
    assert info.value.field == "menu"
    assert "business number +13125550100" in info.value.reason
    with pytest.raises(InvalidInput) as info:
        await repo.remove(BILLING)
    assert info.value.field == "menu" and "schedule 'Night'" in info.value.reason
    assert await repo.snapshot() == before


async def test_a_taken_name_and_missing_targets_store_nothing(repo: SqlRepository) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as info:
        await repo.add(MAIN)
    assert (info.value.field, info.value.reason) == ("menu", "'Main' is already taken")
    lost = Menu("Lost", Prompt("Hi."), (("1", T(OptionKind.EXTENSION, "109")),))
    with pytest.raises(NotFound) as found:
        await repo.add(lost)
    assert (found.value.field, found.value.reason) == ("option", "no such extension 109")
    nowhere = Menu("Nowhere", Prompt("Hi."), default=T(OptionKind.MENU, "Gone"))
    with pytest.raises(NotFound) as found:
        await repo.add(nowhere)
    assert found.value.field == "default"
    chain = (AfterHoursStep(AfterHoursKind.MENU, "Gone"),)
    with pytest.raises(NotFound) as found:
        await repo.add(Schedule("Gone", "UTC", (), after_hours=chain))
    assert found.value.field == "after_hours"
    assert await repo.snapshot() == before


async def test_the_call_log_keeps_the_triage_answer(repo: SqlRepository) -> None:
    start = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)
    new = {"direction": Direction.INBOUND, "caller": "+13125550177", "called": "+13125550100"}
    await repo.apply_call_patches(
        [
            CallPatch("n:1.1", {**new, "started_at": start, "triage": "emergency"}),
            CallPatch("n:2.1", {**new, "started_at": start + timedelta(minutes=1)}),
            CallPatch("n:3.1", {**new, "started_at": start + timedelta(minutes=2)}),
        ]
    )
    await repo.apply_call_patches(
        [
            CallPatch("n:2.1", {"triage": "no-key", "disposition": Disposition.VOICEMAIL}),
            CallPatch("n:3.1", {"triage": "perhaps"}),  # not a triage answer: dropped
        ]
    )
    found = {c.key: c.triage for c in await repo.list_calls()}
    assert found == {"n:1.1": "emergency", "n:2.1": "no-key", "n:3.1": None}


# -- the directory service ------------------------------------------------------------------


def tone_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    """A WAV file of a 440 Hz tone (16-bit mono)."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


async def base(service: DirectoryService) -> None:
    for item in (ANN, BOB, EXT_101, EXT_102, BOX, DISPATCH):
        await service.repo.add(item)


async def test_the_service_speaks_and_converts_prompts(repo: SqlRepository, tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    service = DirectoryService(repo, "US", prompts=PromptMaker(sounds))
    await base(service)
    menu = await service.add_menu(
        "Main",
        prompt="For dispatch press 1.",
        options=["1=group:Dispatch", "2=ext:101", "0=voicemail:Main", "*=(312) 555-0150"],
        default="oncall",
        invalid_prompt_file=tone_wav(tmp_path / "sorry.wav"),
    )
    assert menu.prompt.text == "For dispatch press 1." and menu.prompt.sound
    assert (sounds / f"{menu.prompt.sound}.wav").stat().st_size > 1000
    assert menu.invalid_prompt is not None and menu.invalid_prompt.text is None
    with wave.open(str(sounds / f"{menu.invalid_prompt.sound}.wav"), "rb") as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1)
    assert [k for k, _ in menu.options] == ["0", "1", "2", "*"]
    assert dict(menu.options)["*"] == T(OptionKind.NUMBER, "+13125550150")
    assert await service.menu("Main") == menu
    assert await service.menus() == (menu,)


async def test_the_service_changes_options_default_and_prompts(
    repo: SqlRepository, tmp_path: Path
) -> None:
    service = DirectoryService(repo, "US", prompts=PromptMaker(tmp_path / "sounds"))
    await base(service)
    await service.add_menu("Main", prompt="Hello.", options=["1=ext:101", "2=ext:102"])
    menu = await service.update_menu(
        "Main", options=["2=group:Dispatch", "3=menu:Main"], remove_options=["1"], default="ext:101"
    )
    assert menu.options == (
        ("2", T(OptionKind.GROUP, "Dispatch")),
        ("3", T(OptionKind.MENU, "Main")),
    )
    assert menu.default == T(OptionKind.EXTENSION, "101")
    menu = await service.update_menu(
        "Main", clear_options=True, options=["#=repeat"], default="", timeout="9", retries=4,
        invalid_prompt="Sorry.", direct_dial=True,
    )  # fmt: skip
    assert menu.options == (("#", T(OptionKind.REPEAT)),)
    assert (menu.default, menu.timeout, menu.retries, menu.direct_dial) == (None, 9, 4, True)
    assert menu.invalid_prompt is not None and menu.invalid_prompt.text == "Sorry."
    menu = await service.update_menu("Main", invalid_prompt="", prompt="Welcome.")
    assert menu.invalid_prompt is None and menu.prompt.text == "Welcome."
    assert (await repo.snapshot()).menus == (menu,)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"remove_options": ["7"]}, "remove_option"),
        ({"options": ["1=ext:109"]}, "option"),
        ({"options": ["x=ext:101"]}, "option"),
        ({"options": ["1=ext:101", "1=ext:102"]}, "option"),
        ({"default": "repeat"}, "default"),
        ({"timeout": 0}, "timeout"),
        ({"retries": "ten"}, "retries"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "Hi.", "prompt_file": "/x.wav"}, "prompt"),
        ({"prompt_file": "/nowhere/at/all.wav"}, "prompt_file"),
        ({"new_name": "Other"}, "name"),
        ({"options": ["1=+44 20 7946 0958"]}, "option"),  # international dialling is off
    ],
)
async def test_a_refused_menu_change_stores_nothing(
    repo: SqlRepository, tmp_path: Path, change: dict[str, object], field: str
) -> None:
    service = DirectoryService(repo, "US", prompts=PromptMaker(tmp_path / "sounds"))
    await base(service)
    await service.add_menu("Main", prompt="Hello.", options=["1=ext:101"])
    await service.add_menu("Other", prompt="Hello.")
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as info:
        await service.update_menu("Main", **change)  # type: ignore[arg-type]
    assert info.value.field == field, info.value
    assert await repo.snapshot() == before


async def test_refused_removals_leave_everything_in_place(repo: SqlRepository) -> None:
    service = DirectoryService(repo, "US")
    await base(service)
    await service.add_extension("103", "Ann")
    await service.add_menu("Billing", prompt="Billing.", options=["0=voicemail:Main"])
    await service.add_menu(
        "Main", prompt="Hello.", options=["1=group:Dispatch", "2=menu:Billing", "3=user:Bob"],
        default="ext:103",
    )  # fmt: skip
    await service.add_number("+1 312 555 0100", "Main line", dest="menu:Main")
    before = await repo.snapshot()
    refusals = [
        (lambda: service.remove_menu("Main"), "menu", "destination of +13125550100"),
        (lambda: service.remove_menu("Billing"), "menu", "menu 'Main' (key 2)"),
        (lambda: service.remove_group("Dispatch"), "group", "menu 'Main' (key 1)"),
        (lambda: service.remove_box("Main"), "box", "menu 'Billing' (key 0)"),
        (lambda: service.remove_extension("103"), "extension", "menu 'Main' (default)"),
    ]
    for call, field, shown in refusals:
        with pytest.raises(InvalidInput) as info:
            await call()
        assert info.value.field == field and shown in info.value.reason, info.value
    assert await repo.snapshot() == before
    await service.update_number("+13125550100", dest="")
    await service.remove_menu("Main")
    await service.remove_menu("Billing")
    assert (await repo.snapshot()).menus == ()


async def test_without_a_prompt_maker_text_waits_and_files_are_refused(
    repo: SqlRepository, tmp_path: Path
) -> None:
    service = DirectoryService(repo, "US")
    menu = await service.add_menu("Main", prompt="  Hello.  ", default="oncall")
    assert menu.prompt == Prompt("Hello.")  # spoken later by the controller's prompt keeper
    with pytest.raises(InvalidInput) as info:
        await service.add_menu("Rec", prompt_file=tone_wav(tmp_path / "hello.wav"))
    assert info.value.field == "prompt_file"
    with pytest.raises(InvalidInput) as info:
        await service.add_menu("Silent")
    assert info.value.field == "prompt"
    assert (await repo.snapshot()).menus == (menu,)


async def test_the_triage_question_of_a_schedule(repo: SqlRepository, tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    service = DirectoryService(repo, "US", prompts=PromptMaker(sounds))
    await base(service)
    sched = await service.add_schedule(
        "Night", "UTC", ["mon 08:00-09:00"], after_hours="triage,oncall,voicemail:Main",
        triage_prompt="We are closed. Emergency? Press 1.",
    )  # fmt: skip
    asked = sched.after_hours[0].prompt
    assert asked is not None and asked.text == "We are closed. Emergency? Press 1."
    assert (sounds / f"{asked.sound}.wav").is_file()
    # a new chain keeps the question; a recording replaces it; '' is the standard question
    sched = await service.update_schedule(
        "Night", after_hours="triage:spoken,oncall,voicemail:Main"
    )
    assert sched.after_hours[0] == AfterHoursStep(AfterHoursKind.TRIAGE, prompt=asked, spoken=True)
    wav = tone_wav(tmp_path / "question.wav")
    sched = await service.update_schedule("Night", triage_prompt_file=wav)
    recorded = sched.after_hours[0].prompt
    assert recorded is not None and recorded.text is None and recorded.sound
    sched = await service.update_schedule("Night", triage_prompt="")
    assert sched.after_hours[0].prompt is None
    assert (await repo.snapshot()).schedules == (sched,)
    before = await repo.snapshot()
    refusals = [
        (lambda: service.update_schedule("Night", after_hours="oncall", triage_prompt="Hi"), "triage_prompt"),
        (lambda: service.add_schedule("Day", "UTC", [], triage_prompt_file=wav), "triage_prompt_file"),
        (lambda: service.update_schedule("Night", after_hours="triage,menu:Nope"), "after_hours"),
        (lambda: service.update_schedule("Night", after_hours="oncall,triage"), "after_hours"),
        (lambda: service.update_schedule("Night", triage_prompt="Hi", triage_prompt_file=wav), "triage_prompt"),
    ]  # fmt: skip
    for call, field in refusals:
        with pytest.raises(InvalidInput) as info:
            await call()
        assert info.value.field == field, info.value
    assert await repo.snapshot() == before


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = use_home(tmp_path / "pbx-home", monkeypatch)
    ok("init")
    ok("user", "add", "Ann", "--email", "ann@example.com", "--mobile", "+1 312 555 0101")
    ok("user", "add", "Bob", "--email", "bob@example.com")
    ok("ext", "add", "101", "--user", "Ann")
    ok("ext", "add", "102", "--user", "Bob")
    ok("voicemail", "box", "add", "Main", "--members", "Ann")
    ok("group", "add", "Dispatch", "--strategy", "ring-all", "--members", "101,102")
    return home


def refused(*args: str) -> str:
    """The one-line error of a refused command (exit status 2)."""
    code, out, err = pbx(*args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err.strip()


def menus() -> list[dict[str, object]]:
    return json.loads(ok("menu", "list", "--json"))  # type: ignore[no-any-return]


def test_cli_menu_add_synthesises_its_prompt(home: Path) -> None:
    out = ok(
        "menu", "add", "Main", "--prompt", "Thanks for calling. For dispatch, press 1.",
        "--option", "1=group:Dispatch", "--option", "2=ext:101", "--option", "0=voicemail:Main",
        "--default", "voicemail:Main", "--timeout", "6", "--invalid-prompt", "Sorry.",
    )  # fmt: skip
    assert out.strip() == "added menu 'Main'"
    shown = json.loads(ok("menu", "show", "Main", "--json"))
    assert shown["options"] == {"0": "voicemail:Main", "1": "group:Dispatch", "2": "ext:101"}
    assert (shown["default"], shown["timeout"], shown["retries"]) == ("voicemail:Main", 6, 2)
    wav_path = load_settings().asterisk_dir / "sounds" / f"{shown['prompt_sound']}.wav"
    with wave.open(str(wav_path), "rb") as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1)
        assert w.getnframes() > 8000  # more than a second of speech
    table = ok("menu", "show", "Main")
    assert "options:" in table and "  1  group:Dispatch" in table
    assert "Main" in ok("menu", "list") and [m["name"] for m in menus()] == ["Main"]


def test_cli_a_bad_option_is_one_line_naming_option(home: Path) -> None:
    for bad in ("1", "x=ext:101", "1=nowhere", "1=ext:109", "1=group:Sales"):
        error = refused("menu", "add", "Main", "--prompt", "Hi.", "--option", bad)
        assert error.startswith("error: option: "), error
    assert "error: prompt: " in refused("menu", "add", "Main", "--option", "1=ext:101")
    assert "error: timeout: " in refused("menu", "add", "Main", "--prompt", "Hi.", "--timeout", "0")
    assert "error: prompt_file: " in refused("menu", "add", "Main", "--prompt-file", "/no/such.wav")
    assert menus() == []


def test_cli_numbers_schedules_and_menus_together(home: Path) -> None:
    ok("menu", "add", "Main", "--prompt", "Hello.", "--option", "1=group:Dispatch")
    ok("number", "add", "+13125550100", "--label", "Main line", "--dest", "menu:Main")
    assert json.loads(ok("number", "show", "+13125550100", "--json"))["dest"] == "menu:Main"
    made = set(load_settings().asterisk_dir.rglob("tts-*.wav"))
    ok(
        "schedule", "add", "Night", "--tz", "America/Chicago", "--hours", "mon-fri 08:00-17:00",
        "--after-hours", "triage,oncall,voicemail:Main", "--triage-prompt", "Closed. Emergency? Press 1.",
    )  # fmt: skip
    assert len(set(load_settings().asterisk_dir.rglob("tts-*.wav")) - made) == 1
    night = json.loads(ok("schedule", "show", "Night", "--json"))
    assert night["after_hours"] == ["triage", "oncall", "voicemail:Main"]
    assert night["triage_prompt"] == "Closed. Emergency? Press 1."
    ok("schedule", "update", "Night", "--after-hours", "triage:spoken,oncall,menu:Main")
    night = json.loads(ok("schedule", "show", "Night", "--json"))
    assert night["after_hours"] == ["triage:spoken", "oncall", "menu:Main"]
    assert night["triage_prompt"] == "Closed. Emergency? Press 1."  # kept
    assert "triage_prompt" in refused(
        "schedule", "update", "Night", "--after-hours", "oncall", "--triage-prompt", "Hi"
    )
    assert "after_hours" in refused("schedule", "update", "Night", "--after-hours", "oncall,triage")
    # in use: refused, and nothing changes
    before = (menus(), ok("number", "list", "--json"), ok("schedule", "list", "--json"))
    assert "destination of +13125550100" in refused("menu", "remove", "Main")
    assert "menu 'Main' (key 1)" in refused("group", "remove", "Dispatch")
    assert "remove_option" in refused("menu", "update", "Main", "--remove-option", "7")
    assert before == (menus(), ok("number", "list", "--json"), ok("schedule", "list", "--json"))
    ok("menu", "update", "Main", "--option", "2=ext:102", "--option", "1=oncall", "--retries", "3")
    assert menus()[0]["options"] == {"1": "oncall", "2": "ext:102"}
    ok("menu", "update", "Main", "--name", "Front", "--clear-options", "--option", "#=repeat")
    assert json.loads(ok("number", "show", "+13125550100", "--json"))["dest"] == "menu:Front"
    assert json.loads(ok("schedule", "show", "Night", "--json"))["after_hours"][2] == "menu:Front"
    ok("number", "update", "+13125550100", "--dest", "group:Dispatch")
    ok("schedule", "update", "Night", "--after-hours", "")
    assert ok("menu", "remove", "Front").strip() == "removed menu 'Front'"
    assert menus() == []


def test_cli_calls_show_the_triage_answer(home: Path) -> None:
    settings = load_settings()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    call = {"direction": Direction.INBOUND, "caller": "+13125550177", "called": "+13125550100"}

    async def fill() -> dict[str, int]:
        repo = await open_repository(settings.effective_database_url)
        try:
            await repo.apply_call_patches([
                CallPatch("n:1.1", {**call, "started_at": start, "triage": "emergency",
                                    "route": ("after hours", "triage: pressed 1: an emergency")}),
                CallPatch("n:2.1", {**call, "started_at": start + timedelta(seconds=30)}),
            ])  # fmt: skip
            return {c.key: c.id or 0 for c in await repo.list_calls()}
        finally:
            await repo.close()

    ids = asyncio.run(fill())
    shown = ok("calls", "show", str(ids["n:1.1"]))
    assert any(line.split() == ["triage", "emergency"] for line in shown.splitlines()), shown
    assert "triage: pressed 1: an emergency" in shown
    assert json.loads(ok("calls", "show", str(ids["n:1.1"]), "--json"))["triage"] == "emergency"
    plain = ok("calls", "show", str(ids["n:2.1"]))
    assert not any(line.startswith("triage") for line in plain.splitlines()), plain
    assert json.loads(ok("calls", "show", str(ids["n:2.1"]), "--json"))["triage"] is None
    listed = json.loads(ok("calls", "list", "--json"))
    assert [c["triage"] for c in listed] == [None, "emergency"]

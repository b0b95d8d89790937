"""Emergency keyword matching on transcripts (pure: no audio, no files)."""

from __future__ import annotations

import pytest

from pbx.core.errors import InvalidInput
from pbx.core.keywords import (
    DEFAULT_KEYWORDS,
    MAX_KEYWORD_CHARS,
    MAX_KEYWORD_WORDS,
    match,
    normalize_keyword,
    sound_distance,
    stem,
    words,
)

KW = DEFAULT_KEYWORDS


def hits(text: str, keywords: tuple[str, ...] | list[str] = KW) -> tuple[str, ...]:
    return match(text, keywords)


# --- words and stems -----------------------------------------------------------------------


def test_words_lower_case_and_clitics() -> None:
    assert words("The HEAT's out, isn't it? We can't; it won't") == [
        "the", "heat", "out", "is", "not", "it", "we", "can", "not", "it", "will", "not",
    ]  # fmt: skip


def test_words_curly_apostrophes_and_backup_split() -> None:
    assert words("There\u2019s a sewer backup") == ["there", "a", "sewer", "back", "up"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("leak", "leaking"), ("leak", "leaks"), ("leak", "leaked"),
        ("flood", "flooded"), ("flood", "flooding"), ("flooding", "floods"),
        ("pipe", "pipes"), ("stop", "stopped"), ("stop", "stopping"),
        ("smell", "smelled"), ("freeze", "froze"), ("freeze", "frozen"), ("freeze", "freezing"),
        ("go", "went"), ("go", "going"), ("break", "broken"), ("die", "died"), ("die", "dying"),
        ("come", "coming"), ("spark", "sparks"), ("spark", "sparking"), ("batteries", "battery"),
        ("smoke", "smoking"), ("burn", "burnt"), ("heat", "heating"), ("gas", "gases"),
    ],
)  # fmt: skip
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("leak", "leakage"), ("leak", "leaky"), ("heat", "heater"), ("fire", "fireplace"),
        ("smoke", "smoker"), ("power", "powerful"), ("gas", "ga"), ("flood", "floodlight"),
    ],
)  # fmt: skip
def test_derivations_do_not_share_a_stem(a: str, b: str) -> None:
    assert stem(a) != stem(b)


def test_short_words_are_not_cut() -> None:
    assert [stem(w) for w in ("gas", "is", "this", "need", "bed", "thing", "ring")] == [
        "gas", "is", "this", "need", "bed", "thing", "ring",
    ]  # fmt: skip


# --- single words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "water is leaking through the ceiling",
        "the water heater leaks",
        "something leaked overnight",
        "there's a leak under the sink",
        "LEAKING!",
    ],
)
def test_leak_inflections(text: str) -> None:
    assert hits(text, ["leak"]) == ("leak",)


def test_near_words_do_not_match_single_keywords() -> None:
    assert hits("some leakage around the leaky faucet", ["leak"]) == ()
    assert hits("we'd like a fireplace estimate", ["fire"]) == ()
    assert hits("quote for a new heater", ["heat"]) == ()


def test_keyword_inside_a_word_does_not_match() -> None:
    assert hits("the gasket and the pipeline", ["gas", "pipe"]) == ()


# --- phrases -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "there is no heat",
        "there's no heating in the house",
        "we have no more heat",
        "no heat at all",
    ],
)
def test_no_heat_matches(text: str) -> None:
    assert hits(text, ["no heat"]) == ("no heat",)


@pytest.mark.parametrize(
    "text",
    [
        "i'd like a heating estimate",
        "no problem, the heat pump is fine",  # "no" then two other words: not negating heat
        "the heat is fine, no rush",  # order kept for phrases with "no"
        "no i said the heating",
    ],
)
def test_no_heat_does_not_match(text: str) -> None:
    assert hits(text, ["no heat"]) == ()


def test_gap_of_two_words_allowed_three_not() -> None:
    assert hits("smell of natural gas", ["smell gas"]) == ("smell gas",)
    assert hits("smell in the whole gas", ["smell gas"]) == ()


@pytest.mark.parametrize(
    "text", ["a burst pipe", "the pipes burst", "a pipe has burst", "burst pipes upstairs"]
)
def test_content_phrase_in_either_order(text: str) -> None:
    assert hits(text, ["burst pipe"]) == ("burst pipe",)


def test_phrase_with_function_word_keeps_order() -> None:
    assert hits("the heat went out last night", ["heat out"]) == ("heat out",)
    assert hits("we ran out of heat", ["heat out"]) == ()


def test_after_negation_only_fillers_may_come_between() -> None:
    assert hits("no more hot water", ["no hot water"]) == ("no hot water",)
    assert hits("no really hot water", ["no hot water"]) == ("no hot water",)
    assert hits("no, the hot water is fine", ["no hot water"]) == ()


def test_four_word_phrase_with_contraction() -> None:
    keyword = ["air conditioner not working"]
    assert hits("the air conditioner isn't working", keyword) == ("air conditioner not working",)


def test_sewer_backup_forms() -> None:
    for text in ("sewer backup", "the sewer is backing up", "sewer line backed up"):
        assert hits(text, ["sewer backup"]) == ("sewer backup",), text
    assert hits("a quote for a backup generator", ["sewer backup"]) == ()


# --- compounds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "please install two flood lights over the garage",
        "i need smoke detectors in the addition",
        "one carbon monoxide detector installed",
        "quote for power washing the deck",
        "a fire pit gas hookup",
        "fire sprinkler inspection service",
        "can you come power wash the siding",
        "no water heater installed yet",
    ],
)
def test_compounds_are_not_emergencies(text: str) -> None:
    assert hits(text) == ()


def test_compound_elsewhere_does_not_hide_a_real_hit() -> None:
    text = "the smoke detector went off and there is smoke in the hall"
    assert "smoke" in hits(text)
    assert hits("the basement flooded, not the flood lights", ["flooding"]) == ("flooding",)


def test_carbon_monoxide_alarm_going_off_is_an_emergency() -> None:
    assert hits("our carbon monoxide alarm is going off") == ("alarm going off",)
    assert hits("the screen says carbon monoxide") == ("carbon monoxide",)


# --- whole messages ------------------------------------------------------------------------


def test_order_is_keyword_order_and_no_duplicates() -> None:
    text = "smoke and sparks, more sparks, and a leak, another leak"
    assert match(text, ["sparks", "leak", "smoke", "leak"]) == ("sparks", "leak", "smoke")


def test_keywords_are_returned_as_given() -> None:
    assert match("NO HEAT", ["No Heat"]) == ("No Heat",)


def test_empty_inputs() -> None:
    assert match("", KW) == ()
    assert match("   ", KW) == ()
    assert match("water is leaking", []) == ()
    assert match("water is leaking", ["", "  ", "?!"]) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("our furnace died tonight and there is no heat", ("no heat", "furnace died")),
        ("i smell gas in the kitchen", ("smell gas",)),
        ("a strong smell of gas in the basement", ("smell gas",)),
        (
            "the outlet is sparking and there is a burning smell",
            ("burning smell", "outlet sparking", "sparks"),
        ),
        ("the basement is flooding", ("flooding",)),
        ("water is coming through the ceiling tiles", ("water coming through",)),
        ("we lost power to the coolers", ("lost power",)),
        ("sewage is coming up in the shower drain", ("sewage",)),
        ("the toilet is overflowing", ("overflowing",)),
        ("our pipes froze overnight", ("pipes froze",)),
        ("the furnace is blowing cold air", ("blowing cold air",)),
    ],
)
def test_emergency_messages(text: str, expected: tuple[str, ...]) -> None:
    assert hits(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "i'd like a quote for a new heating system before winter",
        "we are thinking about a gas fireplace insert",
        "the technician installed the heat pump in march",
        "i'm calling about the gas line for our new stove",
        "our hot water is fine now after you relit the pilot",
        "we need quotes before the heating season",
        "i'm calling about the frozen yogurt machine",
        "a maintenance plan for my air conditioning",
        "it's not urgent, the faucet drips a little",
    ],
)
def test_routine_messages(text: str) -> None:
    assert hits(text) == ()


@pytest.mark.parametrize(
    "text",
    [
        "thanks for fixing the leak last week",
        "the leak you fixed last month hasn't come back",
        "the burst pipe was repaired on monday",
    ],
)
def test_a_problem_fixed_or_repaired_is_not_an_emergency(text: str) -> None:
    assert hits(text) == ()


def test_fixed_near_one_occurrence_does_not_hide_another() -> None:
    text = "you fixed the leak last week and now water is pouring through the ceiling again"
    assert hits(text) != ()
    # "fix" in the future is a request, not a repair
    assert hits("can you fix the leak tonight, it is getting worse") == ("leak",)


@pytest.mark.parametrize(
    "text",
    [
        "it's not an emergency",
        "this is not really an emergency",
        "no rush, it is not urgent",
        "there is no leak",
        "no more leaks since you came",
        "the pipe isn't leaking anymore",
        "we never lost power",
    ],
)
def test_directly_negated_keywords_do_not_count(text: str) -> None:
    assert hits(text) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it won't stop leaking", ("leak",)),
        ("we can't stop the leak", ("leak",)),
        ("not sure why but the basement is flooding", ("flooding",)),
        ("there is no heat", ("no heat",)),
        ("this is an emergency", ("emergency",)),
        ("not an emergency, but there is a leak", ("leak",)),
    ],
)
def test_negation_is_narrow(text: str, expected: tuple[str, ...]) -> None:
    assert hits(text) == expected


def test_default_keywords_are_valid_and_unique() -> None:
    assert len(set(KW)) == len(KW)
    for keyword in KW:
        assert normalize_keyword(keyword) == keyword


# --- sound-alike ---------------------------------------------------------------------------

SOUNDS = {
    "no": ("N", "OW"),
    "my": ("M", "AY"),
    "heat": ("HH", "IY", "T"),
    "he'd": ("HH", "IY", "D"),
    "he": ("HH", "IY"),
    "hit": ("HH", "IH", "T"),
    "burst": ("B", "ER", "S", "T"),
    "bust": ("B", "AH", "S", "T"),
    "pipe": ("P", "AY", "P"),
    "like": ("L", "AY", "K"),
    "gas": ("G", "AE", "S"),
    "got": ("G", "AA", "T"),
    "leak": ("L", "IY", "K"),
    "sleeping": ("S", "L", "IY", "P", "IH", "NG"),
    "flooding": ("F", "L", "AH", "D", "IH", "NG"),
    "flooded": ("F", "L", "AH", "D", "IH", "D"),
    "bleeding": ("B", "L", "IY", "D", "IH", "NG"),
    "smoke": ("S", "M", "OW", "K"),
    "detector": ("D", "IH", "T", "EH", "K", "T", "ER"),
    "smoked": ("S", "M", "OW", "K", "T"),
    "flood": ("F", "L", "AH", "D"),
    "light": ("L", "AY", "T"),
    "floods": ("F", "L", "AH", "D", "Z"),
}


def test_sound_distance_basics() -> None:
    assert sound_distance(("HH", "IY", "T"), ("HH", "IY", "T")) == 0
    assert sound_distance(("HH", "IY", "T"), ("HH", "IY", "D")) == 0.5
    assert sound_distance((), ("AH",)) == 0.6
    assert sound_distance(("G", "AE", "S"), ("G", "AA", "T")) == 1.5


def test_sound_alike_recovers_misheard_word() -> None:
    assert match("there is no he'd in the house", ["no heat"]) == ()
    assert match("there is no he'd in the house", ["no heat"], SOUNDS) == ("no heat",)


def test_sound_alike_needs_one_exact_word_in_a_phrase() -> None:
    # "bust" sounds like "burst" but "like" is not "pipe": nothing written exactly
    assert match("a bust like in the basement", ["burst pipe"], SOUNDS) == ()
    assert match("a bust pipe in the basement", ["burst pipe"], SOUNDS) == ("burst pipe",)


def test_sound_alike_never_replaces_function_words() -> None:
    assert match("my heat is fine", ["no heat"], SOUNDS) == ()


def test_sound_alike_keeps_far_words_apart() -> None:
    assert match("i got a quote", ["gas smell", "gas leak"], SOUNDS) == ()
    assert match("we were sleeping upstairs", ["leak"], SOUNDS) == ()
    assert match("his nose was bleeding", ["flooding"], SOUNDS) == ()


def test_sound_alike_alone_needs_a_long_keyword() -> None:
    # "smoked" sounds like "smoke" + ending, but a 4-phone word alone is too risky
    assert match("he smoked", ["smoke"], SOUNDS) == ("smoke",)  # same stem: exact
    assert match("they floods", ["flooding"], SOUNDS) == ("flooding",)  # exact stem too


def test_sound_alike_respects_compounds() -> None:
    assert match("two flood light installs", ["flooding"], SOUNDS) == ()
    assert match("new smoke detector", ["smoke"], SOUNDS) == ()


def test_sound_alike_ignores_words_without_pronunciation() -> None:
    assert match("no hxqt here", ["no heat"], SOUNDS) == ()
    assert match("no he'd", ["no zzyzx"], SOUNDS) == ()


# --- user keywords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Leak", "leak"),
        ("  Burst   PIPE ", "burst pipe"),
        ("no\theat", "no heat"),
        ("can\u2019t stop", "can't stop"),
        ("r22 leak", "r22 leak"),
        ("no gas", "no gas"),  # one uncommon word is enough
        ("Furnace | Boiler  QUIT|died", "furnace|boiler quit|died"),
        ("won't start|light", "won't start|light"),
        ("gas | smell", "gas|smell"),
    ],
)
def test_normalize_keyword(raw: str, expected: str) -> None:
    assert normalize_keyword(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("leak!", "only letters, digits, apostrophes and '|'"),
        ("gas-leak", "only letters, digits, apostrophes and '|'"),
        ("fuite d'eau é", "only letters, digits, apostrophes and '|'"),
        ("' '", "a word needs a letter or a digit"),
        ("furnace|| quit", "an alternative needs a letter or a digit"),
        ("furnace|won't quit", 'an alternative must be one word, not "won\'t"'),
        ("|".join(f"w{i}" for i in range(17)) + " out", "17 alternatives"),
        ("one two three four five", f"at most {MAX_KEYWORD_WORDS}"),
        ("one two|three four five|six seven", f"at most {MAX_KEYWORD_WORDS}"),
        ("x" * 201, f"longer than {MAX_KEYWORD_CHARS}"),
        ("the|furnace it|out", "very common"),
        ("the", "very common"),
        ("no", "very common"),
        ("it is", "very common"),
    ],
)
def test_normalize_keyword_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_keyword(raw)
    assert caught.value.field == "keyword"
    assert reason in caught.value.reason


# --- alternatives --------------------------------------------------------------------------


ALTERNATIVES = ["furnace|heater|boiler quit|died|stopped"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the heater quit on us tonight", "heater quit"),
        ("our boiler died", "boiler died"),
        ("it died, the furnace", "died furnace"),  # content words only: any order
        ("the furnace stopped and it is cold", "furnace stopped"),
    ],
)
def test_alternatives_match_and_are_named_as_heard(text: str, expected: str) -> None:
    assert hits(text, ALTERNATIVES) == (expected,)


def test_alternatives_keep_the_phrase_rules() -> None:
    assert hits("a quote for a new heater, the old one is fine", ALTERNATIVES) == ()
    assert hits("the heater has not quit", ALTERNATIVES) == ()  # negated
    assert hits("the heater that you fixed quit again", ALTERNATIVES) == ()  # repaired
    ordered = ["heat|furnace out"]
    assert hits("the heat is out", ordered) == ("heat out",)
    assert hits("we are out of heat", ordered) == ()


def test_negation_of_a_later_word_of_the_phrase() -> None:
    text = "it needs a new water line. no rush"
    assert hits(text, ["water pour|rush"]) == ()
    assert hits("water is rushing in", ["water pour|rush"]) == ("water rushing",)
    # a negation that is part of the keyword is not a negation of it
    assert hits("the furnace won't start", ["furnace not start"]) == ("furnace not start",)


def test_compound_on_any_word_of_a_phrase() -> None:
    outlet = ["outlet hot|spark"]
    assert hits("an outdoor outlet for the hot tub", outlet) == ()
    assert hits("the outlet is hot to the touch", outlet) == ("outlet hot",)
    assert hits("no hot water at all", ["no hot water"]) == ("no hot water",)


def test_sound_alike_names_the_keyword_word() -> None:
    sounds = {"heater": ("HH", "IY", "T", "ER"), "quit": ("K", "W", "IH", "T")}
    sounds |= {"quid": ("K", "W", "IH", "D")}
    assert match("the heater quid", ["furnace|heater quit|died"], sounds) == ("heater quit",)


@pytest.mark.parametrize(
    "text",
    [
        "the heater quit on us tonight and the house is freezing",
        "a water pipe just split under the kitchen sink",
        "the sump pump died and the basement is taking on water",
        "the main water line outside is broken and water is bubbling up in the yard",
        "the washing machine hose popped off",
        "the furnace won't turn on and it's forty degrees in the house",
        "the lights went out and the panel is buzzing",
        "one of the outlets is scorched",
        "there is water dripping from the light fixture and the ceiling is sagging",
        "it smells like rotten eggs in the kitchen",
    ],
)
def test_default_keywords_cover_failures_of_things(text: str) -> None:
    assert hits(text) != ()


@pytest.mark.parametrize(
    "text",
    [
        "we'd like a quote to replace the furnace before winter",
        "could you stop by and look at the heat pump next week",
        "the heat is working perfectly since your visit",
        "i need an outlet for the hot tub",
        "the frozen yogurt machine needs a new water line, no rush",
        "please install a light fixture in the hallway",
        "the faucet drips a little at night",
    ],
)
def test_default_keywords_leave_routine_calls_alone(text: str) -> None:
    assert hits(text) == ()

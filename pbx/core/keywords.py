"""Emergency keywords found in a voicemail transcript (pure: no I/O).

A keyword is one to four words ("leak", "no heat", "burst pipe"). `match`
returns the keywords that occur in a transcript. The rules, in order:

1. Words. The transcript and the keywords are cut into words of letters,
   digits and apostrophes, lower-cased. Clitics are taken off ("heat's" is
   "heat", "isn't" is "is not", "won't" is "will not") and "backup" is read
   as "back up", so that "sewer backup" and "sewer backed up" are the same.
2. Inflection. Each word is reduced by a small English stemmer that removes
   inflections only: plural/third person -s/-es/-ies, -ed, -ing (with the
   doubled consonant undone, "stopped" is "stop"), a final silent -e, and a
   table of irregular forms ("froze"/"frozen" -> freeze, "went" -> go,
   "broke" -> break, "died" -> die). So "leaks", "leaked", "leaking" match
   "leak"; "flooded" matches "flooding". Derivations are NOT removed:
   "leakage", "leaky", "heater", "fireplace", "smoker" are other words, and a
   user who wants them adds them.
3. Phrases. The words of a phrase must all occur, with at most two other
   words between consecutive ones ("smell of natural gas" matches "gas
   smell"). A phrase that holds a function word ("no", "not", "out", "up",
   "off", "on") must keep its order ("heat went out", not "out of heat"); a
   phrase of content words only matches in any order ("pipes burst" matches
   "burst pipe"). Right after "no" or "not" only "more", "any", "real",
   "really" or "longer" may come between ("no more heat" matches "no heat";
   "no problem, the heat pump" does not).
4. Compounds. A keyword's last word does not count when the next word makes
   it the modifier of another thing: "flood light", "smoke detector",
   "carbon monoxide detector", "fire pit", "power washing", "gas leak test"
   (table `COMPOUNDS`). Another occurrence in the same transcript still counts.
5. Negation is ignored ("no leak" still matches "leak"): a false escalation
   costs a phone call, a missed one costs a flooded house.

Sound-alike matching (optional, `sounds`): speech recognisers replace rare
words by common ones that sound alike ("no heat" written "no he'd"). Given a
pronunciation for each word (phones from the CMU dictionary, loaded outside
the core), a keyword of at least `SOUND_MIN_PHONES` phones also matches a run
of transcript words whose phones are within a small weighted edit distance of
the keyword's (see `sound_distance`). Voiced/unvoiced pairs (T/D, S/Z) and
near vowels cost less than other substitutions; an inflection at the end of
the run (-s, -ed, -ing) is free.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

from pbx.core.errors import InvalidInput

__all__ = [
    "COMPOUNDS",
    "DEFAULT_KEYWORDS",
    "MAX_GAP",
    "MAX_KEYWORD_WORDS",
    "SOUND_MAX_COST",
    "SOUND_MIN_PHONES",
    "Pronunciations",
    "match",
    "normalize_keyword",
    "sound_distance",
    "stem",
    "words",
]

Pronunciations = Mapping[str, tuple[str, ...]]
"""A word (lower case, as the recogniser writes it) -> its phones, without stress marks."""

# Chosen for trades (plumbing, heating and cooling, electrical). Left out on
# purpose: "fire" alone (fireplace is one word, but "fire pit", "fire alarm
# inspection", "fire sprinkler" are routine calls), "emergency" and "urgent"
# ("it's not urgent" is in half the routine messages and matching is not
# negation-aware), "dripping" (a dripping faucet is the typical routine call),
# "not working"/"stopped working" alone (doorbells and disposals stop too).
DEFAULT_KEYWORDS: tuple[str, ...] = (
    # water
    "leak",
    "burst pipe",
    "broken pipe",
    "frozen pipe",
    "flooding",
    "water coming in",
    "water coming through",
    "water pouring",
    "water spraying",
    "water everywhere",
    "no water",
    "overflowing",
    "sewage",
    "sewer backup",
    # heat and cooling
    "no heat",
    "heat out",
    "furnace out",
    "furnace died",
    "furnace stopped",
    "furnace not working",
    "boiler out",
    "blowing cold air",
    "no hot water",
    "no air conditioning",
    "air conditioning out",
    "air conditioning stopped",
    "air conditioning not working",
    "air conditioner stopped",
    "air conditioner not working",
    "no cooling",
    # gas and smoke
    "gas smell",
    "gas leak",
    "rotten egg smell",
    "carbon monoxide",
    "alarm going off",
    "smoke",
    "burning smell",
    "on fire",
    "caught fire",
    "electrical fire",
    # electrical
    "sparks",
    "no power",
    "power out",
    "power outage",
    "lost power",
    "no electricity",
)

MAX_KEYWORD_WORDS = 4
MAX_KEYWORD_CHARS = 60
MAX_GAP = 2
"""Words allowed between two consecutive words of a phrase."""

_NEGATIONS = frozenset({"no", "not"})
_AFTER_NEGATION = frozenset({"more", "any", "real", "really", "longer"})
_FUNCTION_WORDS = _NEGATIONS | {"out", "up", "off", "on", "in", "through", "down"}

# Words that a keyword made only of them would find in every message.
_TOO_COMMON = frozenset(
    ["a", "an", "and", "are", "at", "be", "but", "by", "can", "do", "for", "from", "have", "he", "i", "in", "is", "it", "me", "my", "no", "not", "of", "on", "or", "our", "out", "please", "that", "the", "there", "this", "to", "up", "us", "was", "we", "will", "with", "you", "your"]
)

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_KEYWORD_CHARS_RE = re.compile(r"[a-z0-9' ]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})

_SPLIT = {"backup": ("back", "up"), "backups": ("back", "up")}
_CLITICS = ("'s", "'re", "'ve", "'ll", "'d", "'m")
_NOT_FORMS = {"won't": "will", "can't": "can", "shan't": "shall", "ain't": "is"}

_IRREGULAR = {
    "went": "go", "gone": "go", "goes": "go", "going": "go",
    "froze": "freeze", "frozen": "freeze",
    "broke": "break", "broken": "break",
    "burnt": "burn", "caught": "catch", "came": "come",
    "died": "die", "dies": "die", "dying": "die",
    "lost": "lose", "blew": "blow", "blown": "blow", "ran": "run",
    "smelt": "smell", "leapt": "leap", "quit": "quit", "quitting": "quit",
}  # fmt: skip


def _clean(text: str) -> str:
    return text.translate(_APOSTROPHES).lower()


def words(text: str) -> list[str]:
    """The words of `text` after rule 1 (lower case, clitics off, "n't" -> "not")."""
    out: list[str] = []
    for token in _WORD_RE.findall(_clean(text)):
        if token in _NOT_FORMS:
            out += (_NOT_FORMS[token], "not")
            continue
        if token.endswith("n't") and len(token) > 3:
            out += (token[:-3], "not")
            continue
        for clitic in _CLITICS:
            if token.endswith(clitic) and len(token) > len(clitic):
                token = token[: -len(clitic)]
                break
        token = token.replace("'", "")
        out += _SPLIT.get(token, (token,))
    return out


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The inflectional stem of one lower-case word (rule 2); equal stems match."""
    base = _IRREGULAR.get(word)
    if base is None:
        base = _strip_inflection(word)
    if len(base) > 3 and base.endswith("e") and not base.endswith("ee"):
        base = base[:-1]
    return base


def _strip_inflection(w: str) -> str:
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "ches", "shes", "xes", "zes")):
        return w[:-2]
    if w.endswith("s") and len(w) >= 4 and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    if w.endswith("ied") and len(w) > 4:
        return w[:-3] + "y"
    for suffix in ("ed", "ing"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "aeioulsz":
                base = base[:-1]
            return base
    return w


# A keyword's last word -> the next words that make it a modifier (rule 4).
_COMPOUND_WORDS: Mapping[str, str] = {
    "flood": "light lamp insurance zone",
    "smoke": "detector alarm test",
    "monoxide": "detector alarm sensor test",
    "fire": "alarm pit sprinkler extinguisher inspection wood place",
    "power": "wash washer washing tool bill strip",
    "leak": "detector detection test sensor",
    "sewage": "pump ejector",
    "water": "heater softener filter bill",
}
COMPOUNDS: Mapping[str, frozenset[str]] = {
    stem(word): frozenset(stem(h) for h in heads.split())
    for word, heads in _COMPOUND_WORDS.items()
}
"""Stem of a keyword's last word -> stems of the next words that make it a modifier."""


def normalize_keyword(text: str) -> str:
    """Validate a keyword typed by a user and return it in canonical form.

    Canonical: lower case, words separated by one space. Allowed: letters,
    digits and apostrophes, 1 to `MAX_KEYWORD_WORDS` words, at most
    `MAX_KEYWORD_CHARS` characters, and not only very common words ("the",
    "no"), which would match every message. Raises
    InvalidInput("keyword", reason) otherwise.
    """
    cleaned = " ".join(_clean(text).split())
    if not cleaned:
        raise InvalidInput("keyword", "empty: give one to four words, e.g. 'burst pipe'")
    if not _KEYWORD_CHARS_RE.fullmatch(cleaned):
        bad = sorted({c for c in cleaned if not _KEYWORD_CHARS_RE.fullmatch(c)})
        raise InvalidInput(
            "keyword",
            f"{text!r}: only letters, digits and apostrophes are allowed, not {''.join(bad)!r}",
        )
    parts = cleaned.split(" ")
    if any(not re.search(r"[a-z0-9]", p) for p in parts):
        raise InvalidInput("keyword", f"{text!r}: a word needs a letter or a digit")
    if len(parts) > MAX_KEYWORD_WORDS:
        raise InvalidInput(
            "keyword", f"{text!r}: {len(parts)} words, at most {MAX_KEYWORD_WORDS} are allowed"
        )
    if len(cleaned) > MAX_KEYWORD_CHARS:
        raise InvalidInput(
            "keyword", f"{text!r}: longer than {MAX_KEYWORD_CHARS} characters"
        )
    if all(w.replace("'", "") in _TOO_COMMON for w in words(cleaned)):
        raise InvalidInput(
            "keyword", f"{text!r}: only very common words, it would match every message"
        )
    return cleaned


@dataclass(frozen=True)
class _Pattern:
    stems: tuple[str, ...]
    ordered: bool


@lru_cache(maxsize=1024)
def _pattern(keyword: str) -> _Pattern:
    stems = tuple(stem(w) for w in words(keyword))
    return _Pattern(stems, any(s in _FUNCTION_WORDS for s in stems))


def _gap_ok(previous: str, between: Sequence[str]) -> bool:
    if len(between) > MAX_GAP:
        return False
    if previous in _NEGATIONS:
        return all(w in _AFTER_NEGATION for w in between)
    return True


def _occurrences(order: Sequence[str], stems: Sequence[str]) -> Iterator[list[int]]:
    """Positions in `stems` of the words of `order`, in that order, gaps within the rules."""

    def extend(found: list[int]) -> Iterator[list[int]]:
        if len(found) == len(order):
            yield found
            return
        last = found[-1]
        for j in range(last + 1, min(len(stems), last + 2 + MAX_GAP)):
            if stems[j] == order[len(found)] and _gap_ok(order[len(found) - 1], stems[last + 1 : j]):
                yield from extend([*found, j])

    for i, s in enumerate(stems):
        if s == order[0]:
            yield from extend([i])


def _is_compound(stems: Sequence[str], position: int) -> bool:
    heads = COMPOUNDS.get(stems[position])
    return heads is not None and position + 1 < len(stems) and stems[position + 1] in heads


def _matches_text(pattern: _Pattern, stems: Sequence[str]) -> bool:
    n = len(pattern.stems)
    orders: list[tuple[int, ...]] = [tuple(range(n))]
    if not pattern.ordered and n > 1:
        orders = list(permutations(range(n)))
    for order in orders:
        words_in_order = [pattern.stems[i] for i in order]
        last = order.index(n - 1)  # where the keyword's last word sits in this order
        for found in _occurrences(words_in_order, stems):
            if not _is_compound(stems, found[last]):
                return True
    return False


def match(
    text: str,
    keywords: Sequence[str],
    sounds: Pronunciations | None = None,
) -> tuple[str, ...]:
    """The keywords (as given) that occur in `text`, in keyword order, without duplicates.

    See the module docstring for the rules. With `sounds`, a keyword also
    matches a run of words that sounds like it.
    """
    stems = [stem(w) for w in words(text)]
    found: list[str] = []
    seen: set[str] = set()
    raw: list[str] | None = None
    for keyword in keywords:
        if keyword in seen:
            continue
        seen.add(keyword)
        pattern = _pattern(keyword)
        if not pattern.stems:
            continue
        hit = _matches_text(pattern, stems)
        if not hit and sounds is not None:
            if raw is None:
                raw = _WORD_RE.findall(_clean(text))
            hit = _matches_sound(keyword, raw, sounds)
        if hit:
            found.append(keyword)
    return tuple(found)


# --- sound-alike -----------------------------------------------------------------------------

SOUND_MIN_PHONES = 5
"""Keywords with fewer phones never match by sound: too many common words are that close."""
SOUND_MAX_COST = 0.2
"""Largest edit cost, per phone of the keyword, of a sound-alike match."""

_VOWELS = frozenset(
    ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]
)
# Pairs that a recogniser (or a telephone line) confuses most: cost 0.5 instead of 1.
_NEAR = frozenset(
    frozenset(p.split())
    for p in (
        "T D", "P B", "K G", "S Z", "F V", "TH DH", "CH JH", "SH ZH", "M N", "N NG", "TH F",
        "IY IH", "IH EH", "EH AE", "AE AA", "AA AO", "AO OW", "AH AA", "AH UH", "UH UW",
        "AH IH", "ER R", "AA AH", "EY EH", "OW UW", "AW AA",
    )
)  # fmt: skip
# Phones that end an inflected form (-s, -ed, -ing, -es): free at the end of a run.
_INFLECTION_ENDINGS: tuple[tuple[str, ...], ...] = (
    ("IH", "NG"), ("IH", "D"), ("IH", "Z"), ("AH", "Z"), ("AH", "D"),
    ("Z",), ("S",), ("D",), ("T",),
)  # fmt: skip


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if frozenset((a, b)) in _NEAR:
        return 0.5
    if (a in _VOWELS) == (b in _VOWELS):
        return 0.8 if a in _VOWELS else 1.0
    return 1.2


def _indel(p: str) -> float:
    # A dropped or added weak vowel or /h/ is the commonest recognition slip.
    return 0.6 if p in ("AH", "IH", "HH") else 1.0


def sound_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Weighted edit distance between two phone sequences (see `_substitution`, `_indel`)."""
    previous = [0.0]
    for p in b:
        previous.append(previous[-1] + _indel(p))
    for pa in a:
        current = [previous[0] + _indel(pa)]
        for j, pb in enumerate(b, 1):
            current.append(
                min(
                    previous[j] + _indel(pa),
                    current[j - 1] + _indel(pb),
                    previous[j - 1] + _substitution(pa, pb),
                )
            )
        previous = current
    return previous[-1]


def _keyword_phones(keyword: str, sounds: Pronunciations) -> tuple[str, ...] | None:
    phones: list[str] = []
    for w in _WORD_RE.findall(_clean(keyword)):
        p = sounds.get(w)
        if p is None:
            return None
        phones += p
    return tuple(phones)


def _matches_sound(keyword: str, raw: Sequence[str], sounds: Pronunciations) -> bool:
    target = _keyword_phones(keyword, sounds)
    if target is None or len(target) < SOUND_MIN_PHONES:
        return False
    limit = SOUND_MAX_COST * len(target)
    n_words = len(keyword.split())
    for start in range(len(raw)):
        phones: list[str] = []
        # runs of up to one word more than the keyword has (recognisers split words)
        for end in range(start, min(len(raw), start + n_words + 1)):
            p = sounds.get(raw[end])
            if p is None:
                break
            phones += p
            if len(phones) > len(target) + 3:
                break
            candidates = [tuple(phones)]
            for ending in _INFLECTION_ENDINGS:
                if len(phones) > len(ending) and tuple(phones[-len(ending) :]) == ending:
                    candidates.append(tuple(phones[: -len(ending)]))
            if min(sound_distance(target, c) for c in candidates) <= limit:
                return True
    return False

"""Emergency keywords found in a voicemail transcript (pure: no I/O).

A keyword is one to four words ("leak", "no heat", "burst pipe"); a word may
be a set of alternatives joined by "|" ("furnace|boiler quit|died" is eight
phrases: a thing and the ways it fails). `match` returns the keywords that
occur in a transcript. The rules, in order:

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
   "off", "on", "in", "through", "down") must keep its order ("heat went out", not "out of heat"); a
   phrase of content words only matches in any order ("pipes burst" matches
   "burst pipe"). Right after "no" or "not" only "more", "any", "real",
   "really" or "longer" may come between ("no more heat" matches "no heat";
   "no problem, the heat pump" does not).
4. Compounds. A keyword's last word does not count when the next word makes
   it the modifier of another thing: "flood light", "smoke detector",
   "carbon monoxide detector", "fire pit", "power washing", "gas leak test"
   (table `COMPOUNDS`); this holds for every word of a phrase ("outlet for
   the hot tub" is not a hot outlet). Another occurrence in the same
   transcript still counts.
5. Negation, narrowly: an occurrence with a word right after "no", "not" or
   "never" (only "a", "an", "any", "the", "more", "really" may come between)
   does not count, unless that negation is part of the keyword: "it's not an
   emergency", "no more leaks", "isn't leaking", "a new water line, no rush".
   Nothing wider: "it won't stop leaking" must still escalate. A false
   escalation costs a phone call, a missed one a flooded house.
6. Repaired: an occurrence within two words of "fixed", "fixing" or
   "repaired" does not count ("thanks for fixing the leak", "the leak you
   fixed"); a request ("can you fix the leak") still does.

Sound-alike matching (optional, `sounds`): speech recognisers replace rare
words by common ones that sound alike ("no heat" written "no he'd"). Given a
pronunciation for words (phones from the CMU dictionary, loaded outside the
core), a transcript word also counts as a keyword word when their phones are
within a small weighted edit distance (`sound_distance`, at most
`SOUND_MAX_COST` per phone of the keyword word; voiced/unvoiced pairs and near
vowels cost less; an inflection ending of the transcript word is free). Only
content words of at least `SOUND_MIN_PHONES` phones get sound-alikes, never
"no"/"not"/"out", and rules 3 and 4 apply unchanged. A phrase still needs one
of its words written exactly; a one-word keyword matches by sound only if it
has at least `SOUND_MIN_PHONES_ALONE` phones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    "SOUND_MIN_PHONES_ALONE",
    "Pronunciations",
    "match",
    "normalize_keyword",
    "related_words",
    "sound_distance",
    "stem",
    "words",
]

Pronunciations = Mapping[str, tuple[str, ...]]
"""A word (lower case, as the recogniser writes it) -> its phones, without stress marks."""

# Chosen for trades (plumbing, heating and cooling, electrical). A keyword may
# give alternatives for a word ("furnace|boiler quit|died"), so that one line
# covers a thing and the ways it fails. Left out on purpose: "fire" alone
# (fire pit, fire alarm inspection and fire sprinkler are routine calls),
# "dripping" alone (a dripping faucet is the typical routine call), "stopped
# working" without a thing (doorbells and disposals stop too), "cold" alone (a
# chilly room is a quote, a freezing house is not). "emergency" and "urgent"
# are in: rule 5 keeps "it's not urgent" out.
_HVAC = "furnace|heater|boiler|heat|heating|pump|conditioner|conditioning|cooling|compressor|ac"
_ELECTRIC = "outlet|switch|plug|panel|wire|wiring|cord|breaker|socket|receptacle"
DEFAULT_KEYWORDS: tuple[str, ...] = (
    # water escaping
    "leak",
    "burst|broke|split|crack|bust|rupture|blow pipe|line|hose|main|tank",
    "hose|pipe|line|fitting pop|come|blow off|loose",
    "frozen pipe|line",
    "pipe start freeze",
    "flooding",
    "water coming in|through|up|down",
    "water pour|spray|gush|bubble|rush|stream|squirt|spurt|shoot|seep|everywhere",
    "water all over",
    "inch|inches|foot|feet water",
    "take|taking on water",
    "no water",
    "overflowing",
    "sewage",
    "sewer|toilet|drain|tub|shower back up",
    "ceiling|roof sag|cave|collapse|bulge|drip",
    "drip light|fixture|ceiling",
    # heat and cooling
    "no heat",
    f"{_HVAC} out",
    f"{_HVAC} quit|die|stop|fail|break",
    f"{_HVAC} not work|start|turn|come|kick|light|run|heat|cool|blow",
    "blowing cold air",
    "house|home|apartment|building|place freeze",
    "degrees in house|home|here",
    "no hot water",
    "no air conditioning",
    "no cooling",
    # gas and smoke
    "gas smell|odor|odour|leak|hiss|stink",
    "rotten egg",
    "carbon monoxide",
    "alarm|detector going off",
    "smoke",
    "burn|burning smell|odor|odour",
    f"{_ELECTRIC} spark|scorch|melt|hot|smoke|buzz|burn|sizzle|char|arc",
    "on fire",
    "caught fire",
    "electrical fire",
    # electrical
    "sparks",
    "no power",
    "power out",
    "power outage",
    "lose power|electricity|heat",
    "light|power|electricity|house|everything go out|off|dark",
    "no electricity",
    # said by the caller
    "emergency",
    "urgent",
)

MAX_KEYWORD_WORDS = 4
MAX_ALTERNATIVES = 16
MAX_KEYWORD_CHARS = 200
MAX_GAP = 2
"""Words allowed between two consecutive words of a phrase."""

_NEGATIONS = frozenset({"no", "not"})
_NEGATORS = frozenset({"no", "not", "never"})
_BEFORE_NEGATED = frozenset({"a", "an", "any", "the", "more", "really"})
_AFTER_NEGATION = frozenset({"more", "any", "real", "really", "longer"})
_FUNCTION_WORDS = _NEGATIONS | {"out", "up", "off", "on", "in", "through", "down"}
_RESOLVED = frozenset({"fixed", "fixing", "repaired"})

# Words that a keyword made only of them would find in every message.
_TOO_COMMON = frozenset(
    (
        "a", "an", "and", "are", "at", "be", "but", "by", "can", "do", "for", "from", "have",
        "he", "i", "in", "is", "it", "me", "my", "no", "not", "of", "on", "or", "our", "out",
        "please", "that", "the", "there", "this", "to", "up", "us", "was", "we", "will", "with",
        "you", "your",
    )
)  # fmt: skip

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_KEYWORD_CHARS_RE = re.compile(r"[a-z0-9'| ]+")
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
    "smelt": "smell", "leapt": "leap",
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
    "hot": "tub water plate",
    "freeze": "yogurt food dessert",
}
COMPOUNDS: Mapping[str, frozenset[str]] = {
    stem(word): frozenset(stem(h) for h in heads.split()) for word, heads in _COMPOUND_WORDS.items()
}
"""Stem of a keyword's last word -> stems of the next words that make it a modifier."""

_AFTER_NEGATION_STEMS = frozenset(stem(w) for w in _AFTER_NEGATION)
_BEFORE_NEGATED_STEMS = frozenset(stem(w) for w in _BEFORE_NEGATED)


def normalize_keyword(text: str) -> str:
    """Validate a keyword typed by a user and return it in canonical form.

    Canonical: lower case, words separated by one space, alternatives joined by
    "|" with no space ("furnace|boiler quit|died"). Allowed: letters, digits and
    apostrophes, 1 to `MAX_KEYWORD_WORDS` word slots of at most
    `MAX_ALTERNATIVES` one-word alternatives each, at most `MAX_KEYWORD_CHARS`
    characters, and not only very common words ("the", "no"), which would match
    every message. Raises InvalidInput("keyword", reason) otherwise.
    """
    cleaned = " ".join(re.sub(r"\s*\|\s*", "|", _clean(text).strip()).split())
    if not cleaned:
        raise InvalidInput("keyword", "empty: give one to four words, e.g. 'burst pipe'")
    if not _KEYWORD_CHARS_RE.fullmatch(cleaned):
        bad = sorted({c for c in cleaned if not _KEYWORD_CHARS_RE.fullmatch(c)})
        raise InvalidInput(
            "keyword",
            f"{text!r}: only letters, digits, apostrophes and '|' are allowed, not {''.join(bad)!r}",
        )
    if len(cleaned) > MAX_KEYWORD_CHARS:
        raise InvalidInput("keyword", f"{text!r}: longer than {MAX_KEYWORD_CHARS} characters")
    slots = _slots(text, cleaned)
    if len(slots) > MAX_KEYWORD_WORDS:
        raise InvalidInput(
            "keyword", f"{text!r}: {len(slots)} words, at most {MAX_KEYWORD_WORDS} are allowed"
        )
    if all(any(w in _TOO_COMMON for w in slot) for slot in slots):
        raise InvalidInput(
            "keyword", f"{text!r}: only very common words, it would match every message"
        )
    return cleaned


def _slots(text: str, cleaned: str) -> tuple[tuple[str, ...], ...]:
    """The word slots of a cleaned keyword typed by a user, checked (see normalize_keyword)."""
    for part in cleaned.split(" "):
        alternatives = part.split("|")
        if any(not re.search(r"[a-z0-9]", a) for a in alternatives):
            what = "an alternative" if len(alternatives) > 1 else "a word"
            raise InvalidInput("keyword", f"{text!r}: {what} needs a letter or a digit")
        if len(alternatives) > MAX_ALTERNATIVES:
            raise InvalidInput(
                "keyword",
                f"{text!r}: {len(alternatives)} alternatives in {part!r}, "
                f"at most {MAX_ALTERNATIVES} are allowed",
            )
        split = [a for a in alternatives if len(alternatives) > 1 and len(words(a)) != 1]
        if split:
            raise InvalidInput(
                "keyword", f"{text!r}: an alternative must be one word, not {split[0]!r}"
            )
    return _written_slots(cleaned)


def _written_slots(cleaned: str) -> tuple[tuple[str, ...], ...]:
    """The word slots of a keyword: a word with alternatives is one slot of its one-word
    alternatives; a word without may be several slots ("won't" is "will not")."""
    slots: list[tuple[str, ...]] = []
    for part in cleaned.split(" "):
        if "|" not in part:
            slots += ((w,) for w in words(part))
            continue
        slot = tuple(ws[0] for ws in map(words, part.split("|")) if ws)
        if slot:
            slots.append(slot)
    return tuple(slots)


@dataclass(frozen=True)
class _Pattern:
    slots: tuple[frozenset[str], ...]  # the stems each word slot accepts
    words: tuple[tuple[str, ...], ...]  # the words of each slot, as written
    ordered: bool
    plain: bool  # no alternatives: a match is named by the keyword itself

    def named(self, keyword: str, chosen: Sequence[str]) -> str:
        return keyword if self.plain else " ".join(chosen)


@lru_cache(maxsize=1024)
def _pattern(keyword: str) -> _Pattern:
    written = _written_slots(" ".join(_clean(keyword).split()))
    slots = tuple(frozenset(stem(w) for w in slot) for slot in written)
    ordered = any(s in _FUNCTION_WORDS for slot in slots for s in slot)
    return _Pattern(slots, written, ordered, all(len(w) == 1 for w in written))


@dataclass(frozen=True)
class _Token:
    stem: str
    raw: str | None  # the transcript word it came from, when it is one word by itself


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for raw in _WORD_RE.findall(_clean(text)):
        pieces = words(raw)
        whole = raw if len(pieces) == 1 else None
        out += (_Token(stem(p), whole) for p in pieces)
    return out


def _gap_ok(previous: frozenset[str], between: Sequence[str]) -> bool:
    if len(between) > MAX_GAP:
        return False
    if previous & _NEGATIONS:
        return all(w in _AFTER_NEGATION_STEMS for w in between)
    return True


def _occurrences(
    order: Sequence[frozenset[str]], stems: Sequence[str], alike: Sequence[frozenset[str]] | None
) -> Iterator[list[int]]:
    """Positions in `stems` of the slots of `order`, in that order, gaps within the rules."""

    def fits(j: int, slot: frozenset[str]) -> bool:
        return stems[j] in slot or (alike is not None and not alike[j].isdisjoint(slot))

    def extend(found: list[int]) -> Iterator[list[int]]:
        if len(found) == len(order):
            yield found
            return
        last, want = found[-1], order[len(found)]
        for j in range(last + 1, min(len(stems), last + 2 + MAX_GAP)):
            if fits(j, want) and _gap_ok(order[len(found) - 1], stems[last + 1 : j]):
                yield from extend([*found, j])

    for i in range(len(stems)):
        if fits(i, order[0]):
            yield from extend([i])


def _is_compound(
    stems: Sequence[str], found: Sequence[int], slots: Sequence[frozenset[str]]
) -> bool:
    """A found word that the next transcript word makes a modifier ("flood light"), unless
    that next word is itself part of the match ("no hot water")."""
    for position, slot in zip(found, slots, strict=True):
        following = position + 1
        if following >= len(stems) or following in found:
            continue
        said = {stems[position]} if stems[position] in slot else slot
        if any(stems[following] in COMPOUNDS.get(s, ()) for s in said):
            return True
    return False


def _resolved(tokens: Sequence[_Token], found: Sequence[int]) -> bool:
    """Rule 6: a word of the match is within two words of "fixed", "fixing" or "repaired"."""
    window = range(max(0, min(found) - 2), min(len(tokens), max(found) + 3))
    return any(tokens[i].raw in _RESOLVED for i in window)


def _chosen(
    pattern: _Pattern,
    tokens: Sequence[_Token],
    alike: Sequence[frozenset[str]] | None,
    found: Sequence[int],
    order: Sequence[int],
) -> list[str]:
    """What matched, in transcript order: the transcript's word where it matched exactly
    ("lost" for "lose"), else the keyword's word that it sounds like."""
    chosen: list[str] = []
    for position, i in zip(found, order, strict=True):  # found is in transcript order
        token = tokens[position]
        exact = token.stem in pattern.slots[i]
        heard = {token.stem} if exact else (alike or [])[position]
        written = next(w for w in pattern.words[i] if stem(w) in heard)
        chosen.append((token.raw or written) if exact else written)
    return chosen


def _found(
    pattern: _Pattern,
    tokens: Sequence[_Token],
    alike: Sequence[frozenset[str]] | None,
    alone_ok: bool,
) -> list[str] | None:
    """The alternatives matched (in keyword order) at the first counted occurrence, or None."""
    stems = [t.stem for t in tokens]
    n = len(pattern.slots)
    orders: list[tuple[int, ...]] = [tuple(range(n))]
    if not pattern.ordered and n > 1:
        orders = list(permutations(range(n)))
    for order in orders:
        wanted = [pattern.slots[i] for i in order]
        for found in _occurrences(wanted, stems, alike):
            exact = any(stems[p] in s for p, s in zip(found, wanted, strict=True))
            if not exact and not (n == 1 and alone_ok):
                continue
            if _is_compound(stems, found, wanted):
                continue
            if _negated(stems, found) or _resolved(tokens, found):
                continue
            return _chosen(pattern, tokens, alike, found, order)
    return None


def _negated(stems: Sequence[str], found: Sequence[int]) -> bool:
    """Rule 5: a matched word right after a negation that is not itself part of the match."""
    for start in found:
        i = start - 1
        while i >= 0 and start - i <= 2 and stems[i] in _BEFORE_NEGATED_STEMS:
            i -= 1
        if i >= 0 and i not in found and stems[i] in _NEGATORS:
            return True
    return False


def match(
    text: str,
    keywords: Sequence[str],
    sounds: Pronunciations | None = None,
) -> tuple[str, ...]:
    """The keywords that occur in `text`, in keyword order, without duplicates.

    A keyword without alternatives is returned as given; one with alternatives
    as the alternatives that matched ("furnace|heater quit|died" found in "the
    heater died" is "heater died"). See the module docstring for the rules.
    With `sounds`, a keyword word also matches a transcript word that sounds
    like it.
    """
    tokens = _tokens(text)
    patterns = {k: _pattern(k) for k in dict.fromkeys(keywords)}
    alike: list[frozenset[str]] | None = None
    long_enough: frozenset[str] = frozenset()
    if sounds is not None:
        alike, long_enough = _sound_alikes(tokens, patterns.values(), sounds)
    found: list[str] = []
    for keyword, pattern in patterns.items():
        if not pattern.slots:
            continue
        alone_ok = len(pattern.slots) == 1 and not pattern.slots[0].isdisjoint(long_enough)
        chosen = _found(pattern, tokens, alike, alone_ok)
        if chosen is not None:
            found.append(pattern.named(keyword, chosen))
    return tuple(dict.fromkeys(found))


def related_words(keywords: Sequence[str], vocabulary: Iterable[str]) -> tuple[str, ...]:
    """The words of `vocabulary` that are a form of a content word of `keywords`.

    Content words are all but "no", "not", "out", "up", "off", "on", "in",
    "through", "down". "leak" relates "leak", "leaks", "leaked", "leaking";
    "frozen pipe" relates "freeze", "froze", "pipes"... This is what to favour in
    a recogniser's language model so that it hears the keywords (see
    stt.spotting.Spotter).
    """
    stems = {
        s for k in keywords for slot in _pattern(k).slots for s in slot if s not in _FUNCTION_WORDS
    }
    return tuple(w for w in vocabulary if stem(_clean(w)) in stems)


# --- sound-alike -----------------------------------------------------------------------------

SOUND_MIN_PHONES = 3
"""Keyword words with fewer phones never get sound-alikes ("gas": too many words are that close)."""
SOUND_MIN_PHONES_ALONE = 5
"""A one-word keyword matches by sound alone only with at least this many phones."""
SOUND_MAX_COST = 0.2
"""Largest edit cost, per phone of the keyword word, of a sound-alike."""

_VOWELS = frozenset(
    ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
)
# Pairs that a recogniser (or a telephone line) confuses most: cost 0.5 instead of 1.
_NEAR = frozenset(
    frozenset(p.split())
    for p in (
        "T D", "P B", "K G", "S Z", "F V", "TH DH", "CH JH", "SH ZH", "M N", "N NG", "TH F",
        "IY IH", "IH EH", "EH AE", "AE AA", "AA AO", "AO OW", "AH AA", "AH UH", "UH UW",
        "AH IH", "ER R", "EY EH", "OW UW", "AW AA",
    )
)  # fmt: skip
# Phone endings of inflected forms (-ing, -ed, -s): free at the end of a transcript word.
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
    """Weighted edit distance between two phone sequences.

    Substitutions cost 0.5 for near pairs (T/D, S/Z, M/N, IY/IH, ...), 0.8
    between other vowels, 1 between other consonants and 1.2 across; an
    insertion or deletion costs 0.6 for AH, IH or HH and 1 otherwise.
    """
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


def _sounds_like(target: tuple[str, ...], phones: tuple[str, ...]) -> bool:
    limit = SOUND_MAX_COST * len(target)
    candidates = [phones]
    for ending in _INFLECTION_ENDINGS:
        if len(phones) > len(ending) + 1 and phones[-len(ending) :] == ending:
            candidates.append(phones[: -len(ending)])
    # every insertion or deletion costs at least 0.6: skip hopeless lengths early
    return any(
        abs(len(c) - len(target)) * 0.6 <= limit and sound_distance(target, c) <= limit
        for c in candidates
    )


def _sound_alikes(
    tokens: Sequence[_Token], patterns: Iterable[_Pattern], sounds: Pronunciations
) -> tuple[list[frozenset[str]], frozenset[str]]:
    """For each token, the keyword-word stems it sounds like; and the stems long enough alone."""
    targets: dict[str, tuple[str, ...]] = {}
    for pattern in patterns:
        for w in (w for slot in pattern.words for w in slot):
            s, phones = stem(w), sounds.get(w)
            if s in _FUNCTION_WORDS or phones is None or len(phones) < SOUND_MIN_PHONES:
                continue
            targets.setdefault(s, tuple(phones))
    long_enough = frozenset(s for s, p in targets.items() if len(p) >= SOUND_MIN_PHONES_ALONE)
    memo: dict[str, frozenset[str]] = {}
    out: list[frozenset[str]] = []
    for token in tokens:
        raw = token.raw
        if raw is None or not targets:
            out.append(frozenset())
            continue
        if raw not in memo:
            phones = sounds.get(raw)
            memo[raw] = (
                frozenset()
                if phones is None
                else frozenset(s for s, t in targets.items() if _sounds_like(t, tuple(phones)))
            )
        out.append(memo[raw])
    return out, long_enough

"""Word pronunciations from the CMU dictionary bundled with pocketsphinx.

`pronunciations()` is the mapping that `pbx.core.keywords.match(..., sounds=...)`
takes: a lower-case word, as the recogniser writes it, to its phones (ARPAbet,
no stress marks). Only the first pronunciation of a word is kept: it is the
one the recogniser's dictionary lists first, the commonest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

__all__ = ["CmuDict", "default_dict_path", "pronunciations"]


def default_dict_path() -> Path:
    """Path of the CMU dictionary file shipped in the pocketsphinx wheel."""
    import pocketsphinx  # type: ignore[import-untyped]

    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


class CmuDict(Mapping[str, tuple[str, ...]]):
    """Read-only word -> phones mapping over a CMU-format dictionary file.

    Lines are "word PH ON ES"; alternates are written "word(2) ..." and are
    skipped. Phones are kept as one string per word and split on lookup, which
    keeps the 135,000 entries at a few megabytes.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        entries: dict[str, str] = {}
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                word, _, phones = line.strip().partition(" ")
                if not phones or word.endswith(")"):
                    continue
                entries.setdefault(word.lower(), _strip_stress(phones))
        self._entries = entries

    def __getitem__(self, word: str) -> tuple[str, ...]:
        return tuple(self._entries[word].split())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, word: object) -> bool:
        return word in self._entries


def _strip_stress(phones: str) -> str:
    return " ".join(p.rstrip("012") for p in phones.split())


@lru_cache(maxsize=4)
def pronunciations(path: str | None = None) -> CmuDict:
    """The dictionary at `path` (default: the bundled one), loaded once per process."""
    return CmuDict(path if path is not None else default_dict_path())

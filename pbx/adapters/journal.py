"""An append-only JSON-lines file of call-log patches: what a crash must not lose.

`append` is one `os.write` on an O_APPEND descriptor (no fsync): cheap enough
to run on the event loop, and it survives a crash of the process (the kernel
has the bytes). A crash in the middle of a write leaves a torn last line;
`read` skips it with a warning, and opening a journal whose last line is torn
ends that line first, so later appends stay readable. The file is mode 0600
(call records are personal data); its directory is created mode 0700.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from pbx.core.calls import CallPatch, patch_from_dict, patch_to_dict

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def _line(patch: CallPatch) -> bytes:
    return (json.dumps(patch_to_dict(patch), separators=(",", ":")) + "\n").encode()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Journal:
    """The patches written since the journal was last cleared, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.parent.exists():
            path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            os.chmod(path.parent, DIR_MODE)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        os.fchmod(self._fd, FILE_MODE)
        self._size = os.fstat(self._fd).st_size
        if self._size and not self._ends_with_newline():
            _write_all(self._fd, b"\n")  # close a torn last line: it stays unreadable alone
            self._size += 1

    @property
    def size(self) -> int:
        """Bytes in the journal now."""
        return self._size

    def append(self, patch: CallPatch) -> None:
        """Add one patch at the end (one write system call; raises OSError if the disk fails)."""
        data = _line(patch)
        _write_all(self._fd, data)
        self._size += len(data)

    def read(self) -> list[CallPatch]:
        """Every readable patch in the journal, in order; unreadable lines are skipped."""
        patches: list[CallPatch] = []
        with open(self.path, "rb") as fh:
            lines = fh.read().split(b"\n")
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                patches.append(patch_from_dict(json.loads(raw)))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                torn = number >= len(lines) - 1
                log.warning(
                    "%s line %d: %s skipped (%s)",
                    self.path,
                    number,
                    "torn last line" if torn else "unreadable patch",
                    exc,
                )
        return patches

    def clear(self) -> None:
        """Empty the journal (everything in it was applied)."""
        os.ftruncate(self._fd, 0)
        self._size = 0

    def rewrite(self, patches: Iterable[CallPatch]) -> None:
        """Replace the journal's contents by `patches` (the ones not applied yet)."""
        data = b"".join(_line(p) for p in patches)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND, FILE_MODE)
        self._size = len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

"""The recording store: call recordings as WAV files under one root directory.

Files live at `YYYY/MM/<name>.wav` (the UTC month of the call), mode 0600 in
directories of mode 0700: recordings are private. A file is written to a
temporary name, synced, then renamed, so a reader never sees half a recording.
Call records keep the path relative to the root; `path()` turns it back into a
file and refuses anything that would lead outside the root.

The methods do blocking file I/O: on the event loop, call them through
`asyncio.to_thread`.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pbx.core.errors import InvalidInput

FILE_MODE = 0o600
DIR_MODE = 0o700


def _check_name(name: str) -> str:
    if (
        not name
        or name.startswith(".")
        or any(ch in name for ch in "/\\\0")
        or any(ord(ch) < 32 for ch in name)
    ):
        raise InvalidInput("recording", f"{name!r} is not a usable recording name")
    return name


class RecordingStore:
    """Recordings under `root` (the settings' `recordings_dir`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, name: str, data: bytes, when: datetime) -> str:
        """Store `data` as `YYYY/MM/<name>.wav` (replacing any file there); returns that path."""
        _check_name(name)
        utc = when.astimezone(UTC) if when.tzinfo is not None else when
        relative = f"{utc:%Y}/{utc:%m}/{name}.wav"
        folder = self._folder(utc)
        final = folder / f"{name}.wav"
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, final)
        return relative

    def path(self, relative: str) -> Path:
        """The file of a stored recording's relative path; InvalidInput if it escapes the root."""
        pure = PurePosixPath(relative)
        if not relative or pure.is_absolute() or ".." in pure.parts or "\\" in relative:
            raise InvalidInput("recording", f"{relative!r} is not a path in the recording store")
        root = self.root.resolve()
        full = (root / pure).resolve()
        if not full.is_relative_to(root):
            raise InvalidInput("recording", f"{relative!r} leads outside the recording store")
        return full

    def _folder(self, when: datetime) -> Path:
        year = self.root / f"{when:%Y}"
        month = year / f"{when:%m}"
        for folder in (self.root, year, month):
            if not folder.is_dir():
                folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                os.chmod(folder, DIR_MODE)
        return month

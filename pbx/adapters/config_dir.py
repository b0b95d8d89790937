"""The rendered Asterisk config directory on disk: diff it, write it."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

CUSTOM_HEADER = (
    "; {name}: your additions to {base}.\n"
    "; pbx includes this file from the generated {base} and never overwrites it.\n"
)


def diff(etc: Path, files: Mapping[str, str]) -> str:
    """A unified diff from what is on disk to `files` (empty when nothing would change)."""
    chunks: list[str] = []
    for name in sorted(files):
        path = etc / name
        old = path.read_text() if path.exists() else ""
        if old == files[name]:
            continue
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                files[name].splitlines(keepends=True),
                fromfile=f"a/{name}" if path.exists() else "/dev/null",
                tofile=f"b/{name}",
            )
        )
    return "".join(chunks)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write(etc: Path, files: Mapping[str, str], custom: Iterable[str] = ()) -> list[str]:
    """Write the generated files (mode 0600: several hold secrets) and create each
    sysadmin `*_custom.conf` that does not exist yet. Returns the names that changed."""
    etc.mkdir(parents=True, exist_ok=True)
    os.chmod(etc, 0o700)
    changed = []
    for name in sorted(files):
        path = etc / name
        if path.exists() and path.read_text() == files[name]:
            continue
        _write_private(path, files[name])
        changed.append(name)
    for name in custom:
        path = etc / name
        if not path.exists():
            base = name.replace("_custom.conf", ".conf")
            _write_private(path, CUSTOM_HEADER.format(name=name, base=base))
    return changed

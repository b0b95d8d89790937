"""Importing the failsafe log: lines become patches, the file is moved aside and removed."""

from __future__ import annotations

from pathlib import Path

from pbx.core.calls import CallPatch
from pbx.services.failsafe_import import FailsafeImporter

LINE = "1795000000.{n}|inbound|1795000042|+13125550142|+13125550100|ANSWER|103|30000|16\n"


class Sink:
    def __init__(self) -> None:
        self.patches: list[CallPatch] = []

    def submit(self, patch: CallPatch) -> None:
        self.patches.append(patch)


def test_lines_are_imported_once_and_the_file_removed(tmp_path: Path) -> None:
    log = tmp_path / "failsafe-calls.log"
    log.write_text(LINE.format(n=1) + "garbage\n\n" + LINE.format(n=2))
    sink = Sink()
    importer = FailsafeImporter(log, sink)
    assert importer.import_once() == 0  # Asterisk's entity id not known yet: wait
    assert log.exists()
    importer.node = "node1"
    assert importer.import_once() == 2
    assert [p.key for p in sink.patches] == ["node1:1795000000.1", "node1:1795000000.2"]
    assert not log.exists() and not importer.aside.exists()
    assert importer.import_once() == 0


def test_a_file_left_aside_is_imported_before_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "failsafe-calls.log"
    sink = Sink()
    importer = FailsafeImporter(log, sink)
    importer.node = "n"
    importer.aside.write_text(LINE.format(n=1))  # a controller stopped after the rename
    log.write_text(LINE.format(n=2))
    assert importer.import_once() == 1
    assert importer.import_once() == 1
    assert [p.key for p in sink.patches] == ["n:1795000000.1", "n:1795000000.2"]


def test_an_unreadable_log_is_left_for_later(tmp_path: Path) -> None:
    log = tmp_path / "missing-dir" / "failsafe-calls.log"
    importer = FailsafeImporter(log, Sink())
    importer.node = "n"
    assert importer.import_once() == 0

"""Importing the failsafe log: lines become patches, the file is moved aside and removed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from pbx.core.calls import CallPatch, CallRecord, Direction, Disposition
from pbx.services.failsafe_import import FailsafeImporter

LINE = "1795000000.{n}|inbound|1795000042|+13125550142|+13125550100|ANSWER|103|30000|16\n"


class Sink:
    def __init__(self) -> None:
        self.patches: list[CallPatch] = []

    def submit(self, patch: CallPatch) -> None:
        self.patches.append(patch)


async def test_lines_are_imported_once_and_the_file_removed(tmp_path: Path) -> None:
    log = tmp_path / "failsafe-calls.log"
    log.write_text(LINE.format(n=1) + "garbage\n\n" + LINE.format(n=2))
    sink = Sink()
    importer = FailsafeImporter(log, sink)
    assert await importer.import_once() == 0  # Asterisk's entity id not known yet: wait
    assert log.exists()
    importer.node = "node1"
    assert await importer.import_once() == 2
    assert [p.key for p in sink.patches] == ["node1:1795000000.1", "node1:1795000000.2"]
    assert not log.exists() and not importer.aside.exists()
    assert await importer.import_once() == 0


async def test_a_file_left_aside_is_imported_before_the_new_one(tmp_path: Path) -> None:
    log = tmp_path / "failsafe-calls.log"
    sink = Sink()
    importer = FailsafeImporter(log, sink)
    importer.node = "n"
    importer.aside.write_text(LINE.format(n=1))  # a controller stopped after the rename
    log.write_text(LINE.format(n=2))
    assert await importer.import_once() == 1
    assert await importer.import_once() == 1
    assert [p.key for p in sink.patches] == ["n:1795000000.1", "n:1795000000.2"]


async def test_an_unreadable_log_is_left_for_later(tmp_path: Path) -> None:
    log = tmp_path / "missing-dir" / "failsafe-calls.log"
    importer = FailsafeImporter(log, Sink())
    importer.node = "n"
    assert await importer.import_once() == 0


async def test_the_end_of_a_call_the_controller_had_routed_keeps_its_route(tmp_path: Path) -> None:
    log = tmp_path / "failsafe-calls.log"
    log.write_text(LINE.format(n=1) + LINE.format(n=2))
    routed = CallRecord(
        key="n:1795000000.1",
        direction=Direction.INBOUND,
        caller="+13125550142",
        called="+13125550100",
        started_at=datetime(2026, 11, 21, 12, 0, 0, 250000, UTC),
        business_number="+13125550100",
        route=("in business hours", "ring group Dispatch (ring-all)"),
    )
    looked_up: list[str] = []

    async def known(key: str) -> CallRecord | None:
        looked_up.append(key)
        return routed if key == routed.key else None

    sink = Sink()
    importer = FailsafeImporter(log, sink, known)
    importer.node = "n"
    assert await importer.import_once() == 2
    first, second = sink.patches
    assert looked_up == ["n:1795000000.1", "n:1795000000.2"]
    assert "started_at" not in first.values and "caller" not in first.values
    assert first.values["route"][:2] == routed.route and len(first.values["route"]) == 3
    assert first.values["disposition"] is Disposition.ANSWERED
    assert "started_at" in second.values and len(second.values["route"]) == 1


async def test_lines_are_imported_as_they_are_when_the_call_log_cannot_answer(
    tmp_path: Path,
) -> None:
    log = tmp_path / "failsafe-calls.log"
    log.write_text(LINE.format(n=1) + LINE.format(n=2))
    calls = 0

    async def down(key: str) -> CallRecord | None:
        nonlocal calls
        calls += 1
        raise ConnectionError("database down")

    sink = Sink()
    importer = FailsafeImporter(log, sink, down)
    importer.node = "n"
    assert await importer.import_once() == 2
    assert calls == 1  # not asked again for the rest of the pass
    assert all("started_at" in p.values for p in sink.patches)
    assert not log.exists()


async def test_waking_imports_at_once(tmp_path: Path) -> None:
    log = tmp_path / "failsafe-calls.log"
    sink = Sink()
    importer = FailsafeImporter(log, sink)
    importer.node = "n"
    task = asyncio.create_task(importer.run(interval=3600))
    await asyncio.sleep(0.01)
    log.write_text(LINE.format(n=1))
    importer.wake()
    for _ in range(100):
        if sink.patches:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert [p.key for p in sink.patches] == ["n:1795000000.1"]

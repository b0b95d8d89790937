"""Call control end to end: the real Asterisk, the controller process, SIPp phones
and a SIPp carrier behind the trunk; every call checked in the call log."""

from __future__ import annotations

import math
import signal
import struct
import time
import wave
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.e2e.phones import Carrier, SippPhone, call
from tests.e2e.system import System, wait_for

MAIN = "+13125550100"
CUSTOMER_PHONE = "+13125550177"
STRANGER = "+13125550166"
OWNED_PHONE = "+13125550178"


def mulaw_tone(path: Path, seconds: float = 3.0, hz: float = 440.0) -> Path:
    """A headerless 8 kHz mu-law sine tone (what SIPp's rtp_stream plays)."""

    def encode(sample: int) -> int:
        sign = 0x80 if sample < 0 else 0
        magnitude = min(abs(sample), 32635) + 0x84
        exponent = max(0, magnitude.bit_length() - 8)
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
        return ~(sign | (exponent << 4) | mantissa) & 0xFF

    samples = (int(12000 * math.sin(2 * math.pi * hz * n / 8000)) for n in range(int(8000 * seconds)))
    path.write_bytes(bytes(encode(s) for s in samples))
    return path


def peak(path: Path) -> int:
    """The loudest sample of a 16-bit PCM WAV file."""
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2
        frames = wav.readframes(wav.getnframes())
    values = struct.unpack(f"<{len(frames) // 2}h", frames)
    return max((abs(v) for v in values), default=0)


def base(system: System, carrier: Carrier | None = None) -> None:
    """Three users with extensions, a customer with an open job, and the trunk (from
    127.0.0.2, where test callers call from; to the carrier when there is one)."""
    system.provision(
        "user add Ann --email ann@example.com --mobile '+1 312 555 0101'",
        "user add Bob --email bob@example.com --mobile '+1 312 555 0102'",
        "user add Cat --email cat@example.com",
        "ext add 101 --user Ann",
        "ext add 102 --user Bob",
        "ext add 103 --user Cat",
        f"customer add 'Acme Plumbing' --phone {CUSTOMER_PHONE}",
        "job add 'Boiler repair' --customer 'Acme Plumbing'",
    )
    port = carrier.port if carrier is not None else 5060
    system.provision(
        f"trunk add carrier --host 127.0.0.2 --port {port} --username acct --password carrier-pass-1"
    )


def phones(
    stack: ExitStack,
    system: System,
    answer: tuple[str, ...] = (),
    ring: tuple[str, ...] = (),
    on_demand: tuple[str, ...] = (),
) -> dict[str, SippPhone]:
    """Register a phone for each extension: one that answers at once, one that only
    rings, or one that rings until the test tells it to answer (`answer_now`)."""
    secrets = system.credentials()
    out = {}
    for ext in (*answer, *ring, *on_demand):
        phone = SippPhone(
            ext, secrets[ext], system.sip_port, system.work,
            answer=ext in answer, ring_only=ext in ring, answer_on_demand=ext in on_demand,
        )  # fmt: skip
        stack.enter_context(phone)
        assert phone.wait_registered(), phone.describe()
        out[ext] = phone
    wait_for(
        "phones registered",
        lambda: all(
            e["registered"] for e in system.json("status")["extensions"] if e["number"] in out
        ),
    )
    return out


def inbound(system: System, to: str = MAIN, caller: str = STRANGER, **kwargs: Any) -> Any:
    return call(to, system.sip_port, system.work, caller=caller, host="127.0.0.2", **kwargs)


def legs(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(leg["target"], leg["outcome"]) for leg in record["legs"]]


def test_ring_all_group_records_the_answer_and_links_the_customer(system: System, tmp_path: Path) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            "group add Dispatch --strategy ring-all --members 101,102 --ext 600",
            f"number add {MAIN} --label Main --dest group:Dispatch",
        )
        system.start()
        with ExitStack() as stack:
            ph = phones(stack, system, answer=("102",), ring=("101",))
            tone = mulaw_tone(tmp_path / "tone.ul")
            result = inbound(system, caller=CUSTOMER_PHONE, hold=3.0, audio=tone)
            assert result.answered, result.describe()
            wait_for("101 cancelled", lambda: ph["101"].cancellations)
            assert "Call completed elsewhere" in ph["101"].cancellations[0]
            (record,) = system.wait_calls(1)
    assert record["disposition"] == "Answered"
    assert record["direction"] == "inbound"
    assert record["business_number"] == MAIN
    assert record["handled_by_group"] == "Dispatch"
    assert record["handled_by_ext"] == "102"
    assert record["handled_by_user"] == "Bob"
    assert record["customer"] == "Acme Plumbing" and record["job_id"] is not None
    assert sorted(legs(record)) == [("101", "answered-elsewhere"), ("102", "answered")]
    assert record["answered_at"] and record["ended_at"]
    # The recording arrives a moment after the call; it holds the caller's tone.
    wait_for("recording linked", lambda: system.call_record(record["id"])["recording"])
    out = tmp_path / "call.wav"
    system.run("calls", "recording", str(record["id"]), "--out", str(out))
    assert peak(out) > 2000


def test_strategies_pick_members_in_their_order(system: System) -> None:
    base(system)
    system.provision(
        "user add Dan --email dan@example.com",
        "ext add 104 --user Dan",
        "group add Sales --strategy sequential --members 101,102,103 --ring-timeout 5",
        f"number add {MAIN} --label Main --dest group:Sales",
    )
    system.start()

    def answered_by(count: int) -> list[str]:
        before = len(system.calls())
        for _ in range(count):
            assert inbound(system, hold=0.2).answered
        records = system.wait_calls(before + count)[before:]
        assert all(r["disposition"] == "Answered" for r in records), records
        return [r["handled_by_ext"] for r in records]

    with ExitStack() as stack:
        phones(stack, system, answer=("102", "103", "104"), ring=("101",))
        # sequential: 101 rings 5 s unanswered, then 102 answers, every time.
        started = time.monotonic()
        assert answered_by(2) == ["102", "102"]
        assert time.monotonic() - started >= 10
        record = system.wait_calls(2)[-1]
        assert legs(record) == [("101", "no-answer"), ("102", "answered")]

        # A CLI change takes effect on the next call, without restarting anything.
        system.provision("group update Sales --strategy round-robin --members 102,103,104")
        assert answered_by(4) == ["103", "104", "102", "103"]  # after 102, where it stopped

        system.provision("group update Sales --strategy fewest-calls")
        # answered today: 102 x3 (2 sequential + 1), 103 x2, 104 x1
        assert answered_by(1) == ["104"]

        system.provision("group update Sales --strategy longest-idle --members 104,103,102")
        # last answered: 104 (just now), then 103, then 102 longest ago
        assert answered_by(2) == ["102", "103"]

        system.provision("group update Sales --strategy random")
        assert len(set(answered_by(9))) >= 2


def test_dnd_busy_and_unregistered_members_are_skipped(system: System) -> None:
    base(system)
    system.provision(
        "user add Dan --email dan@example.com",
        "ext add 104 --user Dan",
        "ext add 105 --user Dan",
        "group add Office --strategy ring-all --members 101,103,105,102",
        f"number add {MAIN} --label Main --dest group:Office",
        "ext update 101 --dnd",
    )
    system.start()
    with ExitStack() as stack:
        ph = phones(stack, system, answer=("101", "102", "103"), ring=())
        secrets = system.credentials()
        # 104 calls 103 and stays on the line: 103 is busy.
        import threading

        busy = threading.Thread(
            target=call, args=("103", system.sip_port, system.work),
            kwargs={"caller": "104", "password": secrets["104"], "hold": 8.0},
        )  # fmt: skip
        busy.start()
        wait_for("103 in a call", lambda: ph["103"].answered_calls >= 1)
        time.sleep(0.5)
        assert inbound(system, hold=0.2).answered
        busy.join()
        records = system.wait_calls(2)
    group_call = next(r for r in records if r["business_number"] == MAIN)
    assert group_call["handled_by_ext"] == "102"
    assert legs(group_call) == [("102", "answered")]  # nobody else rang
    route = "\n".join(group_call["route"])
    assert "101 is on do-not-disturb" in route
    assert "103 is already on a call" in route
    assert "105 is not registered" in route
    assert ph["101"].rung_calls == 0


def test_cell_and_both_ring_targets_go_through_the_trunk(system: System) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            "ext update 101 --ring cell",
            "ext update 102 --ring both",
            f"number add {MAIN} --label Main --assign Ann",
            "number add +13125550111 --label Bob --assign Bob",
        )
        system.start()
        assert inbound(system, hold=0.5).answered  # Ann: her cell, via the carrier
        with ExitStack() as stack:
            ph = phones(stack, system, ring=("102",))
            # Bob: softphone and cell at once; the cell (carrier) answers first.
            assert inbound(system, to="+13125550111", hold=0.5).answered
            wait_for("102 cancelled", lambda: ph["102"].cancellations)
        records = system.wait_calls(2)
        dialled = [number for number, _ in carrier.calls]
    assert dialled == ["+13125550101", "+13125550102"]
    ann, bob = records
    assert ann["disposition"] == "Answered" and ann["handled_by_user"] == "Ann"
    assert legs(ann) == [("+13125550101", "answered")]
    assert bob["handled_by_user"] == "Bob"
    assert sorted(legs(bob)) == [("+13125550102", "answered"), ("102", "answered-elsewhere")]


def test_routing_rules_assigned_owner_forward_after_hours_and_failed(system: System) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            f"customer add 'Bay Heating' --phone {OWNED_PHONE} --owner Cat",
            f"number add {MAIN} --label Main --dest ext:101",
            "number add +13125550111 --label Direct --assign Bob --dest ext:101",
            "number add +13125550112 --label Forward --forward '+1 312 555 0188'",
            # A schedule that is never open: after hours at any instant.
            "schedule add Closed --tz UTC --hours 'mon 00:00-00:01' "
            "--after-hours '+1 312 555 0189'",
            "number add +13125550113 --label Night --dest ext:101 --schedule Closed",
            "number add +13125550114 --label Old --dest ext:101",
            "number disable +13125550114",
        )
        system.start()
        with ExitStack() as stack:
            phones(stack, system, answer=("101", "102", "103"))
            assert inbound(system, to="+13125550111", caller=CUSTOMER_PHONE, hold=0.2).answered
            assert inbound(system, caller=OWNED_PHONE, hold=0.2).answered  # owner Cat
            assert inbound(system, caller=STRANGER, hold=0.2).answered  # destination 101
            assert inbound(system, to="+13125550112", hold=0.2).answered  # forwarded
            assert inbound(system, to="+13125550113", hold=0.2).answered  # after hours
            refused = inbound(system, to="+13125550114", hold=20.0)  # disabled: announcement
            unknown = inbound(system, to="+13125550199", hold=20.0)
            assert refused.remote_hangup and unknown.remote_hangup
            records = system.wait_calls(7)
        dialled = [number for number, _ in carrier.calls]
    direct, owner, dest, forward, night, disabled, nowhere = records
    assert (direct["handled_by_user"], direct["customer"]) == ("Bob", "Acme Plumbing")
    assert owner["handled_by_user"] == "Cat" and owner["handled_by_ext"] == "103"
    assert owner["customer"] == "Bay Heating" and owner["job_id"] is None
    assert dest["handled_by_ext"] == "101" and dest["customer"] is None
    assert forward["disposition"] == "Forwarded" and night["disposition"] == "Forwarded"
    assert dialled == ["+13125550188", "+13125550189"]
    assert disabled["disposition"] == "Failed" and nowhere["disposition"] == "Failed"
    assert disabled["business_number"] in (None, "+13125550114")


def test_caller_hanging_up_while_ringing_is_missed_and_leaves_no_leg(system: System) -> None:
    base(system)
    system.provision(
        "group add Dispatch --strategy ring-all --members 101,102",
        f"number add {MAIN} --label Main --dest group:Dispatch",
    )
    system.start()
    with ExitStack() as stack:
        ph = phones(stack, system, ring=("101", "102"))
        result = inbound(system, cancel_after=2.0)
        assert result.cancelled, result.describe()
        wait_for("both members cancelled", lambda: ph["101"].cancellations and ph["102"].cancellations)
        (record,) = system.wait_calls(1)
        wait_for("no channel left", lambda: system.ari("GET", "/channels") == [])
    assert record["disposition"] == "Missed"
    assert record["handled_by_group"] == "Dispatch" and record["handled_by_user"] is None
    assert sorted(legs(record)) == [("101", "cancelled"), ("102", "cancelled")]
    assert record["recording"] is None


def test_internal_and_outbound_calls(system: System) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            "group add Dispatch --strategy ring-all --members 102 --ext 600",
            f"number add {MAIN} --label Main --dest ext:101",
            "number add +13125550111 --label Bob --assign Bob",
        )
        system.start()
        secrets = system.credentials()
        with ExitStack() as stack:
            phones(stack, system, answer=("102",))

            def dial(number: str, caller: str = "101", hold: float = 0.3) -> Any:
                return call(number, system.sip_port, system.work, caller=caller,
                            password=secrets[caller], hold=hold)  # fmt: skip

            assert dial("102").answered
            assert dial("600").answered
            assert dial("3125550199").answered  # national: out through the trunk
            assert dial("+442071838750", hold=20).remote_hangup  # international: refused
            assert dial("+13125550198", caller="102").answered
            records = system.wait_calls(5)
        placed = carrier.calls
    ext, group, national, international, bob = records
    assert (ext["direction"], ext["handled_by_ext"]) == ("internal", "102")
    assert (group["direction"], group["handled_by_group"]) == ("internal", "Dispatch")
    assert national["direction"] == "outbound" and national["called"] == "+13125550199"
    assert international["disposition"] == "Failed"
    assert bob["disposition"] == "Answered"
    # Ann has no direct number: the main number is her caller ID; Bob's is his own.
    assert placed == [("+13125550199", MAIN), ("+13125550198", "+13125550111")]


def test_fallback_while_the_controller_is_down_then_routing_again(system: System) -> None:
    system.env["PBX_FALLBACK_NUMBER"] = "103"
    base(system)
    system.provision(f"number add {MAIN} --label Main --dest ext:101")
    controller = system.start()
    with ExitStack() as stack:
        ph = phones(stack, system, answer=("101", "103"))
        controller.send_signal(signal.SIGTERM)
        assert controller.wait(20) == 0
        wait_for("controller gone", lambda: not system.json("status")["controller"]["reachable"])
        assert inbound(system, hold=0.2).answered
        wait_for("103 answered the fallback call", lambda: ph["103"].answered_calls == 1)
        system.spawn("serve", log="controller2.log")
        wait_for("controller back", lambda: system.json("status")["controller"].get("ari"))
        assert inbound(system, hold=0.2).answered
        wait_for("101 answered the routed call", lambda: ph["101"].answered_calls == 1)
        fallback, routed = system.wait_calls(2)  # the failsafe's call, imported when it came back
    assert routed["handled_by_ext"] == "101" and "failsafe" not in " ".join(routed["route"])
    assert (fallback["direction"], fallback["called"]) == ("inbound", MAIN)
    assert (fallback["disposition"], fallback["handled_by_ext"]) == ("Answered", "103")
    assert fallback["answered_at"] and fallback["ended_at"] >= fallback["answered_at"]
    assert "controller unavailable" in fallback["route"][0]
    assert not (system.home / "asterisk" / "spool" / "failsafe-calls.log").exists()


def test_next_call_is_routed_soon_after_asterisk_restarts(system: System) -> None:
    base(system)
    system.provision(f"number add {MAIN} --label Main --dest ext:101")
    system.start()
    system.run("asterisk", "stop")
    wait_for("controller sees asterisk gone", lambda: not system.json("status")["controller"].get("ari"))
    time.sleep(6)  # let the reconnect backoff reach its longest wait
    system.run("asterisk", "start")  # returns once Asterisk is fully booted
    booted = time.monotonic()
    wait_for("controller reconnected", lambda: system.json("status")["controller"].get("ari"), 10)
    reconnected = time.monotonic() - booted
    with ExitStack() as stack:
        ph = phones(stack, system, answer=("101",))
        assert inbound(system, hold=0.2).answered
        assert ph["101"].answered_calls == 1
        (record,) = system.wait_calls(1)
    assert record["handled_by_ext"] == "101"
    assert reconnected < 5.0, f"ARI came back {reconnected:.1f} s after Asterisk booted"

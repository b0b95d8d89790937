"""API read benchmark: latency of list and detail endpoints under 200 concurrent requests,
against a directory of 1,000 users, 10,000 customers and 100,000 call records.

Setup, in a temporary PBX_HOME: the database is filled in bulk (SQL inserts through
the tables the repository uses; 1,000 users with an extension each, 10,000
customers with a phone and a job, 100,000 calls over 90 days linked to customers,
jobs and users); tokens are created for an admin and a technician (`pbx token`
service). Then the real controller runs (`pbx serve`; no Asterisk is needed for
the API, ARI and AMI retry in the background) and this process sends requests.

Per endpoint: --concurrency requests in flight at any time, after --warmup requests
that are not counted; with wrk (the default when installed: `apt install wrk`) for
--seconds per run, else with aiohttp (one session, one connection per in-flight
request) for --requests requests. Measured per request: the time from sending to the
whole body read.
Printed per endpoint: requests/s, p50, p90, p99, max (ms), and errors; every run of
--runs is printed, then the median of the runs' p50 and p99. The controller's CPU
time over each endpoint (from /proc) is printed as ms of CPU per request.

Run from the repository root:
    .venv/bin/python bench/api_bench.py [--requests 2000] [--concurrency 200] [--runs 3]
        [--database-url postgresql+asyncpg://...] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pbx.adapters.db.repository import open_repository  # noqa: E402
from pbx.adapters.db.tables import (  # noqa: E402
    CallRow,
    CustomerPhoneRow,
    CustomerRow,
    ExtensionRow,
    JobRow,
    UserRow,
)
from pbx.core.calls import Direction, Disposition  # noqa: E402
from pbx.core.model import JobStatus, RingTarget, Role  # noqa: E402
from pbx.services.tokens import TokenService  # noqa: E402

PBX = str(Path(sys.executable).with_name("pbx"))
USERS, CUSTOMERS, CALLS = 1_000, 10_000, 100_000
CHUNK = 5_000


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str) -> tuple[str, str, int]:
    """Fill the database; returns an admin token, a technician token, a customer id."""
    repo = await open_repository(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    async with repo.engine.begin() as conn:
        await conn.execute(
            sa.insert(UserRow),
            [
                {
                    "id": i + 1,
                    "name": f"user{i:04d}",
                    "email": f"user{i:04d}@example.com",
                    "mobile": None,
                    "role": Role.ADMIN if i == 0 else Role.TECHNICIAN,
                    "oncall_write": False,
                    "active": True,
                    "notify": "email",
                }
                for i in range(USERS)
            ],
        )
        await conn.execute(
            sa.insert(ExtensionRow),
            [
                {
                    "id": i + 1,
                    "number": str(1000 + i),
                    "user_id": i + 1,
                    "sip_password": f"pw{i:020d}",
                    "ring": RingTarget.SOFTPHONE,
                    "dnd": False,
                    "voicemail_box_id": None,
                    "webrtc": False,
                }
                for i in range(USERS)
            ],
        )
        names = ["Smith", "Jones", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore"]
        await conn.execute(
            sa.insert(CustomerRow),
            [
                {
                    "id": i + 1,
                    "name": f"{names[i % len(names)]} {i:05d}",
                    "owner_id": (i % USERS) + 1 if i % 3 == 0 else None,
                }
                for i in range(CUSTOMERS)
            ],
        )
        await conn.execute(
            sa.insert(CustomerPhoneRow),
            [
                {"customer_id": i + 1, "position": 0, "e164": f"+1312{2000000 + i:07d}"}
                for i in range(CUSTOMERS)
            ],
        )
        await conn.execute(
            sa.insert(JobRow),
            [
                {
                    "id": i + 1,
                    "customer_id": i + 1,
                    "title": f"Job {i}",
                    "status": JobStatus.OPEN if i % 2 else JobStatus.CLOSED,
                }
                for i in range(CUSTOMERS)
            ],
        )
        dispositions = list(Disposition)
        for start in range(0, CALLS, CHUNK):
            rows = []
            for n in range(start, min(start + CHUNK, CALLS)):
                customer = rng.randrange(CUSTOMERS) + 1
                user = rng.randrange(USERS) + 1
                began = now - timedelta(seconds=rng.randrange(90 * 86400))
                disposition = dispositions[n % len(dispositions)]
                answered = disposition is Disposition.ANSWERED
                rows.append(
                    {
                        "key": f"bench:{n}",
                        "direction": Direction.INBOUND,
                        "caller": f"+1312{2000000 + customer - 1:07d}",
                        "called": f"+131255501{n % 10:02d}",
                        "business_number": f"+131255501{n % 10:02d}",
                        "handled_by_user_id": user if answered else None,
                        "handled_by_user_name": f"user{user - 1:04d}" if answered else None,
                        "customer_id": customer,
                        "job_id": customer,
                        "started_at": began,
                        "answered_at": began + timedelta(seconds=8) if answered else None,
                        "ended_at": began + timedelta(seconds=120),
                        "disposition": disposition,
                        "route": "[]",
                    }
                )
            await conn.execute(sa.insert(CallRow), rows)
    tokens = TokenService(repo, repo)
    _, admin = await tokens.create("user0000")
    _, tech = await tokens.create("user0001")
    await repo.close()
    return admin, tech, 1


async def run_endpoint(
    base: str, path: str, token: str, requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                began = time.perf_counter()
                async with session.get(base + _vary(path)) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "rate": requests / elapsed,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000,
        "errors": errors,
    }


# placeholders of "varied" paths: a random value per request
VARY = {"customer": (1, CUSTOMERS, 0), "call": (1, CALLS, 0), "phone": (0, CUSTOMERS - 1, 2000000)}


def _vary(path: str) -> str:
    for name, (low, high, offset) in VARY.items():
        path = path.replace("{" + name + "}", str(offset + random.randint(low, high)))
    return path


def _wrk_script(path: str) -> str:
    """A wrk Lua script that fills the placeholders of `path` anew for each request."""
    table = ", ".join(f"{k} = {{{lo}, {hi}, {off}}}" for k, (lo, hi, off) in VARY.items())
    return (
        f"local vary = {{{table}}}\n"
        f"local template = [[{path}]]\n"
        "request = function()\n"
        '  local path = string.gsub(template, "{(%w+)}", function(k)\n'
        "    local v = vary[k]\n"
        "    return tostring(v[3] + math.random(v[1], v[2]))\n"
        "  end)\n"
        "  return wrk.format(nil, path)\n"
        "end\n"
    )


def _ms(text: str) -> float:
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


def run_wrk(url: str, token: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """The same measurement with wrk (C, two threads): the load generator costs far less CPU
    than Python's, which matters on a machine with two cores."""
    script: list[str] = []
    if "{" in url:
        base, path = url.split("/api/", 1)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(_wrk_script("/api/" + path))
        script = ["-s", lua.name]
        url = base + "/"
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "--timeout", "30s",
         "-H", f"Authorization: Bearer {token}", *script, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if script:
        os.unlink(script[1])
    found: dict[str, Any] = {"errors": 0}
    for line in out.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("50%", "90%", "99%"):
            found["p" + words[0].rstrip("%")] = _ms(words[1])
        elif words[:1] == ["Latency"] and len(words) >= 4:
            found["max"] = _ms(words[3])
        elif line.startswith("Requests/sec:"):
            found["rate"] = float(words[1])
        elif line.strip().startswith("Non-2xx"):
            found["errors"] = int(words[-1])
        elif "requests in" in line:
            found["requests"] = int(words[0])
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_at(
    base: str,
    endpoints: list[tuple[str, str, str]],
    pid: int,
    args: argparse.Namespace,
    concurrency: int,
) -> None:
    amount = f"{args.seconds:g} s" if args.client == "wrk" else f"{args.requests} requests"
    print(
        f"\n{amount} per endpoint and run ({args.client}), {concurrency} concurrent, {args.runs} runs"
    )
    print(
        f"{'endpoint':28} {'run':>3} {'req/s':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'cpu/req':>8} err"
    )
    summary = []
    for label, path, token in endpoints:
        asyncio.run(run_endpoint(base, path, token, args.warmup, min(concurrency, args.warmup)))
        p50s, p99s, rates = [], [], []
        for run in range(1, args.runs + 1):
            cpu = cpu_seconds(pid)
            if args.client == "wrk":
                r = run_wrk(base + path, token, concurrency, args.seconds)
                done = r["requests"]
            else:
                r = asyncio.run(run_endpoint(base, path, token, args.requests, concurrency))
                done = args.requests
            per = (cpu_seconds(pid) - cpu) / done * 1000
            p50s.append(r["p50"])
            p99s.append(r["p99"])
            rates.append(r["rate"])
            print(
                f"{label:28} {run:>3} {r['rate']:7.0f} {r['p50']:7.1f} {r['p90']:7.1f} "
                f"{r['p99']:7.1f} {r['max']:7.1f} {per:8.2f} {r['errors']}"
            )
        summary.append(
            (label, statistics.median(rates), statistics.median(p50s), statistics.median(p99s))
        )
    print(f"median of {args.runs} runs at {concurrency} concurrent (ms):")
    for label, rate, p50, p99 in summary:
        print(f"  {label:28} {rate:6.0f} req/s  p50 {p50:7.1f}  p99 {p99:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--concurrency", default="200", help="requests in flight; a comma list runs each in turn"
    )
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (Debian package wrk; the default when installed) or aiohttp",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per run, with wrk")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--only", default="", help="run only the endpoints whose label contains this text"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="pbx-api-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{home / 'pbx.db'}"
    began = time.perf_counter()
    admin, tech, customer = asyncio.run(seed(url))
    print(
        f"seeded {USERS} users, {CUSTOMERS} customers, {CALLS} calls in {time.perf_counter() - began:.1f} s"
    )
    api_port = _free_port()
    env = {
        **os.environ,
        "PBX_HOME": str(home),
        "PBX_DATABASE_URL": url,
        "PBX_API_PORT": str(api_port),
        "PBX_ARI_PORT": str(_free_port()),
        "PBX_AMI_PORT": str(_free_port()),
        "PBX_LOG_LEVEL": "WARNING",
    }
    log = open(home / "controller.log", "w")  # noqa: SIM115
    controller = subprocess.Popen([PBX, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{api_port}"
    endpoints = [
        ("floor: health, no auth", "/api/health", admin),
        ("floor: me, signed in", "/api/me", admin),
        ("calls, newest 50", "/api/calls?limit=50", admin),
        ("calls of one customer", f"/api/calls?customer={customer}", admin),
        ("missed calls, last 7 days", "/api/calls?disposition=Missed&since=7d&limit=50", admin),
        ("calls of one number", "/api/calls?number=%2B13125550105&limit=50", admin),
        ("technician's own calls", "/api/calls?limit=50", tech),
        ("one call", "/api/calls/50000", admin),
        ("customers, first 50", "/api/customers?limit=50", admin),
        ("customers named like", "/api/customers?q=garcia%2001&limit=50", admin),
        ("customer lookup by phone", "/api/customers/lookup?phone=%2B13122004321", admin),
        ("users, first 50", "/api/users?limit=50", admin),
        # every request a different page: what the cache cannot help with
        ("varied: calls of a customer", "/api/calls?customer={customer}", admin),
        ("varied: one call", "/api/calls/{call}", admin),
        ("varied: customer lookup", "/api/customers/lookup?phone=%2B1312{phone}", admin),
    ]
    endpoints = [e for e in endpoints if args.only in e[0]]
    try:
        deadline = time.time() + 60
        while True:
            try:
                import urllib.request

                urllib.request.urlopen(base + "/api/health", timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or controller.poll() is not None:
                    raise SystemExit(
                        f"controller did not start; see {home / 'controller.log'}"
                    ) from None
                time.sleep(0.3)
        for concurrency in [int(c) for c in str(args.concurrency).split(",")]:
            bench_at(base, endpoints, controller.pid, args, concurrency)
    finally:
        controller.terminate()
        controller.wait(20)
        log.close()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"kept {home}")


if __name__ == "__main__":
    main()

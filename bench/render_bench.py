"""How long rendering the Asterisk configuration takes as the directory grows.

Prints the median of several runs for directories of 10, 100 and 1000 extensions,
and the ratio per extension against the 10-extension baseline (near 1.0 = linear).
Run: .venv/bin/python bench/render_bench.py
"""

from __future__ import annotations

import statistics
import time

from pbx.adapters.templates import load_templates
from pbx.core.model import Directory, Extension, Trunk, User
from pbx.core.render import RenderOptions, render

OPTIONS = RenderOptions(
    asterisk_dir="/pbx/instance", bind="127.0.0.1", sip_port=5060, ari_port=8088, ami_port=5038,
    rtp_start=10000, rtp_end=20000, ari_user="pbx", ari_password="a" * 32, ami_user="pbx",
    ami_secret="b" * 32, fallback_number="+13125550100",
)  # fmt: skip


def directory(size: int) -> Directory:
    users = tuple(User(f"user{i}", f"user{i}@example.com") for i in range(size))
    exts = tuple(Extension(str(1000 + i), f"user{i}", "p" * 24) for i in range(size))
    trunk = Trunk("carrier", "sip.example.net", "acct", "secret-pass")
    return Directory(users=users, extensions=exts, trunks=(trunk,))


def main(runs: int = 7) -> None:
    templates = load_templates()
    per_ext: dict[int, float] = {}
    for size in (10, 100, 1000):
        d = directory(size)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            render(d, OPTIONS, templates)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        per_ext[size] = median / size
        print(f"{size:5d} extensions: median {median * 1000:8.2f} ms over {runs} runs")
    base = per_ext[10]
    for size, value in per_ext.items():
        print(f"{size:5d} extensions: time per extension / 10-extension baseline = {value / base:.2f}")


if __name__ == "__main__":
    main()

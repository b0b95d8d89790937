"""The browser softphone page in headless Chromium, for the end-to-end tests.

Chromium is the Debian package (`tools/system-deps.sh` installs it; `PBX_CHROMIUM` names
another binary); Playwright drives it and never downloads a browser of its own. Fake media
devices stand in for the microphone (a tone) and the permission prompt.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",  # grant the microphone without asking
    "--use-fake-device-for-media-stream",  # a generated tone instead of a microphone
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

VENDOR = Path(__file__).resolve().parents[2] / "pbx" / "api" / "static" / "vendor"


def chromium_binary() -> str | None:
    return os.environ.get("PBX_CHROMIUM") or shutil.which("chromium")


def require_browser() -> str:
    """The Chromium binary. Like the PostgreSQL tests, never skipped: without Chromium or
    Playwright the test fails and says why (`make test` installs both)."""
    binary = chromium_binary()
    if binary is None:
        pytest.fail(
            "Chromium is not installed (tools/system-deps.sh installs the chromium package)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright (a dev dependency in pyproject.toml) is not installed")
    assert (VENDOR / "jssip.min.js").is_file(), (
        "the softphone's SIP library is not built: run tools/vendor-js.sh (make vendor-js)"
    )
    return binary


class Softphone:
    """The softphone page in one tab, with what its console said (for failure messages)."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def describe(self) -> str:
        lines = "\n".join(self.console[-40:])
        state = {i: self.text(i) for i in ("status", "call-state", "call-peer", "call-customer")}
        return f"page: {state}\nconsole:\n{lines}"

    def text(self, element_id: str) -> str:
        return (self.page.text_content(f"#{element_id}") or "").strip()

    def open(self) -> None:
        answer = self.page.goto(self.url)
        status = answer.status if answer is not None else None
        assert status == 200, f"GET {self.url} answered {status}: is the softphone page served?"
        self.page.wait_for_selector("#sign-in-form")

    def sign_in(self, token: str) -> None:
        self.page.fill("#token", token)
        self.page.click("#sign-in-button")

    def wait(self, selector: str, timeout: float = 15.0) -> None:
        try:
            self.page.wait_for_selector(selector, timeout=timeout * 1000)
        except Exception as exc:
            raise AssertionError(f"{selector} never appeared: {exc}\n{self.describe()}") from None

    def wait_call(self, state: str, timeout: float = 15.0) -> None:
        self.wait(f"#call-panel[data-state={state}]", timeout)

    def wait_packets(self, direction: str, count: int, timeout: float = 15.0) -> int:
        """Wait until the call's audio has `count` RTP packets `direction` ("received"/"sent")."""
        script = (
            "([key, n]) => Number(document.getElementById('call-media').dataset[key] || 0) >= n"
        )
        try:
            self.page.wait_for_function(script, arg=[direction, count], timeout=timeout * 1000)
        except Exception as exc:
            raise AssertionError(
                f"no {count} packets {direction}: {exc}\n{self.describe()}"
            ) from None
        return int(self.page.get_attribute("#call-media", f"data-{direction}") or 0)


@contextmanager
def softphone(url: str, profile: Path) -> Iterator[Softphone]:
    """The page at `url` in a fresh headless Chromium (empty profile in `profile`)."""
    from playwright.sync_api import sync_playwright

    binary = require_browser()
    profile.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile), executable_path=binary, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            phone = Softphone(page, url)
            phone.open()
            yield phone
        finally:
            context.close()

"""Webhook notifications: a signed JSON POST to an SMS or push gateway.

The request (body, headers, signature) is defined in `pbx.core.notifications`.
A 2xx answer means delivered; anything else (another status, a redirect, no
answer within the timeout, no connection) is a `DeliveryError`, and the
notifier tries again later. The URL is never logged with its query string or
credentials: gateways often carry a token there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from pbx.core.notifications import (
    HEADER_DELIVERY,
    HEADER_EVENT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SIGNATURE_PREFIX,
    DeliveryError,
    Notice,
    sign,
    webhook_body,
)

TIMEOUT = 10.0  # seconds for the whole request
USER_AGENT = "pbx-notifier/1"


def public_url(url: str) -> str:
    """The URL without credentials, query or fragment: safe for logs and the outbox."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class WebhookSender:
    """POSTs notices to one gateway URL (one instance per channel: SMS, push).

    `session` is the controller's aiohttp session (the sender does not close it).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        secret: str,
        *,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"webhook URL must be http(s), got {public_url(url)!r}")
        self.session = session
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.clock = clock
        self.where = public_url(url)

    def request(self, notice: Notice) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST for a notice."""
        body = webhook_body(notice)
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER_EVENT: str(notice.payload.get("event", notice.kind)),
            HEADER_TIMESTAMP: timestamp,
            HEADER_SIGNATURE: SIGNATURE_PREFIX + sign(self.secret, timestamp, body),
        }
        if notice.id is not None:
            headers[HEADER_DELIVERY] = str(notice.id)
        return body, headers

    async def send(self, notice: Notice, attachment: Path | None = None) -> None:
        """POST the notice's payload; DeliveryError unless the gateway answers 2xx.

        Webhooks carry no audio: `attachment` is ignored.
        """
        body, headers = self.request(notice)
        try:
            async with self.session.post(
                self.url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                if 200 <= response.status < 300:
                    return
                detail = await _snippet(response)
                raise DeliveryError(
                    f"HTTP {response.status} from {self.where}" + (f": {detail}" if detail else "")
                )
        except TimeoutError as exc:
            raise DeliveryError(f"no answer from {self.where} within {self.timeout:g} s") from exc
        except aiohttp.ClientError as exc:
            reason = str(exc) or type(exc).__name__
            raise DeliveryError(f"cannot POST to {self.where}: {reason}") from exc


async def _snippet(response: aiohttp.ClientResponse, limit: int = 120) -> str:
    try:
        raw = await response.content.read(limit * 4)
    except (aiohttp.ClientError, TimeoutError):
        return ""
    text = " ".join(raw.decode(errors="replace").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

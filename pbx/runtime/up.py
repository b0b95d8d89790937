"""`pbx up`: everything needed to run the phone system, in one command."""

from __future__ import annotations

import asyncio
import logging

from pbx.adapters import asterisk_process
from pbx.runtime.controller import serve
from pbx.runtime.settings import Settings
from pbx.runtime.wiring import config_service

log = logging.getLogger("pbx.up")

NEXT_STEPS = """\
The directory is empty. Next steps, in another terminal (same PBX_HOME):
  pbx user add "Ann Smith" --email ann@example.com --mobile "+1 312 555 0100" --role admin
  pbx ext add 101 --user "Ann Smith"
  pbx config apply
  pbx ext list --show-secrets      # the SIP username and password for extension 101
Then register a softphone or desk phone to {bind}:{port} (UDP) with those credentials,
and check it with: pbx status
"""


async def up(settings: Settings) -> None:
    """Init, bootstrap, render, start Asterisk, run the controller; stop all on SIGINT/SIGTERM."""
    host = await asyncio.to_thread(asterisk_process.bootstrap, settings)
    print(f"asterisk: {host.describe()}", flush=True)
    async with config_service(settings) as service:
        await service.write()
        directory = await service.repo.snapshot()
    started_here = not asterisk_process.status(settings).get("running")
    if started_here:
        pid = await asyncio.to_thread(asterisk_process.start, settings)
        print(f"asterisk: started (pid {pid}), SIP on {settings.bind}:{settings.sip_port}", flush=True)
    else:
        print("asterisk: already running; using it", flush=True)
    if not directory.extensions:
        print(NEXT_STEPS.format(bind=settings.bind, port=settings.sip_port), flush=True)
    try:
        await serve(settings)
    finally:
        if started_here:
            await asyncio.to_thread(asterisk_process.stop, settings)
            print("asterisk: stopped", flush=True)

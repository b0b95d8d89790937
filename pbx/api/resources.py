"""Every resource module of the API, in the order the OpenAPI document lists them."""

from __future__ import annotations

from pbx.api.base import Operation


def operations() -> list[Operation]:
    from pbx.api import calls, crm, directory, live, oncall, voicemail

    modules = (live, directory, crm, calls, voicemail, oncall)
    return [op for module in modules for op in module.routes.operations]

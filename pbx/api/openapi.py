"""The OpenAPI 3.1 document of the API, made from the operation table that also builds
the router (so the two always match)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from pbx.api.base import Operation, Param

_ERROR = {"$ref": "#/components/schemas/Error"}


def _param(p: Param) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": p.type}
    if p.enum:
        schema["enum"] = list(p.enum)
    return {
        "name": p.name,
        "in": p.where,
        "required": p.required or p.where == "path",
        "description": p.description,
        "schema": schema,
    }


def _operation_id(op: Operation) -> str:
    words = [w for w in re.split(r"[^a-z0-9]+", op.path.lower()) if w and w != "api"]
    return "_".join([op.method.lower(), *words])


def _responses(op: Operation) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "success"}
    if op.status != 204:
        ok["content"] = {
            op.response: {
                "schema": {} if op.response != "application/json" else {"type": ["object", "array"]}
            }
        }
    responses: dict[str, Any] = {str(op.status): ok}
    errors = {"400": "bad input (the field is named)", "404": "not found"}
    if not op.public:
        errors |= {
            "401": "missing, invalid or revoked token",
            "403": "the token's role may not do this",
            "429": "too many failed sign-ins from this address",
        }
    for code, text in errors.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": _ERROR}}}
    return responses


def document(ops: Sequence[Operation], version: str) -> dict[str, Any]:
    """The OpenAPI document describing `ops`."""
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        entry: dict[str, Any] = {
            "operationId": _operation_id(op),
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": [
                _param(p) for p in (*op.path_params, *(p for p in op.params if p.where == "query"))
            ],
            "responses": _responses(op),
        }
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": dict(op.body)}},
            }
        if op.public:
            entry["security"] = []
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pbx",
            "version": version,
            "description": "The phone system's API: directory, calls, voicemail, on-call, live view.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "field": {"type": "string", "description": "the input at fault"},
                    },
                }
            },
        },
    }


async def serve(request: web.Request) -> web.Response:
    from pbx.api.app import OPERATIONS_KEY, STATE_KEY

    doc = document(request.app[OPERATIONS_KEY], request.app[STATE_KEY].version)
    return web.json_response(doc)

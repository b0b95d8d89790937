"""What every API handler shares: the operation table (which also makes the OpenAPI
document), request-body validation against the same schemas, query parameters,
pagination, and the request's principal and services.

An `Operation` is declared once, with its path, method, summary, parameters and
body schema; `make_app` adds it to the router and `openapi.document` describes
it, so the document cannot drift from the routes (a test checks both ways).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aiohttp import web

from pbx.core.access import Forbidden, Principal
from pbx.core.errors import InvalidInput, NotFound

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")

PRINCIPAL_KEY: web.RequestKey[Principal] = web.RequestKey("pbx_principal", Principal)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Param:
    """A query or path parameter."""

    name: str
    description: str
    type: Literal["string", "integer", "boolean"] = "string"
    where: Literal["query", "path"] = "query"
    required: bool = False
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One route of the API, as served and as documented."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    params: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None  # JSON schema of the request body
    response: str = "application/json"  # or audio/wav, text/plain, text/event-stream ...
    status: int = 200
    public: bool = False
    cache: bool = True  # a JSON GET that reads only the database (see pagecache)

    @property
    def cacheable(self) -> bool:
        return self.cache and self.method == "GET" and self.response == "application/json"

    @property
    def path_params(self) -> tuple[Param, ...]:
        names = [part[1:-1] for part in self.path.split("/") if part.startswith("{")]
        declared = {p.name: p for p in self.params if p.where == "path"}
        return tuple(
            declared.get(n, Param(n, f"the {n.replace('_', ' ')}", where="path", required=True))
            for n in names
        )


@dataclass
class Routes:
    """A table of operations, filled by the `get`/`post`/... decorators of a resource module."""

    tag: str
    operations: list[Operation] = field(default_factory=list)

    def _add(
        self, method: str, path: str, summary: str, **extra: Any
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.operations.append(Operation(method, path, handler, summary, self.tag, **extra))
            return handler

        return register

    def get(self, path: str, summary: str, **extra: Any) -> Callable[[Handler], Handler]:
        return self._add("GET", path, summary, **extra)

    def post(self, path: str, summary: str, **extra: Any) -> Callable[[Handler], Handler]:
        return self._add("POST", path, summary, **extra)

    def patch(self, path: str, summary: str, **extra: Any) -> Callable[[Handler], Handler]:
        return self._add("PATCH", path, summary, **extra)

    def put(self, path: str, summary: str, **extra: Any) -> Callable[[Handler], Handler]:
        return self._add("PUT", path, summary, **extra)

    def delete(self, path: str, summary: str, **extra: Any) -> Callable[[Handler], Handler]:
        return self._add("DELETE", path, summary, status=204, **extra)


# -- JSON schemas for request bodies ------------------------------------------------


def obj(required: Sequence[str] = (), **properties: Mapping[str, Any]) -> dict[str, Any]:
    """An object schema with these properties (no others allowed)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties),
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def string(description: str = "", enum: Sequence[str] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if description:
        schema["description"] = description
    if enum:
        schema["enum"] = list(enum)
    return schema


def integer(description: str = "", minimum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    if description:
        schema["description"] = description
    if minimum is not None:
        schema["minimum"] = minimum
    return schema


def number(description: str = "") -> dict[str, Any]:
    return {"type": "number", "description": description} if description else {"type": "number"}


def boolean(description: str = "") -> dict[str, Any]:
    return {"type": "boolean", "description": description} if description else {"type": "boolean"}


def strings(description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    if description:
        schema["description"] = description
    return schema


def nullable(schema: Mapping[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _type_ok(value: Any, kinds: Sequence[str]) -> bool:
    for kind in kinds:
        if isinstance(value, bool) and kind in ("integer", "number"):
            continue
        if isinstance(value, _JSON_TYPES[kind]):
            return True
    return False


def check(schema: Mapping[str, Any], value: Any, path: str = "") -> None:
    """Validate `value` against the subset of JSON Schema our bodies use;
    InvalidInput names the offending field (dotted path) and the reason."""
    kinds = schema.get("type", "object")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    where = path or "body"
    if not _type_ok(value, kinds):
        wanted = " or ".join(k for k in kinds if k != "null")
        raise InvalidInput(where, f"must be {'an' if wanted[0] in 'aeiou' else 'a'} {wanted}")
    if value is None:
        return
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidInput(where, f"must be one of {', '.join(map(str, schema['enum']))}")
    if "minimum" in schema and value < schema["minimum"]:
        raise InvalidInput(where, f"must be at least {schema['minimum']}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(schema["items"], item, f"{where}[{i}]")
    if isinstance(value, dict):
        props: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                raise InvalidInput(f"{path}.{name}" if path else name, "is required")
        for name, item in value.items():
            sub = f"{path}.{name}" if path else name
            if name not in props:
                if schema.get("additionalProperties", True) is False:
                    known = ", ".join(props) or "none"
                    raise InvalidInput(sub, f"is not a known field (known: {known})")
                continue
            check(props[name], item, sub)


async def body(request: web.Request, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The request's JSON body, checked against `schema`."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise InvalidInput("body", f"is larger than {MAX_BODY} bytes")
    raw = await request.read()
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput("body", f"is not valid JSON ({exc})") from None
    check(schema, data)
    return dict(data)


# -- query parameters ---------------------------------------------------------------


def query_text(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def query_int(
    request: web.Request, name: str, default: int | None = None, lo: int = 0, hi: int = 2**31
) -> int | None:
    raw = query_text(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(name, f"must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise InvalidInput(name, f"must be between {lo} and {hi}, got {value}")
    return value


def query_bool(request: web.Request, name: str) -> bool | None:
    raw = query_text(request, name)
    if raw is None:
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput(name, f"must be true or false, got {raw!r}")


def path_int(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput(name, f"must be a number, got {raw!r}")
    return int(raw)


def limit_of(request: web.Request) -> int:
    value = query_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    assert value is not None
    return value


LIST_PARAMS = (
    Param("limit", f"at most this many items (1-{MAX_LIMIT}, default {DEFAULT_LIMIT})", "integer"),
    Param("cursor", "the `next` value of the previous page"),
)


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(request: web.Request) -> Any:
    raw = query_text(request, "cursor")
    if raw is None:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidInput("cursor", "is not a cursor this API gave out") from None


def offset_page(
    request: web.Request, items: Sequence[T], convert: Callable[[T], Any]
) -> web.Response:
    """One page of an in-memory list (`cursor` is an offset)."""
    limit = limit_of(request)
    start = decode_cursor(request) or 0
    if not isinstance(start, int) or start < 0:
        raise InvalidInput("cursor", "is not a cursor this API gave out")
    chunk = items[start : start + limit]
    following = start + limit if start + limit < len(items) else None
    return web.json_response(
        {
            "items": [convert(i) for i in chunk],
            "next": encode_cursor(following) if following is not None else None,
        }
    )


@contextmanager
def references_are_input(*addressed: str, **renamed: str) -> Iterator[None]:
    """Errors of a service call, as the request made it: a NotFound about what the path
    addresses (`addressed` fields) stays a 404; one about anything the request refers to
    (a body field, a filter) is bad input, a 400. `renamed` maps the service's field
    names to the request's."""
    try:
        yield
    except Forbidden:
        raise
    except InvalidInput as exc:
        field = renamed.get(exc.field, exc.field)
        if isinstance(exc, NotFound) and exc.field in addressed:
            raise
        if isinstance(exc, NotFound) or field != exc.field:
            raise InvalidInput(field, exc.reason) from None
        raise


# -- the request's principal -----------------------------------------------------------


def principal(request: web.Request) -> Principal:
    """Who makes this (authenticated) request."""
    found = request.get(PRINCIPAL_KEY)
    if not isinstance(found, Principal):
        raise web.HTTPUnauthorized()
    return found


def created(data: Any) -> web.Response:
    return web.json_response(data, status=201)


def no_content() -> web.Response:
    return web.Response(status=204)

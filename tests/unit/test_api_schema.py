"""The API's request-body schemas and OpenAPI document (the pure parts): `check` against
the schema helpers, path parameters, and the document made from an operation table;
and a contract on the real operation table, which must hold as routes are added."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from pbx.api import openapi
from pbx.api.base import (
    Operation,
    Param,
    boolean,
    check,
    integer,
    nullable,
    number,
    obj,
    string,
    strings,
)
from pbx.core.errors import InvalidInput
from tests.unit.expect import reject


async def _handler(request: web.Request) -> web.Response:  # never called
    return web.Response()


USER = obj(
    ("name", "email"),
    name=string("the user's name"),
    email=string(),
    role=string(enum=("admin", "dispatcher", "technician")),
    ring_timeout=integer("seconds", minimum=5),
    weight=number(),
    active=boolean(),
    phones=strings("E.164 numbers"),
    mobile=nullable(string()),
    address=obj(("city",), city=string(), zip=nullable(string())),
)

VALID: dict[str, Any] = {
    "name": "Ann",
    "email": "ann@example.com",
    "role": "admin",
    "ring_timeout": 20,
    "weight": 1.5,
    "active": True,
    "phones": ["+13125550101", "+13125550102"],
    "mobile": None,
    "address": {"city": "Chicago", "zip": "60601"},
}


# --- schema helpers ---------------------------------------------------------------------


def test_schema_helpers_make_json_schema() -> None:
    assert obj() == {"type": "object", "properties": {}, "additionalProperties": False}
    assert obj(("a",), a=string())["required"] == ["a"]
    assert string("x", ("a", "b")) == {"type": "string", "description": "x", "enum": ["a", "b"]}
    assert integer(minimum=0) == {"type": "integer", "minimum": 0}
    assert number() == {"type": "number"}
    assert boolean("on") == {"type": "boolean", "description": "on"}
    assert strings() == {"type": "array", "items": {"type": "string"}}
    assert nullable(integer("n")) == {"type": ["integer", "null"], "description": "n"}


# --- check ------------------------------------------------------------------------------


def test_valid_body_passes() -> None:
    check(USER, VALID)
    check(USER, {"name": "Ann", "email": "a@example.com"})  # only the required fields


def test_required_field_missing() -> None:
    reject("email", "is required", check, USER, {"name": "Ann"})
    reject("name", "is required", check, USER, {})


def test_required_field_missing_in_a_nested_object() -> None:
    body = {**VALID, "address": {"zip": "60601"}}
    reject("address.city", "is required", check, USER, body)


def test_unknown_field_is_named() -> None:
    exc = reject("nmae", "is not a known field", check, USER, {**VALID, "nmae": "Ann"})
    assert "name, email" in exc.reason  # the known fields are listed
    reject("address.street", "is not a known field", check, USER,
           {**VALID, "address": {"city": "Chicago", "street": "Main"}})  # fmt: skip


def test_unknown_field_allowed_without_additional_properties_false() -> None:
    loose = {"type": "object", "properties": {"a": string()}}
    check(loose, {"a": "x", "b": 1})
    reject("a", "must be a string", check, loose, {"a": 1, "b": 1})


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("name", 1, "must be a string"),
        ("name", None, "must be a string"),
        ("name", ["Ann"], "must be a string"),
        ("ring_timeout", "20", "must be an integer"),
        ("ring_timeout", 20.5, "must be an integer"),
        ("ring_timeout", True, "must be an integer"),  # bool is not an integer
        ("weight", "1.5", "must be a number"),
        ("weight", False, "must be a number"),  # nor a number
        ("active", 1, "must be a boolean"),
        ("active", "true", "must be a boolean"),
        ("phones", "+13125550101", "must be an array"),
        ("address", "Chicago", "must be an object"),
        ("address", None, "must be an object"),
    ],
)
def test_wrong_types(field: str, value: Any, shown: str) -> None:
    reject(field, shown, check, USER, {**VALID, field: value})


def test_int_is_a_number() -> None:
    check(USER, {**VALID, "weight": 2})
    check(USER, {**VALID, "weight": 0.25})


def test_body_must_be_an_object() -> None:
    for value in ([], "x", 1, None, True):
        reject("body", "must be an object", check, USER, value)


def test_enum() -> None:
    exc = reject("role", "must be one of", check, USER, {**VALID, "role": "boss"})
    assert "admin, dispatcher, technician" in exc.reason


def test_minimum() -> None:
    check(USER, {**VALID, "ring_timeout": 5})
    reject("ring_timeout", "must be at least 5", check, USER, {**VALID, "ring_timeout": 4})
    reject("ring_timeout", "must be at least 5", check, USER, {**VALID, "ring_timeout": -1})


def test_array_items_are_named_by_index() -> None:
    body = {**VALID, "phones": ["+13125550101", 7, "+13125550102"]}
    reject("phones[1]", "must be a string", check, USER, body)
    check(USER, {**VALID, "phones": []})


def test_nested_arrays_of_objects_are_named_by_path() -> None:
    schema = obj(("items",), items={"type": "array", "items": obj(("n",), n=integer())})
    reject(
        "items[2].n",
        "must be an integer",
        check,
        schema,
        {"items": [{"n": 1}, {"n": 2}, {"n": "3"}]},
    )
    reject("items[0].n", "is required", check, schema, {"items": [{}]})
    reject(
        "items[1].x", "is not a known field", check, schema, {"items": [{"n": 1}, {"n": 1, "x": 0}]}
    )


def test_top_level_array_items_are_named_from_body() -> None:
    reject("body[0]", "must be a string", check, strings(), [1])


def test_null_only_where_nullable() -> None:
    check(USER, {**VALID, "mobile": None})
    check(USER, {**VALID, "address": {"city": "Chicago", "zip": None}})
    reject("email", "must be a string", check, USER, {**VALID, "email": None})
    reject("phones", "must be an array", check, USER, {**VALID, "phones": None})


def test_nullable_still_checks_the_type() -> None:
    exc = reject("mobile", "must be a string", check, USER, {**VALID, "mobile": 5})
    assert "null" not in exc.reason


def test_nullable_enum_and_minimum_accept_null() -> None:
    schema = obj(role=nullable(string(enum=("a", "b"))), n=nullable(integer(minimum=1)))
    check(schema, {"role": None, "n": None})
    reject("role", "must be one of a, b", check, schema, {"role": "c"})
    reject("n", "must be at least 1", check, schema, {"n": 0})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(JSON)
def test_check_either_accepts_or_names_a_field(value: Any) -> None:
    """Any JSON value: accepted, or refused with InvalidInput naming a field of the schema."""
    try:
        check(USER, value)
    except InvalidInput as exc:
        assert exc.field == "body" or re.match(r"^[^.\[\]]+(\[\d+\])?(\.[^.\[\]]+)?$", exc.field)
        assert exc.reason


# --- Operation.path_params --------------------------------------------------------------


def op(method: str, path: str, **extra: Any) -> Operation:
    return Operation(method, path, _handler, f"{method} {path}", "test", **extra)


def test_path_params_derived_from_the_path() -> None:
    params = op("GET", "/api/customers/{id}/jobs/{job_id}").path_params
    assert [(p.name, p.where, p.required, p.type) for p in params] == [
        ("id", "path", True, "string"),
        ("job_id", "path", True, "string"),
    ]
    assert params[1].description == "the job id"


def test_declared_path_params_are_used() -> None:
    declared = Param("id", "the customer's number", "integer", where="path", required=True)
    query = Param("id", "not this one")
    params = op("GET", "/api/customers/{id}", params=(query, declared)).path_params
    assert params == (declared,)


def test_no_path_params() -> None:
    assert op("GET", "/api/users").path_params == ()
    # a declared path param that is not in the path is not a path param
    stray = Param("name", "x", where="path", required=True)
    assert op("GET", "/api/users", params=(stray,)).path_params == ()


# --- openapi.document -------------------------------------------------------------------

BODY = obj(("name",), name=string())
OPS = [
    op("GET", "/api/health", public=True),
    op("GET", "/api/users", params=(Param("role", "by role", enum=("admin", "technician")),)),
    op("POST", "/api/users", body=BODY, status=201),
    op("GET", "/api/users/{name}"),
    op("DELETE", "/api/users/{name}", status=204),
    op("GET", "/api/calls/{id}/recording", response="audio/wav"),
]


def test_document_header() -> None:
    doc = openapi.document(OPS, "1.0")
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["version"] == "1.0"
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert "Error" in doc["components"]["schemas"]


def test_every_op_under_its_path_and_method() -> None:
    paths = openapi.document(OPS, "1.0")["paths"]
    assert {(path, method) for path, entries in paths.items() for method in entries} == {
        (o.path, o.method.lower()) for o in OPS
    }
    assert paths["/api/users"]["post"]["summary"] == "POST /api/users"
    assert paths["/api/users"]["get"]["tags"] == ["test"]


def test_operation_ids_are_unique() -> None:
    paths = openapi.document(OPS, "1.0")["paths"]
    ids = [entry["operationId"] for entries in paths.values() for entry in entries.values()]
    assert len(ids) == len(set(ids)) == len(OPS)
    assert paths["/api/users/{name}"]["get"]["operationId"] == "get_users_name"


def test_public_ops_need_no_security() -> None:
    paths = openapi.document(OPS, "1.0")["paths"]
    assert paths["/api/health"]["get"]["security"] == []
    assert "401" not in paths["/api/health"]["get"]["responses"]
    for path, method in (("/api/users", "get"), ("/api/users/{name}", "delete")):
        assert "security" not in paths[path][method]  # the document's default: bearer
        assert {"401", "403", "429"} <= set(paths[path][method]["responses"])


def test_body_schema_is_the_request_body() -> None:
    paths = openapi.document(OPS, "1.0")["paths"]
    body = paths["/api/users"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == BODY
    assert "requestBody" not in paths["/api/users"]["get"]


def test_path_params_are_required_and_query_params_follow() -> None:
    paths = openapi.document(OPS, "1.0")["paths"]
    assert paths["/api/users/{name}"]["get"]["parameters"] == [
        {
            "name": "name",
            "in": "path",
            "required": True,
            "description": "the name",
            "schema": {"type": "string"},
        }
    ]
    assert paths["/api/users"]["get"]["parameters"] == [
        {
            "name": "role",
            "in": "query",
            "required": False,
            "description": "by role",
            "schema": {"type": "string", "enum": ["admin", "technician"]},
        }
    ]


def test_responses_follow_status_and_media_type() -> None:
    paths = openapi.document(OPS, "1.0")["paths"]
    created = paths["/api/users"]["post"]["responses"]
    assert "application/json" in created["201"]["content"]
    deleted = paths["/api/users/{name}"]["delete"]["responses"]
    assert "content" not in deleted["204"]
    audio = paths["/api/calls/{id}/recording"]["get"]["responses"]["200"]
    assert list(audio["content"]) == ["audio/wav"]


# --- the contract on the real operation table -------------------------------------------


def _real_document() -> dict[str, Any]:
    from pbx.api.app import operations

    return openapi.document(operations(), "test")


def test_real_operations_have_unique_operation_ids() -> None:
    paths = _real_document()["paths"]
    ids = Counter(entry["operationId"] for entries in paths.values() for entry in entries.values())
    assert [i for i, n in ids.items() if n > 1] == []


def test_real_operations_are_unique_routes() -> None:
    from pbx.api.app import operations

    routes = Counter((o.method, o.path) for o in operations())
    assert [r for r, n in routes.items() if n > 1] == []


def test_real_operations_declare_every_path_param() -> None:
    paths = _real_document()["paths"]
    for path, entries in paths.items():
        in_path = re.findall(r"\{([^{}]+)\}", path)
        for method, entry in entries.items():
            declared = [p["name"] for p in entry["parameters"] if p["in"] == "path"]
            assert declared == in_path, (method, path)
            assert all(p["required"] for p in entry["parameters"] if p["in"] == "path")
            names = [(p["name"], p["in"]) for p in entry["parameters"]]
            assert len(names) == len(set(names)), (method, path, names)


def test_real_operations_document_public_paths_only_as_public() -> None:
    from pbx.api.app import PUBLIC_PATHS, operations

    for o in operations():
        assert o.public is (o.path in PUBLIC_PATHS), (o.method, o.path)
        assert o.path.startswith("/api/")
        assert o.summary

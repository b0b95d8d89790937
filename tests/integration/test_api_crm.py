"""Customers, jobs and the caller lookup over real HTTP against a real database
(SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api_client import (
    ApiHarness,
    refreshes,
    refused,
    staffed_harness,
)

ACME = "+14155550100"
BAKERY = "+14155550101"


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with staffed_harness(db_url, tmp_path) as harness:
        yield harness


async def add_customer(h: ApiHarness, name: str, *phones: str, owner: str | None = None) -> int:
    data: dict[str, Any] = {"name": name, "phones": list(phones)}
    if owner is not None:
        data["owner"] = owner
    created = await h.call("POST", "/api/customers", "dee", json=data, status=201)
    return int(created["id"])


async def add_job(h: ApiHarness, customer: int, title: str) -> int:
    job = await h.call(
        "POST", f"/api/customers/{customer}/jobs", "dee", json={"title": title}, status=201
    )
    return int(job["id"])


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


# -- customers ---------------------------------------------------------------------------


async def test_customers_add_show_list_update(h: ApiHarness) -> None:
    seen = refreshes(h)
    acme = await h.call(
        "POST",
        "/api/customers",
        "dee",
        json={
            "name": "Acme Plumbing",
            "phones": ["(415) 555-0100", "+1 415 555 0100", "415-555-0102"],
            "owner": "tom",
        },
        status=201,
    )
    assert acme == {
        "id": acme["id"],
        "name": "Acme Plumbing",
        "phones": [ACME, "+14155550102"],
        "owner": "tom",
        "jobs": [],
    }
    assert len(seen) == 1
    bakery = await add_customer(h, "Bob's Bakery", "4155550101", "4155550100")
    await add_customer(h, "Corner Shop", "4155550103", owner="tom")
    assert (await h.get(f"/api/customers/{acme['id']}", "tom"))["name"] == "Acme Plumbing"

    listed = await h.get("/api/customers", "tom")
    assert names(listed) == ["Acme Plumbing", "Bob's Bakery", "Corner Shop"]
    assert listed["items"][1] == {
        "id": bakery,
        "name": "Bob's Bakery",
        "phones": [BAKERY, ACME],
        "owner": None,
    }
    assert names(await h.get("/api/customers", q="ACME")) == ["Acme Plumbing"]
    assert names(await h.get("/api/customers", q="o")) == ["Bob's Bakery", "Corner Shop"]
    shared = await h.get("/api/customers", phone="(415) 555-0100")
    assert names(shared) == ["Acme Plumbing", "Bob's Bakery"]
    assert names(await h.get("/api/customers", phone="+14155550199")) == []
    assert names(await h.get("/api/customers", owner="tom")) == ["Acme Plumbing", "Corner Shop"]
    assert names(await h.get("/api/customers", owner="tom", q="corner")) == ["Corner Shop"]

    first = await h.get("/api/customers", limit="2")
    assert names(first) == ["Acme Plumbing", "Bob's Bakery"] and first["next"]
    second = await h.get("/api/customers", limit="2", cursor=first["next"])
    assert names(second) == ["Corner Shop"] and second["next"] is None

    changed = await h.call(
        "PATCH",
        f"/api/customers/{acme['id']}",
        "ann",
        json={"name": "Acme Plumbing & Heating", "phones": ["415 555 0104"], "owner": None},
        status=200,
    )
    assert changed["name"] == "Acme Plumbing & Heating"
    assert (changed["phones"], changed["owner"]) == (["+14155550104"], None)
    assert names(await h.get("/api/customers", phone=ACME)) == ["Bob's Bakery"]
    owned = await h.call(
        "PATCH", f"/api/customers/{bakery}", "dee", json={"owner": "dee"}, status=200
    )
    assert owned["owner"] == "dee" and owned["phones"] == [BAKERY, ACME]
    assert len(seen) == 5


async def test_customers_refuse_bad_input(h: ApiHarness) -> None:
    acme = await add_customer(h, "Acme", ACME, owner="tom")
    new = {"name": "Other", "phones": [BAKERY]}
    bad = await refused(h, "POST", "/api/customers", "phones", json={**new, "phones": ["12"]})
    assert "12" in bad["error"]
    await refused(h, "POST", "/api/customers", "phones", json={**new, "phones": []})
    await refused(h, "POST", "/api/customers", "phones", json={**new, "phones": BAKERY})
    await refused(h, "POST", "/api/customers", "phones[0]", json={**new, "phones": [4155550101]})
    await refused(h, "POST", "/api/customers", "owner", json={**new, "owner": "nobody"})
    await refused(h, "POST", "/api/customers", "name", json={**new, "name": 5})
    await refused(h, "POST", "/api/customers", "name", json={**new, "name": "  "})
    await refused(h, "POST", "/api/customers", "email", json={**new, "email": "x@example.com"})
    await refused(h, "POST", "/api/customers", "phones", json={"name": "Other"})
    await refused(h, "PATCH", f"/api/customers/{acme}", "phones", json={"phones": ["abc"]})
    await refused(h, "PATCH", f"/api/customers/{acme}", "owner", json={"owner": "nobody"})
    await refused(h, "PATCH", f"/api/customers/{acme}", "id", json={"id": 7})
    await refused(h, "GET", "/api/customers?phone=abc", "phone")
    await refused(h, "GET", "/api/customers/abc", "id")
    await refused(h, "PATCH", "/api/customers/abc", "id", json={"name": "x"})
    await h.get("/api/customers/999", status=404)
    await h.call("PATCH", "/api/customers/999", json={"name": "x"}, status=404)
    stored = await h.get(f"/api/customers/{acme}")
    assert (stored["name"], stored["phones"], stored["owner"]) == ("Acme", [ACME], "tom")
    assert names(await h.get("/api/customers")) == ["Acme"]


async def test_customers_are_changed_by_the_office_only(h: ApiHarness) -> None:
    acme = await add_customer(h, "Acme", ACME)
    seen = refreshes(h)
    answer = await h.call(
        "POST", "/api/customers", "tom", json={"name": "Other", "phones": [BAKERY]}, status=403
    )
    assert answer["field"] == "role" and "tom" in answer["error"]
    await h.call("PATCH", f"/api/customers/{acme}", "tom", json={"name": "Mine"}, status=403)
    await h.call("POST", f"/api/customers/{acme}/jobs", "tom", json={"title": "x"}, status=403)
    stored = await h.get(f"/api/customers/{acme}", "tom")
    assert (stored["name"], stored["jobs"]) == ("Acme", [])
    assert names(await h.get("/api/customers", "tom")) == ["Acme"]
    assert seen == []
    # admins may, like dispatchers
    await h.call("PATCH", f"/api/customers/{acme}", "ann", json={"name": "Acme Co"}, status=200)


# -- the caller lookup -------------------------------------------------------------------


async def test_lookup_finds_the_caller_and_their_newest_open_job(h: ApiHarness) -> None:
    assert await h.get("/api/customers/lookup", "tom", phone=ACME) == {
        "customer": None,
        "job": None,
    }
    acme = await add_customer(h, "Acme", ACME, "4155550102")
    bakery = await add_customer(h, "Bakery", BAKERY, ACME)

    found = await h.get("/api/customers/lookup", "tom", phone="(415) 555-0100")
    assert found["customer"] == {
        "id": acme,
        "name": "Acme",
        "phones": [ACME, "+14155550102"],
        "owner": None,
    }
    assert found["job"] is None

    older = await add_job(h, acme, "Leaking tap")
    newer = await add_job(h, acme, "Boiler service")
    await add_job(h, bakery, "Oven")
    found = await h.get("/api/customers/lookup", "tom", phone="415-555-0102")
    assert found["customer"]["id"] == acme
    assert found["job"] == {
        "id": newer,
        "customer_id": acme,
        "title": "Boiler service",
        "status": "open",
    }
    await h.call("PATCH", f"/api/jobs/{newer}", "dee", json={"status": "closed"}, status=200)
    found = await h.get("/api/customers/lookup", phone=ACME)
    assert found["job"]["id"] == older
    await h.call("PATCH", f"/api/jobs/{older}", "dee", json={"status": "closed"}, status=200)
    assert (await h.get("/api/customers/lookup", phone=ACME))["job"] is None
    assert (await h.get("/api/customers/lookup", phone=BAKERY))["customer"]["id"] == bakery

    await refused(h, "GET", "/api/customers/lookup", "phone")
    await refused(h, "GET", "/api/customers/lookup?phone=anonymous", "phone")


# -- jobs --------------------------------------------------------------------------------


async def test_jobs_add_show_list_update(h: ApiHarness) -> None:
    acme = await add_customer(h, "Acme", ACME)
    bakery = await add_customer(h, "Bakery", BAKERY)
    seen = refreshes(h)
    job = await h.call(
        "POST", f"/api/customers/{acme}/jobs", "ann", json={"title": "Leaking tap"}, status=201
    )
    assert job == {
        "id": job["id"],
        "customer_id": acme,
        "customer": "Acme",
        "title": "Leaking tap",
        "status": "open",
    }
    oven = await add_job(h, bakery, "Oven")
    boiler = await add_job(h, acme, "Boiler")
    assert len(seen) == 3
    assert (await h.get(f"/api/jobs/{oven}", "tom"))["customer"] == "Bakery"
    shown = await h.get(f"/api/customers/{acme}", "tom")
    assert [j["title"] for j in shown["jobs"]] == ["Leaking tap", "Boiler"]

    def ids(page: dict[str, Any]) -> list[int]:
        return [j["id"] for j in page["items"]]

    assert ids(await h.get("/api/jobs", "tom")) == [job["id"], oven, boiler]
    assert ids(await h.get("/api/jobs", customer=str(acme))) == [job["id"], boiler]
    assert ids(await h.get("/api/jobs", customer="Bakery")) == [oven]
    closed = await h.call("PATCH", f"/api/jobs/{boiler}", "dee", json={"status": "closed"})
    assert closed["status"] == "closed" and closed["customer"] == "Acme"
    # (`status` is also the status h.get expects: these filters go as params)
    closed_jobs = await h.call("GET", "/api/jobs", params={"status": "closed"}, status=200)
    assert ids(closed_jobs) == [boiler]
    acme_open = {"status": "open", "customer": "Acme"}
    assert ids(await h.call("GET", "/api/jobs", params=acme_open, status=200)) == [job["id"]]
    first = await h.get("/api/jobs", limit="2")
    assert ids(first) == [job["id"], oven]
    assert ids(await h.get("/api/jobs", limit="2", cursor=first["next"])) == [boiler]
    reopened = await h.call("PATCH", f"/api/jobs/{boiler}", "ann", json={"status": "open"})
    assert reopened["status"] == "open"
    assert len(seen) == 5


async def test_jobs_refuse_bad_input_and_technicians(h: ApiHarness) -> None:
    acme = await add_customer(h, "Acme", ACME)
    job = await add_job(h, acme, "Leaking tap")
    await refused(h, "POST", f"/api/customers/{acme}/jobs", "title", json={})
    await refused(h, "POST", f"/api/customers/{acme}/jobs", "title", json={"title": ""})
    await refused(h, "POST", f"/api/customers/{acme}/jobs", "title", json={"title": ["x"]})
    await refused(h, "POST", f"/api/customers/{acme}/jobs", "due", json={"title": "x", "due": 1})
    await refused(h, "POST", "/api/customers/abc/jobs", "id", json={"title": "x"})
    await h.call("POST", "/api/customers/999/jobs", json={"title": "x"}, status=404)
    await refused(h, "PATCH", f"/api/jobs/{job}", "status", json={"status": "done"})
    await refused(h, "PATCH", f"/api/jobs/{job}", "title", json={"title": "New"})
    await refused(h, "GET", "/api/jobs?status=done", "status")
    await refused(h, "GET", "/api/jobs?customer=Nobody", "customer")
    await refused(h, "GET", "/api/jobs/abc", "id")
    await h.get("/api/jobs/999", status=404)
    await h.call("PATCH", "/api/jobs/999", json={"status": "closed"}, status=404)

    answer = await h.call("PATCH", f"/api/jobs/{job}", "tom", json={"status": "closed"})
    assert answer["field"] == "role"
    stored = await h.get(f"/api/jobs/{job}", "tom")
    assert (stored["status"], stored["title"]) == ("open", "Leaking tap")
    assert [j["id"] for j in (await h.get("/api/jobs"))["items"]] == [job]


async def test_openapi_documents_the_crm(h: ApiHarness) -> None:
    paths = (await h.get("/api/openapi.json"))["paths"]
    lookup = paths["/api/customers/lookup"]["get"]
    assert lookup["tags"] == ["customers"]
    assert [p["name"] for p in lookup["parameters"]] == ["phone"]
    by_id = paths["/api/customers/{id}"]["get"]["parameters"]
    assert by_id[0]["in"] == "path" and by_id[0]["schema"] == {"type": "integer"}
    assert set(paths["/api/jobs/{id}"]) == {"get", "patch"}

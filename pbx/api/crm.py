"""API: customers and their jobs, and the caller lookup the browser softphone makes for
every incoming call.

Every signed-in user may read them; adding and changing them needs the admin
or dispatcher role. Customers are part of the directory snapshot routing uses
(callers are matched to customers by phone), so every change tells call
routing to reload.
"""

from __future__ import annotations

from aiohttp import web

from pbx.api.app import backend_of, changed, snapshot
from pbx.api.base import (
    LIST_PARAMS,
    Param,
    Routes,
    body,
    created,
    nullable,
    obj,
    offset_page,
    path_int,
    principal,
    query_text,
    references_are_input,
    string,
    strings,
)
from pbx.api.directory import cleared
from pbx.core import access, present
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Directory, Job, JobStatus
from pbx.services.directory import DirectoryService

routes = Routes("customers")

JOB_STATUSES = tuple(s.value for s in JobStatus)

CUSTOMER_NEW = obj(
    ["name", "phones"],
    name=string("the customer's name"),
    phones=strings("phone numbers, any format (stored E.164; callers are matched by them)"),
    owner=nullable(string("the user who handles this customer")),
)

CUSTOMER_PATCH = obj(
    (),
    name=string("a new name"),
    phones=strings("the customer's phone numbers (replace the old list)"),
    owner=nullable(string("the user who handles this customer; null clears it")),
)

JOB_NEW = obj(["title"], title=string("what the job is"))

JOB_PATCH = obj((), status=string("open or closed", JOB_STATUSES))

ID = Param("id", "the customer's id", "integer", where="path", required=True)
JOB_ID = Param("id", "the job's id", "integer", where="path", required=True)


def _office(request: web.Request, action: str) -> DirectoryService:
    """The directory service, for an admin or dispatcher (403 for a technician)."""
    access.require_dispatcher(principal(request), action)
    return backend_of(request).directory()


def _job_view(d: Directory, j: Job) -> dict[str, object]:
    found = d.customer(j.customer_id)
    return present.job_detail(j, found.name if found else None)


async def _customer_view(request: web.Request, ident: int) -> dict[str, object]:
    d = await snapshot(request)
    found = d.customer(ident)
    if found is None:
        raise NotFound("customer", f"no such customer {ident}")
    jobs = sorted((j for j in d.jobs if j.customer_id == ident), key=lambda j: j.id or 0)
    return {**present.customer(found), "jobs": [present.job(j) for j in jobs]}


# -- customers ---------------------------------------------------------------------------


@routes.get(
    "/api/customers",
    "Customers, by id.",
    params=(
        Param("q", "only customers whose name contains this (any case)"),
        Param("phone", "only customers with this phone number (any format)"),
        Param("owner", "only customers this user handles"),
        *LIST_PARAMS,
    ),
)
async def list_customers(request: web.Request) -> web.Response:
    found = (
        await backend_of(request)
        .directory()
        .find_customers(
            q=query_text(request, "q"),
            phone=query_text(request, "phone"),
            owner=query_text(request, "owner"),
        )
    )
    return offset_page(request, found, present.customer)


@routes.post("/api/customers", "Add a customer.", body=CUSTOMER_NEW, status=201)
async def add_customer(request: web.Request) -> web.Response:
    service = _office(request, "adding customers")
    data = await body(request, CUSTOMER_NEW)
    with references_are_input(phone="phones"):
        customer = await service.add_customer(data["name"], data["phones"], data.get("owner"))
    changed(request)
    assert customer.id is not None
    return created(await _customer_view(request, customer.id))


# registered before /api/customers/{id}, which is numeric only anyway
@routes.get(
    "/api/customers/lookup",
    "Who is calling: the customer with this phone number (lowest id) and their newest open job.",
    params=(Param("phone", "the caller's number, any format", required=True),),
)
async def lookup_customer(request: web.Request) -> web.Response:
    phone = query_text(request, "phone")
    if phone is None:
        raise InvalidInput("phone", "is required")
    customer, job = await backend_of(request).directory().lookup_caller(phone)
    return web.json_response(
        {
            "customer": None if customer is None else present.customer(customer),
            "job": None if job is None else present.job(job),
        }
    )


@routes.get("/api/customers/{id}", "One customer, with their jobs.", params=(ID,))
async def show_customer(request: web.Request) -> web.Response:
    return web.json_response(await _customer_view(request, path_int(request, "id")))


@routes.patch(
    "/api/customers/{id}",
    "Change a customer: name, phone numbers, owner.",
    params=(ID,),
    body=CUSTOMER_PATCH,
)
async def update_customer(request: web.Request) -> web.Response:
    service = _office(request, "changing customers")
    ident = path_int(request, "id")
    data = await body(request, CUSTOMER_PATCH)
    owner = data.get("owner")
    with references_are_input("customer", phone="phones"):  # the addressed one stays a 404
        await service.update_customer(
            ident,
            name=data.get("name"),
            phones=data.get("phones"),
            owner=cleared(owner) if "owner" in data else None,
        )
    changed(request)
    return web.json_response(await _customer_view(request, ident))


@routes.post(
    "/api/customers/{id}/jobs",
    "Open a job for a customer.",
    params=(ID,),
    body=JOB_NEW,
    status=201,
)
async def add_job(request: web.Request) -> web.Response:
    service = _office(request, "adding jobs")
    ident = path_int(request, "id")
    data = await body(request, JOB_NEW)
    with references_are_input("customer"):  # the addressed customer stays a 404
        job = await service.add_job(str(ident), data["title"])
    changed(request)
    return created(_job_view(await snapshot(request), job))


# -- jobs --------------------------------------------------------------------------------


@routes.get(
    "/api/jobs",
    "Jobs, by id.",
    params=(
        Param("customer", "only this customer's jobs (id or exact name)"),
        Param("status", "only jobs in this status", enum=JOB_STATUSES),
        *LIST_PARAMS,
    ),
)
async def list_jobs(request: web.Request) -> web.Response:
    with references_are_input():  # an unknown customer in the filter is bad input, not a 404
        jobs = (
            await backend_of(request)
            .directory()
            .find_jobs(
                customer=query_text(request, "customer"), status=query_text(request, "status")
            )
        )
    d = await snapshot(request)
    return offset_page(request, jobs, lambda j: _job_view(d, j))


@routes.get("/api/jobs/{id}", "One job.", params=(JOB_ID,))
async def show_job(request: web.Request) -> web.Response:
    job = await backend_of(request).directory().get_job(path_int(request, "id"))
    return web.json_response(_job_view(await snapshot(request), job))


@routes.patch("/api/jobs/{id}", "Close or reopen a job.", params=(JOB_ID,), body=JOB_PATCH)
async def update_job(request: web.Request) -> web.Response:
    service = _office(request, "changing jobs")
    ident = path_int(request, "id")
    job = await service.get_job(ident)
    data = await body(request, JOB_PATCH)
    if "status" in data:
        job = await service.set_job_status(ident, data["status"])
        changed(request)
    return web.json_response(_job_view(await snapshot(request), job))

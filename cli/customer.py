"""`pbx customer` and `pbx job`: the CRM records calls are pinned to."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_one, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="Customers (matched to callers by phone number).", no_args_is_help=True)
job_app = typer.Typer(help="Jobs of customers.", no_args_is_help=True)


@app.command("add")
def add(
    name: str,
    phone: list[str] = typer.Option(..., "--phone", help="Phone number (repeatable)."),
    owner: str | None = typer.Option(None, "--owner", help="The user who handles this customer."),
) -> None:
    """Add a customer."""
    customer = with_directory(lambda s: s.add_customer(name, phone, owner))
    done(f"added customer '{customer.name}' (id {customer.id})")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List customers."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.customer(c) for c in d.customers], as_json)


@app.command("show")
def show(customer: str, as_json: bool = JsonOption) -> None:
    """Show a customer (by id or exact name) with their jobs."""
    found, jobs = with_directory(lambda s: s.get_customer(customer))
    row = present.customer(found)
    row["jobs"] = [present.job(j) for j in jobs] if as_json else [f"#{j.id} {j.title} ({j.status.value})" for j in jobs]
    emit_one(row, as_json)


@job_app.command("add")
def job_add(
    title: str,
    customer: str = typer.Option(..., "--customer", help="Customer id or exact name."),
) -> None:
    """Open a job for a customer."""
    job = with_directory(lambda s: s.add_job(customer, title))
    done(f"added job #{job.id} '{job.title}'")


@job_app.command("list")
def job_list(
    as_json: bool = JsonOption,
    status: str | None = typer.Option(None, "--status", help="open or closed."),
) -> None:
    """List jobs."""
    d = with_directory(lambda s: s.snapshot())
    jobs = [j for j in d.jobs if status is None or j.status.value == status]
    rows = []
    for j in jobs:
        row = present.job(j)
        found = d.customer(j.customer_id)
        row["customer"] = found.name if found else None
        rows.append(row)
    emit_rows(rows, as_json, ["id", "customer", "title", "status"] if not as_json else None)


@job_app.command("close")
def job_close(ident: int) -> None:
    """Close a job."""
    job = with_directory(lambda s: s.set_job_status(ident, "closed"))
    done(f"closed job #{job.id}")


@job_app.command("reopen")
def job_reopen(ident: int) -> None:
    """Reopen a closed job."""
    job = with_directory(lambda s: s.set_job_status(ident, "open"))
    done(f"reopened job #{job.id}")

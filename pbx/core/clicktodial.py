"""Click-to-dial: which phone rings first, which number is then called, and which
customer and job the call is logged against."""

from __future__ import annotations

from dataclasses import dataclass

from pbx.core import phone, rules
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Customer, Directory, Extension, Job


@dataclass(frozen=True)
class DialRequest:
    user: str
    extension: str  # the phone rung first
    number: str  # E.164, called once the phone answers
    customer: int | None = None
    customer_name: str | None = None
    job: int | None = None


def _phone_of(d: Directory, user: str) -> Extension:
    exts = sorted(d.extensions_of(user), key=lambda e: (e.webrtc, len(e.number), e.number))
    if not exts:
        raise InvalidInput("user", f"{user} has no extension to ring")
    return exts[0]


def plan(
    d: Directory,
    user: str,
    raw_number: str,
    *,
    customer: int | None = None,
    job: int | None = None,
    region: str = "US",
    allow_international: bool = False,
) -> DialRequest:
    """What a click-to-dial request does; InvalidInput / NotFound name the field at fault.

    The user's desk phone is preferred over a browser softphone. Without a
    customer, the customer whose phone the number is (and their open job) is
    linked; a job given alone brings its customer.
    """
    found = rules.require_user(d, user)
    if not found.active:
        raise InvalidInput("user", f"user {user} is deactivated")
    ext = _phone_of(d, found.name)
    number = phone.normalize(raw_number, region, "number")
    if not allow_international and phone.is_international(number, region):
        raise InvalidInput(
            "number",
            f"{number} is an international number and international dialling is disabled",
        )
    the_job: Job | None = None
    if job is not None:
        the_job = d.job(job)
        if the_job is None:
            raise NotFound("job", f"no such job {job}")
    who: Customer | None = None
    if customer is not None:
        who = d.customer(customer)
        if who is None:
            raise NotFound("customer", f"no such customer {customer}")
    elif the_job is not None:
        who = d.customer(the_job.customer_id)
    else:
        who = next(iter(d.customers_with_phone(number)), None)
    if the_job is not None and who is not None and the_job.customer_id != who.id:
        raise InvalidInput("job", f"job {job} is not a job of customer {who.name}")
    if the_job is None and who is not None:
        the_job = d.open_job(who.id) if who.id is not None else None
    return DialRequest(
        user=found.name,
        extension=ext.number,
        number=number,
        customer=who.id if who is not None else None,
        customer_name=who.name if who is not None else None,
        job=the_job.id if the_job is not None else None,
    )

"""Webhooks for API clients: any person with a token subscribes a URL to new events (of a tender,
of a buyer, of some types), lists and deletes its own subscriptions, and reads how their
deliveries went. The delivery itself, its signature and retries: `app.webhooks`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from tenderproof.app import webhooks

from . import problems
from .security import PersonId, ProcurementDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
SubId = Annotated[str, Path(max_length=40)]
SIGNING = (f"Each delivery is a POST of JSON {{subscription, index, envelope}} (the change feed's event), "
           f"signed: `{webhooks.SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.\" + body)>`. "
           f"Recompute v1 over the exact body, compare in constant time, and refuse a t more than "
           f"{webhooks.TOLERANCE} s from your clock. A 2xx answer takes it; anything else is retried "
           f"{webhooks.MAX_ATTEMPTS - 1} times, waiting 30 s, then twice as long each time (at most 6 h).")


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=webhooks.MAX_URL, description="http(s) URL to POST each event to",
                     examples=["https://example.org/hooks/tenderproof"])
    tender_id: str = Field("", max_length=100, description="Only this tender's events (empty: any tender)")
    buyer_id: str = Field("", max_length=200, description="Only the events of this buyer's tenders (empty: any)")
    event_types: list[str] = Field([], max_length=100, description="Only these event types (empty: every type)",
                                   examples=[["tender.published", "award.decided"]])


class SubscriptionOut(BaseModel):
    id: str
    url: str
    tender_id: str
    buyer_id: str
    event_types: list[str]
    created: str


class CreatedSubscription(SubscriptionOut):
    secret: str = Field(description="Signs every delivery; shown only now")


class DeliveryOut(BaseModel):
    index: int = Field(description="The event's ledger index")
    state: str = Field(description="pending, delivered or failed")
    attempts: int
    due: str = Field(description="When a pending delivery is tried next (RFC 3339 UTC)")
    last_error: str


def _out(s: webhooks.Subscription) -> SubscriptionOut:
    return SubscriptionOut(id=s.id, url=s.url, tender_id=s.tender_id, buyer_id=s.buyer_id, event_types=s.event_types,
                           created=s.created)


@router.post("", status_code=201, response_model=CreatedSubscription, description=SIGNING,
             summary="Subscribe a URL to new events (the secret is shown once)",
             responses=problems.responses(401, 422))
def subscribe(body: NewSubscription, p: ProcurementDep, person_id: PersonId) -> CreatedSubscription:
    sub, secret = webhooks.subscribe(p, person_id, body.url, tender_id=body.tender_id, buyer_id=body.buyer_id,
                                     event_types=body.event_types)
    return CreatedSubscription(**_out(sub).model_dump(), secret=secret)


@router.get("", response_model=list[SubscriptionOut], summary="Your subscriptions",
            responses=problems.responses(401))
def list_subscriptions(p: ProcurementDep, person_id: PersonId) -> list[SubscriptionOut]:
    return [_out(s) for s in webhooks.subscriptions(p, person_id)]


@router.delete("/{sub_id}", status_code=204, summary="Delete one of your subscriptions and its deliveries",
               responses=problems.responses(401, 404))
def unsubscribe(sub_id: SubId, p: ProcurementDep, person_id: PersonId) -> None:
    if not webhooks.unsubscribe(p, person_id, sub_id):
        raise HTTPException(404, f"you have no subscription {sub_id}")


@router.get("/{sub_id}/deliveries", response_model=list[DeliveryOut], summary="A subscription's newest deliveries",
            responses=problems.responses(401, 404))
def deliveries(sub_id: SubId, p: ProcurementDep, person_id: PersonId) -> list[DeliveryOut]:
    found = webhooks.deliveries(p, person_id, sub_id)
    if found is None:
        raise HTTPException(404, f"you have no subscription {sub_id}")
    return [DeliveryOut(index=d.ledger_index, state=d.state, attempts=d.attempts, due=d.due, last_error=d.last_error)
            for d in found]

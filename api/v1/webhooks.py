"""Routes of /api/v1 for webhooks: tokens with the `webhooks` scope register, list, test and
delete an institution's endpoints and read their delivery log. Another institution's endpoint
is 404, as everything outside a token's scope is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.platform.db import SessionDep
from api.platform.deps import SettingsDep
from api.platform.models import Institution, WebhookEndpoint
from api.setup import tokens
from api.v1 import schemas
from api.v1.routes import MAX_ID, PROBLEMS, Limit, Offset, Slug, _page, grant
from api.webhooks import endpoints, events
from api.webhooks import worker as webhook_worker

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=PROBLEMS)
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="A webhook endpoint id.")]
CONFLICT = {409: {"model": schemas.Problem, "description": "The endpoint is switched off"}}


def webhooks_grant(token: Annotated[tokens.TokenGrant, Depends(grant)]) -> tokens.TokenGrant:
    token.require("webhooks")
    return token


HooksGrant = Annotated[tokens.TokenGrant, Depends(webhooks_grant)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://93.184.216.34/kennisster", "events": ["release.published"],
         "description": "Intranet"}]})

    url: str = Field(max_length=500, description="HTTPS address of the receiver.")
    events: list[str] = Field(min_length=1, max_length=len(events.EVENTS),
                              description="One or more of: " + ", ".join(events.EVENTS))
    description: str = Field("", max_length=200)


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_at: datetime | None = Field(description="When it was switched off, by hand or "
                                         "after failing.")
    disabled_reason: str = Field(description="'manual', 'failing' or empty.")
    failures: int = Field(description="Failed deliveries in a row.")
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The `whsec_` signing secret: shown this once.")


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    webhook_id: str = Field(description="The `webhook-id` header, the same on every attempt.")
    event: str
    status: str = Field(description="pending, sending, sent or failed.")
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    created_at: datetime
    log: list[AttemptOut] = []


def _out(endpoint: WebhookEndpoint) -> dict:
    return {"id": endpoint.id, "url": endpoint.url, "events": endpoint.events.split(),
            "description": endpoint.description, "enabled": endpoint.disabled_at is None,
            "disabled_at": endpoint.disabled_at, "disabled_reason": endpoint.disabled_reason,
            "failures": endpoint.failures, "created_at": endpoint.created_at}


def _delivery(delivery, attempts=()) -> DeliveryOut:
    return DeliveryOut(id=delivery.id, webhook_id=delivery.message_id, event=delivery.event,
                       status=delivery.status, attempts=delivery.attempts,
                       next_attempt_at=delivery.next_attempt_at if delivery.status == "pending"
                       else None, sent_at=delivery.sent_at, last_error=delivery.last_error,
                       created_at=delivery.created_at,
                       log=[AttemptOut(at=a.at, status_code=a.status_code, error=a.error,
                                       duration_ms=a.duration_ms) for a in attempts])


def _endpoint(session: Session, token: tokens.TokenGrant, slug: str,
              webhook_id: int) -> tuple[Institution, WebhookEndpoint]:
    institution = tokens.institution_in_scope(session=session, grant=token, slug=slug)
    return institution, endpoints.get(session=session, institution=institution,
                                      endpoint_id=webhook_id)


@router.get("/institutions/{slug}/webhooks", response_model=schemas.Page[WebhookOut],
            summary="The institution's webhook endpoints")
def list_webhooks(slug: Slug, request: Request, response: Response, session: SessionDep,
                  token: HooksGrant, limit: Limit = 50, offset: Offset = 0):
    institution = tokens.institution_in_scope(session=session, grant=token, slug=slug)
    found = endpoints.of_institution(session=session, institution=institution)
    return _page(request, [_out(e) for e in found[offset:offset + limit]], len(found), limit,
                 offset, response)


@router.post("/institutions/{slug}/webhooks", status_code=201, response_model=WebhookCreated,
             summary="Register an endpoint; the answer holds its signing secret, shown once")
def create_webhook(slug: Slug, body: WebhookIn, session: SessionDep, settings: SettingsDep,
                   token: HooksGrant):
    institution = tokens.institution_in_scope(session=session, grant=token, slug=slug)
    made = endpoints.register(session=session, settings=settings, actor=None,
                              institution=institution, url=body.url, chosen_events=body.events,
                              description=body.description)
    return {**_out(made.endpoint), "secret": made.secret}


@router.post("/institutions/{slug}/webhooks/{webhook_id}/secret", status_code=201,
             response_model=WebhookCreated,
             summary="Rotate the signing secret; the answer holds the new one, shown once")
def rotate_webhook_secret(slug: Slug, webhook_id: WebhookId, session: SessionDep,
                          settings: SettingsDep, token: HooksGrant):
    _, endpoint = _endpoint(session, token, slug, webhook_id)
    made = endpoints.rotate_secret(session=session, settings=settings, actor=None,
                                   endpoint=endpoint)
    return {**_out(made.endpoint), "secret": made.secret}


@router.get("/institutions/{slug}/webhooks/{webhook_id}/deliveries",
            response_model=schemas.Page[DeliveryOut],
            summary="The endpoint's delivery log, newest first, with every attempt")
def webhook_deliveries(slug: Slug, webhook_id: WebhookId, request: Request, response: Response,
                       session: SessionDep, token: HooksGrant, limit: Limit = 50,
                       offset: Offset = 0):
    _, endpoint = _endpoint(session, token, slug, webhook_id)
    found = endpoints.deliveries(session=session, endpoint=endpoint, limit=limit, offset=offset)
    total = endpoints.delivery_count(session=session, endpoint=endpoint)
    return _page(request, [_delivery(d, a) for d, a in found], total, limit, offset, response)


@router.post("/institutions/{slug}/webhooks/{webhook_id}/test", status_code=201,
             response_model=DeliveryOut, responses=CONFLICT,
             summary="Queue a signed `webhook.test` event for this endpoint")
def test_webhook(slug: Slug, webhook_id: WebhookId, session: SessionDep, token: HooksGrant):
    _, endpoint = _endpoint(session, token, slug, webhook_id)
    delivery = endpoints.send_test(session=session, endpoint=endpoint)
    webhook_worker.wake()
    return _delivery(delivery)


# last: the fuzzing (tests/test_fuzz_api.py) takes the operations in this order
@router.delete("/institutions/{slug}/webhooks/{webhook_id}", response_model=WebhookOut,
               summary="Delete an endpoint with its queue and log; answers what was deleted")
def delete_webhook(slug: Slug, webhook_id: WebhookId, session: SessionDep, token: HooksGrant):
    _, endpoint = _endpoint(session, token, slug, webhook_id)
    gone = _out(endpoint)
    endpoints.delete(session=session, actor=None, endpoint=endpoint)
    return gone

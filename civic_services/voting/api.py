"""HTTP for mVoting at ``/voting``: polls and results for everyone, casting with a voter credential, the ledger's
public side (signed heads, inclusion and consistency proofs, the ballot board, the public key), and staff
endpoints (scope ``voting:admin``) to create and close polls and register voters.

Every error is a JSON ``{"code", "type": "error", "message"}`` with a 4xx status, never a stack trace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from civic_services.staff.api import require_scope
from civic_services.staff.tokens import StaffIdentity
from civic_services.voting.audit import audit
from civic_services.voting.errors import VotingError
from civic_services.voting.rules import OptionSpec, PollSpec
from civic_services.voting.service import VotingService
from webapi.access import PUBLIC, checked_by
from webapi.deps import part
from webapi.errors import PlainError, error_responses, error_route, plain_json

BODY_MAX = 20_000_000

router = APIRouter(prefix="/voting", tags=["voting (mVoting with a verifiable ballot ledger)"],
                   route_class=error_route(plain_json, service_errors=VotingError, body_max=BODY_MAX),
                   responses=error_responses(400, 401, 403, 404, 409, 413, 503, model=PlainError))
voter_bearer = HTTPBearer(auto_error=False, description="A voting credential (dasan_vc_...) issued at registration.")


Service = Annotated[VotingService, Depends(part("voting"))]
Admin = Annotated[StaffIdentity, Depends(require_scope("voting:admin"))]
PollId = Annotated[str, Path(max_length=20, description="MV-1187 (or 1187)")]


class OptionIn(BaseModel):
    label: str = Field(min_length=1, max_length=500)
    label_en: str = Field("", max_length=500)
    cost: int | None = Field(None, ge=1, le=10**15, description="Project cost in won (participatory budgeting)")
    description: str = Field("", max_length=4000)


class PollIn(BaseModel):
    kind: Literal["policy", "general", "budget"]
    title: str = Field(min_length=1, max_length=500)
    title_en: str = Field("", max_length=500)
    description: str = Field("", max_length=20_000)
    options: list[OptionIn] = Field(min_length=2, max_length=500)
    opens_at: datetime
    closes_at: datetime
    min_choices: int = Field(1, ge=1, le=500)
    max_choices: int = Field(1, ge=1, le=500)
    district: str | None = Field(None, max_length=40, description="Only residents of this district may vote")
    results_live: bool = Field(False, description="Show results while the poll is open")
    budget: int | None = Field(None, ge=1, le=10**15)
    budget_rule: Literal["threshold", "minimum", "projects"] | None = None
    threshold_percent: int | None = Field(None, ge=1, le=100)
    min_projects: int | None = Field(None, ge=1, le=500)


class VoterIn(BaseModel):
    person: str = Field(min_length=1, max_length=200, description="A verified identifier (account id, phone)")
    district: str = Field(min_length=1, max_length=40)


class VotersIn(BaseModel):
    voters: list[VoterIn] = Field(min_length=1, max_length=200_000)
    reissue: bool = False


class BallotIn(BaseModel):
    choices: list[int | str] = Field(min_length=1, max_length=500,
                                     description="Option numbers or labels: [\"찬성\"], [\"3\"], [1, 4]")
    credential: str | None = Field(None, max_length=100, description="Or send it as Authorization: Bearer")


@router.get("/public-key", summary="The ledger's Ed25519 public key (verify heads and receipts with it)",
            dependencies=[PUBLIC])
def public_key(service: Service) -> dict:
    return {"algorithm": "Ed25519", "public_key": service.keys.public_key, "key_id": service.keys.key_id}


@router.get("/polls", dependencies=[PUBLIC], summary="Polls by status (open, closed, upcoming, all)")
def list_polls(service: Service, status: Annotated[str, Query(max_length=10)] = "open") -> dict:
    return {"polls": service.list_polls(status)}


@router.post("/polls", status_code=201, summary="Create a poll (staff, voting:admin)")
def create_poll(service: Service, staff: Admin, body: PollIn) -> dict:
    for moment in (body.opens_at, body.closes_at):
        if moment.tzinfo is None:
            raise VotingError("opens_at and closes_at need a time zone, e.g. 2026-12-01T09:00:00+09:00")
    spec = PollSpec(kind=body.kind, title=body.title, title_en=body.title_en, description=body.description,
                    options=tuple(OptionSpec(o.label, o.label_en, o.cost, o.description) for o in body.options),
                    opens_at=body.opens_at, closes_at=body.closes_at, min_choices=body.min_choices,
                    max_choices=body.max_choices, district=body.district, results_live=body.results_live,
                    budget=body.budget, budget_rule=body.budget_rule, threshold_percent=body.threshold_percent,
                    min_projects=body.min_projects)
    return service.create_poll(spec, created_by=staff.actor)


@router.get("/polls/{poll_id}", dependencies=[PUBLIC], summary="A poll and its options")
def get_poll(service: Service, poll_id: PollId) -> dict:
    return service.poll(poll_id)


@router.post("/polls/{poll_id}/close", summary="Close a poll now (staff, voting:admin)")
def close_poll(service: Service, staff: Admin, poll_id: PollId) -> dict:
    return service.close_poll(poll_id)


@router.post("/voters", status_code=201, summary="Register residents and issue voting credentials (staff)")
def register(service: Service, staff: Admin, body: VotersIn) -> dict:
    issued = service.register_voters([(v.person, v.district) for v in body.voters], reissue=body.reissue)
    return {"registered": [{"voter": r.voter_id, "district": r.district, "credential": r.credential}
                           for r in issued],
            "note": "each credential is shown once; hand it to its voter"}


@router.post("/polls/{poll_id}/ballots", status_code=201, dependencies=[Depends(checked_by("a voting credential"))],
             summary="Cast a ballot; the answer is your receipt (keep it to check your vote was counted)")
async def cast(request: Request, service: Service, poll_id: PollId, body: BallotIn,
               bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(voter_bearer)] = None) -> dict:
    credential = body.credential or (bearer.credentials if bearer else None)
    if not credential:
        raise VotingError("a voting credential is required (Authorization: Bearer dasan_vc_... or "
                          "\"credential\" in the body)", 401)
    return await run_in_threadpool(service.cast, poll_id, credential, list(body.choices))


@router.get("/polls/{poll_id}/results", summary="Results (hidden until the poll closes unless it says otherwise)",
            dependencies=[PUBLIC])
def results(service: Service, poll_id: PollId) -> dict:
    return service.results(poll_id)


@router.get("/polls/{poll_id}/heads", dependencies=[PUBLIC], summary="The signed tree heads, in order")
def heads(service: Service, poll_id: PollId, after: Annotated[int, Query(ge=0, le=10**12)] = 0,
          limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict:
    return service.heads(poll_id, after, limit)


@router.get("/polls/{poll_id}/inclusion", summary="Inclusion proof of a leaf in the tree of a given size",
            dependencies=[PUBLIC])
def inclusion(service: Service, poll_id: PollId, leaf_index: Annotated[int, Query(ge=0, le=10**12)],
              tree_size: Annotated[int | None, Query(ge=1, le=10**12)] = None) -> dict:
    return service.inclusion(poll_id, leaf_index, tree_size)


@router.get("/polls/{poll_id}/consistency", summary="Consistency proof between two tree sizes (RFC 6962)",
            dependencies=[PUBLIC])
def consistency(service: Service, poll_id: PollId, first: Annotated[int, Query(ge=1, le=10**12)],
                second: Annotated[int | None, Query(ge=1, le=10**12)] = None) -> dict:
    return service.consistency(poll_id, first, second)


@router.get("/polls/{poll_id}/ballots", summary="The ballot board: ballots in ledger order, no voter identity "
            "(when results are public)", dependencies=[PUBLIC])
def ballots(service: Service, poll_id: PollId, start: Annotated[int, Query(ge=0, le=10**12)] = 0,
            limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict:
    return service.bulletin(poll_id, start, limit)


@router.get("/polls/{poll_id}/audit", summary="Recompute the tree and the tally and report tampering (staff)")
def audit_poll(service: Service, staff: Admin, poll_id: PollId) -> dict:
    return audit(service, poll_id).as_dict()

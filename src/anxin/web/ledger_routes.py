"""The public ledger endpoints (CONTRACT §7): checkpoint, verifier key, proofs, entries."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from anxin.error_codes import Code
from anxin.errors import NotFound, ValidationFailed
from anxin.services.context import Context
from anxin.services.ledger import sm2_verifier_key
from anxin.web.api.schemas import LedgerEntries, LedgerProof
from anxin.web.problems import problems

# Leaf indexes and tree sizes: bounded so that a huge number is a 422, not an overflow.
MAX_INDEX = 2**63 - 1

router = APIRouter(prefix="/ledger", tags=["ledger"])


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in items]


@router.get("/checkpoint", response_class=PlainTextResponse,
            responses=problems(s404=[Code.NO_CHECKPOINT]),
            summary="The latest signed checkpoint (C2SP signed note)")
def checkpoint(request: Request) -> PlainTextResponse:
    """The newest checkpoint stored. A GET only reads: checkpoints are signed by each
    worker's sequencer every ``ANXIN_CHECKPOINT_INTERVAL_SECONDS`` and when a package is
    built, never because an anonymous client asked (that was a signature and a write per
    request, and a way to make the log's timestamps cost the TSA)."""
    cp = _ctx(request).ledger.latest_checkpoint()
    if cp is None:
        raise NotFound("the ledger is empty: no checkpoint yet", code=Code.NO_CHECKPOINT)
    return PlainTextResponse(cp.note, media_type="text/plain; charset=utf-8")


@router.get("/key", response_class=PlainTextResponse, summary="The signed-note verifier key")
def key(request: Request) -> PlainTextResponse:
    return PlainTextResponse(_ctx(request).ledger.signer.verifier_key + "\n",
                             media_type="text/plain; charset=utf-8")


@router.get("/key/sm2", response_class=PlainTextResponse, responses=problems(
    s404=[Code.NOT_FOUND]), summary="The SM2 signed-note verifier key (sm and dual profiles)")
def key_sm2(request: Request) -> PlainTextResponse:
    """``<origin>+<hex key id>+<base64(0xff || DER OID sm2-with-sm3 || SPKI)>``: the key of
    the checkpoints' SM2 signature line (docs/verification.md)."""
    vkey = sm2_verifier_key(_ctx(request).ledger.signer)
    if vkey is None:
        raise NotFound("this deployment's profile is intl: its checkpoints carry no SM2 line")
    return PlainTextResponse(vkey + "\n", media_type="text/plain; charset=utf-8")


@router.get("/proof/inclusion", response_model=LedgerProof, responses=problems(
    s422=[Code.LEDGER_BAD_RANGE], s404=[Code.LEDGER_SIZE_UNKNOWN]))
def inclusion(request: Request, index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
              size: Annotated[int, Query(ge=1, le=MAX_INDEX)]) -> dict[str, Any]:
    if index >= size:
        raise ValidationFailed("index must be below size", field="index",
                               code=Code.LEDGER_BAD_RANGE)
    return {"hashes": _b64(_ctx(request).ledger.inclusion_proof(index, size))}


@router.get("/proof/consistency", response_model=LedgerProof, responses=problems(
    s422=[Code.LEDGER_BAD_RANGE], s404=[Code.LEDGER_SIZE_UNKNOWN]))
def consistency(request: Request, first: Annotated[int, Query(ge=1, le=MAX_INDEX)],
                second: Annotated[int, Query(ge=1, le=MAX_INDEX)]) -> dict[str, Any]:
    if first > second:
        raise ValidationFailed("first must not exceed second", field="first",
                               code=Code.LEDGER_BAD_RANGE)
    return {"hashes": _b64(_ctx(request).ledger.consistency_proof(first, second))}


@router.get("/entries", response_model=LedgerEntries,
            responses=problems(s422=[Code.LEDGER_BAD_RANGE]))
def entries(request: Request, start: Annotated[int, Query(ge=0, le=MAX_INDEX)],
            end: Annotated[int, Query(ge=0, le=MAX_INDEX)]) -> dict[str, Any]:
    if end < start:
        raise ValidationFailed("end must not be below start", field="end",
                               code=Code.LEDGER_BAD_RANGE)
    got = _ctx(request).ledger.entries(start, end, limit=1000)
    return {"entries": [{"index": e.index, "data": base64.b64encode(e.data).decode()}
                        for e in got]}

"""schemathesis hooks for the ``/v1`` conformance run (``test_api_conformance.py``).

The schema says what a request looks like; some rules it cannot say: the GB 11643 check
digit of a resident ID, that the template named must exist (and be the caller's), that a
gate call names an authorization that is active, with its purpose and an item of its
scope. Left alone, almost every generated request stops at those rules (422, 404, 409)
and never reaches the core. These hooks rewrite *positive* cases only (schema-valid ones;
a negative case must stay invalid) so that they do reach it. The fixtures are named by
the test through the environment:

A drawn list cursor (``after``) becomes a well-formed one.

- ``ANXIN_ST_TEMPLATE``: a template of the caller's (purpose ``ANXIN_ST_PURPOSE``, scope
  ``ANXIN_ST_SCOPE``, comma-separated);
- ``ANXIN_ST_ACTIVE``: a signed, active authorization from it with many uses (the gate);
- ``ANXIN_ST_SIGNED``: another signed one, never used (its documents stay small);
- ``ANXIN_ST_ENDPOINT`` and ``ANXIN_ST_DELIVERY``: a webhook endpoint of the caller's and
  one delivery of it (a ping); ``ANXIN_ST_HOOK_BASE``: a URL prefix the server's SSRF
  guard accepts (a closed port on 127.0.0.1, listed in its ``ANXIN_OUTBOUND_ALLOW``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from typing import Any

import schemathesis
from schemathesis import GenerationMode

from anxin.domain.subject import resident_id_check_char
from anxin.services.authorizations import make_cursor

ENDPOINT_ID_PATTERN = r"^we_[0-9a-f]{32}$"  # anxin.web.api.webhook_schemas'


def _positive(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode is GenerationMode.POSITIVE


def _resident_id(seed: str) -> str:
    """A valid resident ID number (birth date 1990-01-01, check digit right), varied."""
    n = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 1000
    first17 = f"11010519900101{n:03d}"
    return first17 + resident_id_check_char(first17)


def _one_in(n: int, seed: str) -> bool:
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % n == 0


def _drawn_endpoint(case: schemathesis.Case) -> bool:
    value = (case.path_parameters or {}).get("endpoint_id")
    return not (isinstance(value, str) and re.fullmatch(ENDPOINT_ID_PATTERN, value))


def _scope() -> list[str]:
    return os.environ["ANXIN_ST_SCOPE"].split(",")


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    op = context.operation
    if op is None or not _positive(case):
        return case
    operation_id = op.definition.raw.get("operationId")
    body: Any = case.body
    if operation_id == "create_authorization" and isinstance(body, dict):
        body["template"] = os.environ["ANXIN_ST_TEMPLATE"]
        subject = body.get("subject")
        if isinstance(subject, dict):
            if subject.get("id_type") == "resident_id":
                subject["id_number"] = _resident_id(str(subject.get("id_number")))
            mobile = str(subject.get("mobile", ""))
            if mobile.startswith("+"):  # E.164 of a country SMS may not go to
                subject["mobile"] = "139" + mobile[-8:].rjust(8, "0")
        body.pop("callback_url", None)  # outgoing calls to a drawn host: refused (SSRF)
        body.pop("valid_until", None)  # relative to now: drawn ones are past or too far
        if isinstance(body.get("max_uses"), int):
            body["max_uses"] = 1
    elif operation_id == "consume_use" and isinstance(body, dict):
        case.path_parameters = {**(case.path_parameters or {}),
                                "auth_id": os.environ["ANXIN_ST_ACTIVE"]}
        body["purpose"] = os.environ["ANXIN_ST_PURPOSE"]
        scope = _scope()
        if body.get("data_item") not in scope:
            body["data_item"] = scope[0]
    elif operation_id == "get_authorization":
        case.path_parameters = {**(case.path_parameters or {}),
                                "auth_id": os.environ["ANXIN_ST_ACTIVE"]}
    elif operation_id == "get_letter_pdf" or (
            operation_id in ("get_evidence_package", "get_report_pdf")
            and _one_in(3, str(case.path_parameters))):
        # Not the gate's authorization: its package and report are built from every use
        # so far, and would grow with the run. The package and report are built on each
        # request (seconds each on a loaded 2-core machine): one case in three reaches
        # them, the others check the 404 of a drawn id.
        case.path_parameters = {**(case.path_parameters or {}),
                                "auth_id": os.environ["ANXIN_ST_SIGNED"]}
    elif operation_id == "create_webhook_endpoint" and isinstance(body, dict):
        # A URL the guard takes (a drawn one is refused as it says: outbound_refused),
        # one of eight: the same again answers 409, and the 16-endpoint limit is never met.
        n = int(hashlib.sha256(str(body.get("url")).encode()).hexdigest(), 16) % 8
        body["url"] = f"{os.environ['ANXIN_ST_HOOK_BASE']}/{n}"
        # A fresh Idempotency-Key: with eight URLs, a drawn key meets another body
        # (idempotency_key_reused, 422, as documented) or replays a creation whose
        # endpoint a later delete removed (the replay answers what was made, by design:
        # docs/notifications.md). Replays are tested in test_webhook_endpoints.py.
        for name in [h for h in (case.headers or {}) if h.lower() == "idempotency-key"]:
            case.headers[name] = uuid.uuid4().hex
    elif operation_id in ("get_webhook_endpoint", "rotate_webhook_endpoint_secret",
                          "ping_webhook_endpoint", "list_webhook_deliveries",
                          "retry_webhook_delivery") and _drawn_endpoint(case):
        # Two drawn ids in three become the fixture's endpoint (the delete is not steered),
        # the others check the 404 of a drawn id. An id of the product's form came from a
        # link (the stateful phase): it stays, or the link's check would judge another id.
        if not _one_in(3, str(case.path_parameters)):
            steered = {"endpoint_id": os.environ["ANXIN_ST_ENDPOINT"]}
            if operation_id == "retry_webhook_delivery":
                steered["delivery_id"] = os.environ["ANXIN_ST_DELIVERY"]
            case.path_parameters = {**(case.path_parameters or {}), **steered}
    elif operation_id == "list_authorizations" and "after" in (case.query or {}):
        # A cursor is the `next` of an earlier answer (a drawn string is refused, 422,
        # as documented): a well-formed one, at a drawn point of the list, and no `page`
        # beside it (the two exclude each other).
        seed = str(case.query.get("after"))
        n = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n % 10**8)
        case.query = {k: v for k, v in case.query.items() if k != "page"}
        case.query["after"] = make_cursor(at, str(uuid.UUID(int=n % 2**128)))
    elif operation_id == "get_template":
        case.path_parameters = {**(case.path_parameters or {}),
                                "code": os.environ["ANXIN_ST_TEMPLATE"]}
        case.query = {k: v for k, v in (case.query or {}).items() if k != "version"}
    return case

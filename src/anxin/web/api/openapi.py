"""``/openapi.json``: the OpenAPI 3.1 document that is the API's contract.

FastAPI builds the document from the routes; :func:`build_openapi` then adds what the
routes cannot say one by one, so that a route only declares what is its own:

- ``servers`` from ``ANXIN_BASE_URL``;
- problems (``application/problem+json``, the shared ``Problem`` schema, one example per
  code) for the statuses every ``/v1`` route can answer: 401 (the API key), 422
  ``validation_failed`` (a parameter or body), 413 (a body over the limit), 503 (the
  database), merged with the route's own codes;
- the deployment's vocabulary (purpose codes, data categories) as enums where a request
  model marked a member (:data:`anxin.web.api.schemas.PURPOSE`); the mark stays beside
  the enum (``"x-anxin-vocabulary": "purposes"``), so that a client meant for every
  deployment (clients/python/regenerate.py) knows to take any string there;
- an ``example`` on every JSON request and response, from its model's ``examples``;
- ``security: []`` on the public routes (``/pki``, ``/tsa``, ``/ledger``, ...), so that a
  reader and a generated client know they need no key;
- the registry's code enum named ``ProblemCode``.

Example::

    app.openapi = lambda: build_openapi(app, settings)
"""

from __future__ import annotations

import copy
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

import anxin
from anxin.config import Settings
from anxin.error_codes import Code, spec
from anxin.web.api.schemas import VOCABULARY_MARK, UseRequest
from anxin.web.problems import PROBLEM_CODES, problem_doc

PROBLEM_JSON = "application/problem+json"
SCHEMAS = "#/components/schemas/"

DESCRIPTION = """\
Electronic authorization of personal-data use (credit-report consent).

An institution **requests an authorization** from one of its templates
(`POST /v1/authorizations`), sends the person to the `signing_url` it gets back (Anxin does
not), and then asks **the use gate** (`POST /v1/authorizations/{auth_id}/uses`) before
every query of the person's data. Status changes arrive by webhook and at `GET /v1/events`.

- Authentication: `Authorization: Bearer <api key>` on every `/v1` call (the **ApiKey**
  scheme). Another institution's id answers 404, exactly as an unknown one.
- Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`
  (the `Problem` schema; every code is in the table of the guide).
- Lists page by number (`page`, `page_size` up to 100); `/v1/events` pages by cursor.
- Creating POSTs honour `Idempotency-Key`.

The guide: [/docs/guide](/docs/guide). Public verification endpoints (`/pki`, `/tsa`,
`/ledger`) need no key.
"""

TAGS = [
    {"name": "templates", "description": "The letters the person signs, versioned."},
    {"name": "authorizations", "description": "Requests, their state, their documents."},
    {"name": "gate", "description": "The use gate: one use per query of the person's data."},
    {"name": "events", "description": "Status changes, by cursor."},
    {"name": "institution", "description": "Your institution's own settings (embedding)."},
    {"name": "webhooks", "description": "Webhook endpoints, their secrets and deliveries."},
    {"name": "pki", "description": "Certificates, CRLs, OCSP and time-stamping, for verifiers."},
    {"name": "ledger", "description": "The Merkle ledger: checkpoints, proofs, entries."},
    {"name": "verification", "description": "Verify a letter or package on this server."},
    {"name": "operations", "description": "Health, metrics and the seal's keys."},
]

BODY_MODELS = [UseRequest]
STRING = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}
# The public routes answer files in their own formats, by what the path names (a new
# certificate or CRL route is documented by the same rule).
PUBLIC_ANSWERS: list[tuple[str, str, str, dict[str, Any], str]] = [
    (r"\.crt$", "get", "application/x-pem-file", STRING, "The certificate (PEM)"),
    (r"\.crl$", "get", "application/pkix-crl", BINARY, "The CRL (DER)"),
    (r"/ocsp(/\{encoded\})?$", "*", "application/ocsp-response", BINARY,
     "The OCSP response (DER, RFC 6960); a malformed request is answered in OCSP"),
    (r"^/tsa(/sm2)?$", "post", "application/timestamp-reply", BINARY,
     "The time-stamp response (DER, RFC 3161); a refused request is answered in TSP"),
    (r"^/metrics$", "get", "text/plain", STRING, "Prometheus text format"),
]
PEM_EXAMPLE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU...\n-----END CERTIFICATE-----\n"
TEXT_EXAMPLES = {  # the text answers' examples, by the start of the path
    "/pki/": PEM_EXAMPLE,
    "/ledger/checkpoint": ("localhost:8000/anxin\n1234\n"
                           "q0d5Kl1Yc8E7kq3Jm4d0CqNsmC7l4G2qZ2JkVqk8v0o=\n"
                           "\n— localhost:8000/anxin Az3b9w1mQx8T...\n"),
    "/ledger/key": "localhost:8000/anxin+4c9a1b2e+AW0T9HfZ1sYxk3y7Q2bZxQ0c2l8N6pVv1m3YbQeJ7kUo\n",
    "/metrics": "# TYPE anxin_requests_total counter\n"
                "anxin_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3.0\n",
}
PUBLIC_BODIES = [(r"/ocsp$", "application/ocsp-request"),
                 (r"^/tsa(/sm2)?$", "application/timestamp-query")]
VERIFICATION_REPORT = {
    "type": "object", "description": "The verification report (docs/verification.md)",
    "properties": {
        "indication": {"enum": ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"]},
        "sub_indication": {"type": ["string", "null"]},
        "checks": {"type": "array", "items": {"type": "object"}}},
    "required": ["indication", "checks"],
    "example": {"indication": "TOTAL_PASSED", "sub_indication": None, "checks": []}}
AUTH_CODES = [Code.MISSING_API_KEY, Code.INVALID_API_KEY, Code.INSTITUTION_SUSPENDED]


def operation_id(route: APIRoute) -> str:
    """The ``operationId``: the route's name (its function's, or ``name=``), which is
    what a generated client calls the method (``create_authorization``)."""
    return route.name


def build_openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The document, built once per app and cached (``app.openapi_schema``)."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title="Anxin API", version=anxin.__version__, openapi_version="3.1.0",
        summary="Electronic authorization of personal-data use",
        description=DESCRIPTION, routes=app.routes, tags=TAGS,
        servers=[{"url": settings.effective_base_url, "description": "this deployment"}])
    spec["info"]["license"] = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            _finish_operation(path, method, op)
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for model in BODY_MODELS:  # bodies a route reads itself (the gate), named by $ref
        schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
        for member in schema.get("properties", {}).values():
            if member.get("default", ...) is None:  # optional, as FastAPI's bodies say it
                del member["default"]
        components.update(schema.pop("$defs", {}))
        components.setdefault(model.__name__, schema)
    _rename_schema(spec, "Code", "ProblemCode")
    _vocabulary(spec, settings)
    _examples(spec)
    app.openapi_schema = spec
    return spec


def _finish_operation(path: str, method: str, op: dict[str, Any]) -> None:
    for param in op.get("parameters", []):
        _not_null(param)
    responses: dict[str, Any] = op.setdefault("responses", {})
    if not path.startswith("/v1/"):
        _public(path, method, op)
    secured = bool(op.get("security"))
    if not secured:
        op["security"] = []
    if path.startswith("/v1/") and secured:
        _add_codes(responses, 401, AUTH_CODES)
        _add_codes(responses, 503, [Code.DATABASE_UNAVAILABLE])
        if op.get("parameters") or op.get("requestBody"):
            _add_codes(responses, 422, [Code.VALIDATION_FAILED])
        if op.get("requestBody"):
            _add_codes(responses, 400, [Code.MALFORMED_BODY])
            _add_codes(responses, 413, [Code.PAYLOAD_TOO_LARGE])
    if op.get("parameters") or op.get("requestBody"):
        _add_codes(responses, 422, [Code.VALIDATION_FAILED])
    if method == "post":
        _add_codes(responses, 413, [Code.PAYLOAD_TOO_LARGE])
    if path.startswith(("/ledger/", "/pki/ocsp", "/pki/sm2/ocsp")) or path.endswith(".crl"):
        _add_codes(responses, 503, [Code.DATABASE_UNAVAILABLE])
    if path.startswith(("/pki/sm2/", "/tsa/sm2")):
        _add_codes(responses, 404, [Code.NOT_FOUND])  # the intl profile has no SM2 PKI
    for status, response in list(responses.items()):
        if status.isdigit() and int(status) >= 400:
            _as_problem(response, keep_html=(path, status) == ("/verify", "422"))
    # The success first, problems by status: what a reader looks for first.
    op["responses"] = dict(sorted(responses.items(), key=lambda kv: kv[0]))


def _public(path: str, method: str, op: dict[str, Any]) -> None:
    """Content types and schemas of the public routes' answers and bodies."""
    ok = op["responses"].setdefault("200", {"description": "OK"})
    for pattern, verb, media, schema, description in PUBLIC_ANSWERS:
        if re.search(pattern, path) and verb in (method, "*"):
            ok["content"] = {media: {"schema": dict(schema)}}
            ok["description"] = description
    for media, content in ok.get("content", {}).items():
        if media.startswith(("text/plain", "application/x-pem-file")):
            example = next((v for k, v in TEXT_EXAMPLES.items() if path.startswith(k)), None)
            if example is not None:
                content["example"] = example
    for pattern, media in PUBLIC_BODIES:
        if re.search(pattern, path) and method == "post":
            op["requestBody"] = {"required": True,
                                 "content": {media: {"schema": dict(BINARY)}}}
    if path in ("/verify", "/verify/report.pdf"):
        ok["content"] = {"application/pdf": {"schema": dict(BINARY)}} if path.endswith(
            ".pdf") else {
            "text/html": {"schema": dict(STRING)},
            "application/json": {"schema": VERIFICATION_REPORT,
                                 "example": VERIFICATION_REPORT["example"]}}
        ok["description"] = ("The report as PDF" if path.endswith(".pdf") else
                             "The result page, or the report with `Accept: application/json`")


def _not_null(param: dict[str, Any]) -> None:
    """An optional parameter is absent, never null: ``anyOf [X, null]`` becomes ``X``
    (a query string or header cannot carry a JSON null, and a generated client then
    types it ``str | Unset`` rather than ``str | None | Unset``)."""
    schema = param.get("schema", {})
    options = schema.get("anyOf")
    if options and len(options) == 2 and {"type": "null"} in options:
        kept = next(o for o in options if o != {"type": "null"})
        del schema["anyOf"]
        schema.update(kept)


def _add_codes(responses: dict[str, Any], status: int, codes: list[Code]) -> None:
    key = str(status)
    have = responses.get(key)
    if have is None or PROBLEM_CODES not in have:
        doc = problem_doc(codes)
        doc.pop("model")
        if have is not None:  # FastAPI's own 422 (HTTPValidationError): replaced
            have.clear()
        responses[key] = doc
        return
    known = have[PROBLEM_CODES]
    merged = known + [str(c) for c in codes if str(c) not in known]
    fresh = problem_doc([Code(c) for c in merged])
    fresh.pop("model")
    responses[key] = fresh


def _as_problem(response: dict[str, Any], *, keep_html: bool = False) -> None:
    """Errors are ``application/problem+json`` with the ``Problem`` schema; FastAPI put
    the model under the route's own media type. A page (``/verify``) also answers its
    error as HTML to a browser."""
    content = response.setdefault("content", {})
    examples = content.get(PROBLEM_JSON, {}).get("examples")
    for media in list(content):
        if media != PROBLEM_JSON:
            content.pop(media)
    if keep_html:
        content["text/html"] = {"schema": dict(STRING)}
    doc: dict[str, Any] = {"schema": {"$ref": SCHEMAS + "Problem"}}
    if examples:
        doc["examples"] = examples
    content[PROBLEM_JSON] = doc
    if any(spec(Code(c)).status in (429, 503) for c in response.get(PROBLEM_CODES, [])):
        response.setdefault("headers", {})["Retry-After"] = {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 0}}


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _rename_schema(spec: dict[str, Any], old: str, new: str) -> None:
    schemas = spec["components"]["schemas"]
    if old not in schemas:
        return
    schemas[new] = schemas.pop(old)
    schemas[new]["title"] = new
    for node in _walk(spec):
        if node.get("$ref") == SCHEMAS + old:
            node["$ref"] = SCHEMAS + new


def _vocabulary(spec: dict[str, Any], settings: Settings) -> None:
    values = {"purposes": list(settings.purposes),
              "data_categories": list(settings.data_categories)}
    for node in _walk(spec):
        mark = node.get(VOCABULARY_MARK)
        if mark is not None:
            node["enum"] = values[mark]


def _schema_example(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    ref = schema.get("$ref")
    if ref is None and "anyOf" in schema:  # an optional body: the model, or null
        ref = next((m["$ref"] for m in schema["anyOf"] if "$ref" in m), None)
    if ref is None and schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        item = _schema_example(spec, schema["items"])
        return None if item is None else [item]
    if ref is None:
        return None
    target = spec["components"]["schemas"].get(ref.removeprefix(SCHEMAS), {})
    examples = target.get("examples")
    return copy.deepcopy(examples[0]) if examples else None


def _examples(spec: dict[str, Any]) -> None:
    """Copy each model's first example to the media types that use it."""
    for item in spec.get("paths", {}).values():
        for op in item.values():
            media_types = [m for r in op.get("responses", {}).values()
                           for m in r.get("content", {}).values()]
            body = op.get("requestBody", {}).get("content", {})
            for media in [*media_types, *body.values()]:
                if "example" in media or "examples" in media:
                    continue
                example = _schema_example(spec, media.get("schema", {}))
                if example is not None:
                    media["example"] = example

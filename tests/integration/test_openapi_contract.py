"""``/openapi.json`` is the API's contract (issue 16): valid OpenAPI 3.1, every /v1
operation named, secured by the API key, typed in every answer and problem, with
examples; and the product answers what it says (page_size, strict bodies, Allow)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator

from anxin.domain.states import Status
from anxin.error_codes import Code, spec
from anxin.services.notifications import NOTIFIED_EVENTS
from anxin.web.api.schemas import AuthorizationStatus, UseGranted
from anxin.web.api.webhook_schemas import (
    WebhookDelivery,
    WebhookEndpointCreated,
    WebhookEndpointWithSecret,
)
from tests.common.factories import Api, resident_id, sign

OPERATION_IDS = {
    ("post", "/v1/templates"): "create_template",
    ("get", "/v1/templates"): "list_templates",
    ("get", "/v1/templates/{code}"): "get_template",
    ("post", "/v1/authorizations"): "create_authorization",
    ("get", "/v1/authorizations"): "list_authorizations",
    ("get", "/v1/authorizations/{auth_id}"): "get_authorization",
    ("post", "/v1/authorizations/{auth_id}/cancel"): "cancel_authorization",
    ("post", "/v1/authorizations/{auth_id}/uses"): "consume_use",
    ("get", "/v1/authorizations/{auth_id}/letter.pdf"): "get_letter_pdf",
    ("get", "/v1/authorizations/{auth_id}/evidence.zip"): "get_evidence_package",
    ("get", "/v1/authorizations/{auth_id}/report.pdf"): "get_report_pdf",
    ("get", "/v1/events"): "list_events",
    ("post", "/v1/authorizations/{auth_id}/deletion"): "attest_deletion",
    ("get", "/v1/institution"): "get_institution",
    ("patch", "/v1/institution"): "update_institution",
    ("post", "/v1/webhook-endpoints"): "create_webhook_endpoint",
    ("get", "/v1/webhook-endpoints"): "list_webhook_endpoints",
    ("get", "/v1/webhook-endpoints/{endpoint_id}"): "get_webhook_endpoint",
    ("delete", "/v1/webhook-endpoints/{endpoint_id}"): "delete_webhook_endpoint",
    ("post", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"):
        "rotate_webhook_endpoint_secret",
    ("post", "/v1/webhook-endpoints/{endpoint_id}/ping"): "ping_webhook_endpoint",
    ("get", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): "list_webhook_deliveries",
    ("post", "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"):
        "retry_webhook_delivery",
    ("post", "/v1/institution/rotate-webhook-secret"): "rotate_institution_webhook_secret",
}


@pytest.fixture
def doc(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return dict(doc["components"]["schemas"][ref.rsplit("/", 1)[1]]) if ref else schema


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any], settings: Any) -> None:
    assert doc["openapi"] == "3.1.0"
    errors = [e.message for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert errors == []
    assert doc["servers"] == [{"url": settings.effective_base_url,
                               "description": "this deployment"}]
    assert doc["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "API key",
        "description": doc["components"]["securitySchemes"]["ApiKey"]["description"]}


def test_every_operation_has_a_stable_unique_id(doc: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids))
    got = {(m, p): op["operationId"] for m, p, op in _operations(doc) if p.startswith("/v1/")}
    assert got == OPERATION_IDS  # a new /v1 route: add it here with a name for humans


def test_v1_takes_the_key_once_by_its_scheme(doc: dict[str, Any]) -> None:
    for method, path, op in _operations(doc):
        names = {p["name"].lower() for p in op.get("parameters", [])}
        assert "authorization" not in names, (method, path)
        if path.startswith("/v1/"):
            assert op["security"] == [{"ApiKey": []}], (method, path)
            assert "401" in op["responses"], (method, path)
        else:
            assert op["security"] == [], (method, path)  # public: no key


def test_every_answer_is_typed_and_has_an_example(doc: dict[str, Any]) -> None:
    untyped, no_example = [], []
    for method, path, op in _operations(doc):
        bodies = [("request", m, c) for m, c in
                  op.get("requestBody", {}).get("content", {}).items()]
        bodies += [(status, m, c) for status, r in op["responses"].items()
                   for m, c in r.get("content", {}).items()]
        for status, media, content in bodies:
            where = f"{method.upper()} {path} {status} {media}"
            schema = content.get("schema")
            if not schema or not ({"$ref", "type", "anyOf", "oneOf"} & set(schema)):
                untyped.append(where)
            if schema and schema.get("format") == "binary":
                continue
            resolved = _resolve(doc, schema or {})
            textual = media.endswith("json") or media.startswith(
                ("text/plain", "application/x-pem-file"))
            if textual and not ({"example", "examples"} & set(content)
                                or resolved.get("examples")):
                no_example.append(where)
            if path.startswith("/v1/") and schema and resolved.get("type") == "object":
                assert resolved.get("properties"), f"{where}: an opaque object"
    assert untyped == []
    assert no_example == []


def test_problems_are_problem_json_with_the_route_s_registry_codes(
        doc: dict[str, Any]) -> None:
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            where = f"{method.upper()} {path} {status}"
            pages = ["text/html"] if (path, status) == ("/verify", "422") else []
            assert list(response["content"]) == ["application/problem+json", *pages], where
            content = response["content"]["application/problem+json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, where
            codes = response["x-problem-codes"]
            assert codes, where
            assert all(spec(c).status == int(status) for c in codes), where
            assert set(content["examples"]) == set(codes), where
    problem = doc["components"]["schemas"]["Problem"]
    assert problem["properties"]["code"] == {
        "$ref": "#/components/schemas/ProblemCode",
        "description": problem["properties"]["code"]["description"]}
    assert set(doc["components"]["schemas"]["ProblemCode"]["enum"]) == {str(c) for c in Code}
    assert {"field", "errors", "retry_after", "instance"} <= set(problem["properties"])
    gate = doc["paths"]["/v1/authorizations/{auth_id}/uses"]["post"]["responses"]
    assert gate["409"]["x-problem-codes"] == [
        "authorization_not_active", "authorization_exhausted", "authorization_expired",
        "authorization_revoked", "authorization_paused", "frequency_exceeded"]
    assert "Retry-After" in gate["503"]["headers"]


def test_models_have_human_names_and_real_constraints(doc: dict[str, Any],
                                                      settings: Any) -> None:
    schemas = doc["components"]["schemas"]
    assert {"AuthorizationRequest", "Authorization", "AuthorizationCreated", "UseRequest",
            "UseGranted", "Problem", "Template", "TemplateRequest", "EventPage",
            "AuthorizationPage"} <= set(schemas)
    assert not [n for n in schemas if "_v1_" in n or n.startswith("Body_create")]
    assert set(schemas["AuthorizationStatus"]["enum"]) == {s.value for s in Status}
    assert {s.value for s in AuthorizationStatus} == {s.value for s in Status}
    subject = schemas["SubjectIdentity"]["properties"]
    assert subject["id_number"]["pattern"] == "^[0-9A-Za-z]{5,20}$"
    assert subject["mobile"]["pattern"].startswith("^(1[3-9]")
    # An optional integer publishes its bounds as JSON Schema (they were `ge`/`le`).
    max_uses = schemas["AuthorizationRequest"]["properties"]["max_uses"]["anyOf"][0]
    assert (max_uses["minimum"], max_uses["maximum"]) == (1, 10000)
    use = schemas["UseRequest"]["properties"]
    assert use["purpose"]["enum"] == list(settings.purposes)
    assert use["data_item"]["enum"] == list(settings.data_categories)
    lists = doc["paths"]["/v1/authorizations"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in lists}
    assert by_name["page"]["minimum"] == 1
    assert (by_name["page_size"]["minimum"], by_name["page_size"]["maximum"]) == (1, 100)
    assert by_name["status"]["$ref"] == "#/components/schemas/AuthorizationStatus"
    inclusion = doc["paths"]["/ledger/proof/inclusion"]["get"]
    assert {p["name"]: p["schema"]["minimum"] for p in inclusion["parameters"]} == {
        "index": 0, "size": 1}


def test_the_new_authorization_links_to_what_takes_its_id(doc: dict[str, Any]) -> None:
    created = doc["paths"]["/v1/authorizations"]["post"]["responses"]["201"]
    links = created["links"]
    assert {link["operationId"] for link in links.values()} == {
        "get_authorization", "consume_use", "cancel_authorization"}
    assert all(link["parameters"] == {"auth_id": "$response.body#/id"}
               for link in links.values())


def test_the_webhook_models_say_their_constraints_and_codes(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    request = schemas["WebhookEndpointRequest"]["properties"]
    assert request["url"]["maxLength"] == 2000
    assert set(request["events"]["items"]["enum"]) == {"*"} | {
        e.value for e in NOTIFIED_EVENTS}
    assert request["description"]["anyOf"][0]["maxLength"] == 200
    grace = schemas["SecretRotation"]["properties"]["grace_seconds"]["anyOf"][0]
    assert (grace["minimum"], grace["maximum"]) == (0, 86400)
    paths = doc["paths"]
    create = paths["/v1/webhook-endpoints"]["post"]["responses"]
    assert create["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookEndpointCreated"}
    assert create["409"]["x-problem-codes"] == ["webhook_endpoint_exists"]
    assert {"unknown_event", "outbound_refused", "idempotency_key_reused"} <= set(
        create["422"]["x-problem-codes"])
    assert {link["operationId"] for link in create["201"]["links"].values()} == {
        "get_webhook_endpoint", "ping_webhook_endpoint", "list_webhook_deliveries",
        "rotate_webhook_endpoint_secret", "delete_webhook_endpoint"}
    retry = paths["/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"]
    assert retry["post"]["responses"]["404"]["x-problem-codes"] == [
        "webhook_endpoint_not_found", "webhook_delivery_not_found"]
    deliveries = paths["/v1/webhook-endpoints/{endpoint_id}/deliveries"]["get"]
    size = {p["name"]: p["schema"] for p in deliveries["parameters"]}["page_size"]
    assert (size["minimum"], size["maximum"]) == (1, 100)


def test_webhook_answers_are_their_documented_models(api: Api) -> None:
    r = api.post("/v1/webhook-endpoints", {"url": "https://bank.example/hook",
                                           "events": ["*"]})
    assert r.status_code == 201, r.text
    made = r.json()
    assert WebhookEndpointCreated.model_validate(made).model_dump(
        exclude_unset=True) == made
    ping = api.post(f"/v1/webhook-endpoints/{made['id']}/ping", {})
    assert ping.status_code == 202, ping.text
    assert WebhookDelivery.model_validate(ping.json()).model_dump(
        exclude_unset=True) == ping.json()
    rotated = api.post(f"/v1/webhook-endpoints/{made['id']}/rotate-secret").json()
    assert WebhookEndpointWithSecret.model_validate(rotated).model_dump(
        exclude_unset=True) == rotated
    r = api.post("/v1/webhook-endpoints/" + made["id"] + "/rotate-secret",
                 {"grace_seconds": 86401})
    assert (r.status_code, r.json()["field"]) == (422, "grace_seconds")
    r = api.post("/v1/webhook-endpoints", {"url": "https://bank.example/" + "a" * 2000,
                                           "events": ["*"]})
    assert (r.status_code, r.json()["field"]) == (422, "url")
    r = api.get(f"/v1/webhook-endpoints/{made['id']}/deliveries?page_size=101")
    assert (r.status_code, r.json()["field"]) == (422, "page_size")


def test_a_replay_after_the_delete_answers_what_was_made(api: Api) -> None:
    # The answer model required a secret; the replay of a deleted endpoint's creation has
    # none left to show, and answered 500 (response validation) instead of its 201.
    body, key = {"url": "https://bank.example/hook", "events": ["*"]}, {"Idempotency-Key": "k1"}
    made = api.post("/v1/webhook-endpoints", body, headers=key).json()
    deleted = api.client.delete(f"/v1/webhook-endpoints/{made['id']}", headers=api.h)
    assert deleted.status_code == 200, deleted.text
    r = api.post("/v1/webhook-endpoints", body, headers=key)
    assert r.status_code == 201, r.text
    assert r.json() == made | {"secret": None}


def test_page_size_is_honoured_up_to_its_maximum(api: Api) -> None:
    api.template()
    for seq in (1, 2, 3):
        api.request(seq=seq)
    page = api.get("/v1/authorizations?page_size=2").json()
    assert (len(page["items"]), page["page_size"], page["total"], page["next_page"]) == (
        2, 2, 3, 2)
    last = api.get("/v1/authorizations?page_size=2&page=2").json()
    assert (len(last["items"]), last["next_page"]) == (1, None)
    ids = {a["id"] for a in page["items"]} | {a["id"] for a in last["items"]}
    assert len(ids) == 3
    r = api.get("/v1/authorizations?page_size=101")
    assert r.status_code == 422
    assert (r.json()["code"], r.json()["field"]) == ("validation_failed", "page_size")
    api.template(code="second")
    templates = api.get("/v1/templates?page_size=1").json()
    assert (len(templates["items"]), templates["total"], templates["next_page"]) == (1, 2, 2)
    r = api.get("/v1/templates?page_size=0")
    assert (r.status_code, r.json()["field"]) == (422, "page_size")


def test_bodies_are_taken_as_the_schema_types_them(api: Api) -> None:
    body = {"code": "strict", "title": "T", "purpose": "loan_approval",
            "data_scope": ["credit_report"], "body": "Hello {{ subject_name }}",
            "locale": "en"}
    for member, value in (("max_uses", "1"), ("validity_days", True),
                          ("require_passkey", 1), ("max_uses", 1.5)):
        r = api.post("/v1/templates", {**body, member: value})
        assert (r.status_code, r.json()["field"]) == (422, member), (member, value, r.text)
    assert api.post("/v1/templates", {**body, "max_uses": 1.0}).status_code == 201
    r = api.post("/v1/templates", {**body, "code": "café"})
    assert (r.status_code, r.json()["field"]) == (422, "code")
    assert api.get("/v1/templates").json()["total"] == 1  # nothing else was stored


def test_the_subject_patterns_answer_the_domain_codes(api: Api) -> None:
    api.template()
    subject = {"name": "Zhang San", "id_type": "resident_id", "id_number": resident_id(1),
               "mobile": "13900000001"}
    for member, value, code in (("id_number", "1101 0519 9001", "invalid_id_number"),
                                ("id_number", "X1", "invalid_id_number"),
                                ("mobile", "139-0000-0001", "invalid_mobile")):
        r = api.post("/v1/authorizations", {"template": "credit", "reference": "L-1",
                                            "subject": {**subject, member: value}})
        assert r.status_code == 422, r.text
        assert (r.json()["code"], r.json()["field"]) == (code, f"subject.{member}")
    assert api.get("/v1/authorizations").json()["total"] == 0


def test_a_405_names_every_method_of_the_path(client: TestClient) -> None:
    # Starlette named only the first route's (Allow: POST for /v1/templates).
    r = client.request("OPTIONS", "/v1/templates")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.headers["content-type"] == "application/problem+json"
    assert client.request("DELETE", "/v1/authorizations/x").headers["allow"] == "GET"


def test_the_gate_answer_is_its_documented_model(api: Api, client: TestClient,
                                                 outbox: Any) -> None:
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    granted = api.use(auth["id"]).json()
    assert UseGranted.model_validate(granted).model_dump(exclude_unset=True) == granted

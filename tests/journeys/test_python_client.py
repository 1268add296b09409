"""The Python client (clients/python, docs/api.md "Python client") against a real server.

- The client generated from the live ``/openapi.json`` (openapi-python-client, the pinned
  version, as ``make client`` runs it) is byte for byte the committed
  ``anxin_client.generated``, and it parses every answer it is given (201, 200, 401, 404,
  409, 422) into a model, problems included.
- The journey of clients/python/README.md runs as written through the façade, the person's
  steps between its blocks done through the real signing page and portal.
- docs/api.md's "Python client" example runs as written.
- ``verify_webhook`` accepts a delivery the server really signed (to a listener on
  127.0.0.1) and refuses it altered; ``verify_receipt`` accepts a real gate receipt
  against the served JWKS and refuses it altered.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import importlib
import inspect
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest

from anxin_client import (
    Anxin,
    AnxinProblem,
    ReceiptError,
    WebhookSignatureError,
    verify_receipt,
    verify_webhook,
)
from tests.common.factories import EN_BODY, mobile, resident_id
from tests.common.listener import listener
from tests.journeys.conftest import ROOT, Forms, Served, console_sign_in, sign_with_the_form
from tests.journeys.test_person import portal_sign_in

CLIENT = ROOT / "clients" / "python"
COMMITTED = CLIENT / "src" / "anxin_client" / "generated"
PY_BLOCK = re.compile(r"^<!-- journey: python -->\n```python\n(?P<body>.*?)^```$", re.M | re.S)


def python_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    blocks = [m.group("body") for m in PY_BLOCK.finditer(text)]
    assert len(blocks) == text.count("<!-- journey: python -->"), \
        f"{path.name}: a journey marker is not followed by a python block"
    return blocks


def fill_in(block: str, served: Served, **values: str) -> str:
    """What a reader fills in: the demo key, the server's address, and ``NAME = "..."``
    placeholders (``AUTH_ID = "..."``)."""
    block = block.replace('"anx_..."', repr(served.demo_key)).replace(
        "http://localhost:8000", served.base_url)
    for name, value in values.items():
        assert f'{name} = "..."' in block, f"no placeholder {name} in the block"
        block = block.replace(f'{name} = "..."', f"{name} = {value!r}")
    assert '"..."' not in block, f"a placeholder the test does not know:\n{block}"
    return block


def _differences(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    found = [f"only in the committed client: {n}" for n in cmp.left_only]
    found += [f"only in the regenerated client: {n}" for n in cmp.right_only]
    found += [f"differs: {n}" for n in cmp.diff_files]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    found += [f"differs: {n}" for n in mismatch + errors if f"differs: {n}" not in found]
    for sub in cmp.common_dirs:
        found += [f"{sub}/{d}" for d in _differences(a / sub, b / sub)]
    return found


def test_the_committed_client_is_what_the_live_openapi_generates(live_generated: Path
                                                                 ) -> None:
    assert (live_generated / "client.py").is_file()
    differences = _differences(COMMITTED, live_generated)
    assert not differences, ("clients/python/src/anxin_client/generated is not what "
                             "/openapi.json generates: run `make client` and commit\n"
                             + "\n".join(differences[:40]))


@pytest.fixture(scope="package")
def fresh(live_generated: Path, served: Served) -> Iterator[ModuleType]:
    """The freshly generated package, imported under a name of its own."""
    name = f"anxin_live_{served.backend}_{uuid.uuid4().hex[:6]}"
    home = live_generated.parent / "import"
    home.mkdir()
    (home / name).symlink_to(live_generated, target_is_directory=True)
    sys.path.insert(0, str(home))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(home))


def _operation(package: ModuleType, operation_id: str) -> Any:
    """The generated module of ``operation_id``, whatever tag it is filed under."""
    found = sorted(Path(package.__path__[0], "api").glob(f"*/{operation_id}.py"))
    assert len(found) == 1, f"no single generated module for operationId {operation_id}"
    return importlib.import_module(f"{package.__name__}.api.{found[0].parent.name}."
                                   f"{operation_id}")


def _model(answer: Any, status: int, model: str) -> Any:
    assert answer.status_code == status, (answer.status_code, answer.content[:300])
    assert answer.parsed is not None, f"parsed is None for a documented {status}"
    assert type(answer.parsed).__name__ == model, type(answer.parsed)
    assert hasattr(answer.parsed, "to_dict"), "parsed is not a generated model"
    return answer.parsed


def test_every_documented_v1_answer_is_parsed_into_a_model_or_a_file(
        fresh: ModuleType, live_generated: Path) -> None:
    """Not only the answers the next test provokes: for every operation of ``/v1`` in the
    live document, the generated parser reads each documented status into a model (or a
    ``File`` for a document) — never ``cast(Any, None)``, never left out."""
    spec = json.loads((live_generated.parent / "openapi.json").read_text(encoding="utf-8"))
    checked = 0
    for path, item in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in item.items():
            parser = inspect.getsource(_operation(fresh, op["operationId"])._parse_response)
            where = f"{method.upper()} {path} ({op['operationId']})"
            assert "cast(Any, None)" not in parser, f"{where}: an answer is not parsed"
            for status in op["responses"]:
                assert f"response.status_code == {status}" in parser, \
                    f"{where}: the documented {status} is not in the client"
                checked += 1
    assert checked >= 50, checked


def test_the_generated_client_parses_every_answer_as_a_model(fresh: ModuleType,
                                                             served: Served) -> None:
    models = importlib.import_module(f"{fresh.__name__}.models")
    client = fresh.AuthenticatedClient(base_url=served.base_url, token=served.demo_key,
                                       raise_on_unexpected_status=True)
    stranger = fresh.AuthenticatedClient(base_url=served.base_url, token="anx_not_a_key",
                                         raise_on_unexpected_status=True)
    with client, stranger:
        _every_answer_a_model(fresh, models, client, stranger, served)


def _every_answer_a_model(fresh: ModuleType, models: ModuleType, client: Any, stranger: Any,
                          served: Served) -> None:
    op = lambda name: _operation(fresh, name)  # noqa: E731

    template = models.TemplateRequest.from_dict({
        "code": "sdk-parsed", "title": "Credit check", "purpose": "loan_approval",
        "data_scope": ["credit_report"], "body": EN_BODY, "locale": "en",
        "validity_days": 30, "max_uses": 1})
    made = op("create_template").sync_detailed(client=client, body=template)
    assert made.status_code in (200, 201)
    assert type(made.parsed).__name__ == "Template", made.content[:300]
    assert made.parsed.code == "sdk-parsed"

    subject = {"name": "Wang Wu", "id_type": "resident_id", "id_number": resident_id(8630),
               "mobile": mobile(8630)}
    created = _model(op("create_authorization").sync_detailed(
        client=client, body=models.AuthorizationRequest.from_dict({
            "template": "sdk-parsed", "reference": "SDK-8630", "subject": subject})),
        201, "AuthorizationCreated")
    assert created.status == "pending"
    assert created.signing_url.startswith(served.base_url + "/s/")

    record = _model(op("get_authorization").sync_detailed(created.id, client=client),
                    200, "AuthorizationDetail")
    assert record.reference == "SDK-8630"
    assert record.subject.id_number.startswith("110105")
    assert "*" in record.subject.id_number, "the id number is not masked"

    # A pending authorization refused by the gate: a 409 parsed as a Problem.
    refused = _model(op("consume_use").sync_detailed(
        created.id, client=client, body=models.UseRequest.from_dict({
            "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-1",
            "operator": "officer-7"})), 409, "Problem")
    assert str(refused.code) == "authorization_not_active"
    assert refused.status == 409

    # A resident ID whose check digit is wrong: 422 naming the field.
    bad_id = resident_id(8631)[:-1] + ("0" if resident_id(8631)[-1] != "0" else "1")
    invalid = _model(op("create_authorization").sync_detailed(
        client=client, body=models.AuthorizationRequest.from_dict({
            "template": "sdk-parsed", "reference": "SDK-8631",
            "subject": {**subject, "id_number": bad_id}})), 422, "Problem")
    assert str(invalid.code) == "invalid_id_number"
    assert invalid.field == "subject.id_number"

    missing = _model(op("get_authorization").sync_detailed(str(uuid.uuid4()), client=client),
                     404, "Problem")
    assert str(missing.code) == "authorization_not_found"

    unauthorised = _model(op("get_authorization").sync_detailed(created.id, client=stranger),
                          401, "Problem")
    assert str(unauthorised.code) == "invalid_api_key"


def test_the_readme_journey_runs_through_the_facade(served: Served, browser: httpx.Client,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    first, second, third = python_blocks(CLIENT / "README.md")
    namespace: dict[str, Any] = {"__name__": "readme"}

    def run(block: str, name: str) -> list[str]:
        exec(compile(fill_in(block, served), name, "exec"), namespace)  # noqa: S102
        return capsys.readouterr().out.splitlines()

    out = run(first, "README.md#1")
    auth = namespace["auth"]
    assert type(auth).__name__ == "AuthorizationCreated"
    assert out == [f"pending {auth.signing_url}"], out
    assert auth.signing_url.startswith(served.base_url + "/s/")

    seq = 8620  # the README's person: resident_id(8620), mobile(8620)
    sign_with_the_form(served, browser, {"signing_url": auth.signing_url}, seq,
                       reference="LOAN-2026-0042")
    assert run(second, "README.md#2") == ["True True"]
    use, again = namespace["use"], namespace["again"]
    assert use.use_id == again.use_id
    assert namespace["claims"]["use_id"] == str(use.use_id)

    portal_sign_in(served, browser, seq)
    detail = browser.get(f"/me/authorizations/{auth.id}")
    assert detail.status_code == 200, detail.text
    confirm = browser.get(Forms(detail.text).links["revoke-link"])
    action, fields = Forms(confirm.text).form("revoke-form")
    assert "msg=revoked_ok" in str(browser.post(action, data=fields).url)

    assert run(third, "README.md#3") == ["409 authorization_revoked", "revoked"]
    record = served.api.get(f"/v1/authorizations/{auth.id}").json()
    assert record["status"] == "revoked"
    # One use spent (the replay spent none), one refused call recorded.
    assert record["uses"] == 1, record
    assert [u["granted"] for u in record["uses_log"]] == [True, False], record["uses_log"]

    # The refusal the README printed, as the façade raises it: the generated Problem too.
    with Anxin(served.base_url, served.demo_key) as anxin, \
            pytest.raises(AnxinProblem) as refused:
        anxin.authorizations.use(auth.id, purpose="loan_approval", data_item="credit_report",
                                 reference="Q-3", operator="officer-7")
    assert (refused.value.status, refused.value.code) == (409, "authorization_revoked")
    assert type(refused.value.model).__name__ == "Problem", "the problem was not parsed"
    assert str(refused.value.model.code) == "authorization_revoked"
    assert refused.value.detail


def _active(served: Served, browser: httpx.Client, seq: int, **over: Any) -> dict[str, Any]:
    auth = served.new_authorization(seq, **over)
    sign_with_the_form(served, browser, auth, seq)
    return auth


def test_the_api_md_example_runs_as_written(served: Served, browser: httpx.Client,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("## Python client", 1)[1].split("\n## ", 1)[0]
    (block,) = [m.group("body") for m in PY_BLOCK.finditer(section)]
    auth = _active(served, browser, 8640)  # max_uses 2
    for _ in range(3):
        exec(compile(fill_in(block, served, AUTH_ID=auth["id"]), "api.md", "exec"),  # noqa: S102
             {"__name__": "api_md"})
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["granted 1 True", "granted 0 True"], out
    assert out[2] == "refused 409 authorization_exhausted", out


def test_events_page_by_cursor_through_the_facade(served: Served) -> None:
    with Anxin(served.base_url, served.demo_key) as anxin:
        first = anxin.events.list(page_size=1)
        assert type(first).__name__ == "EventPage"
        served.new_authorization(8650)  # no event until signed: the cursor still moves on
        pages, cursor = [], None
        deadline = time.monotonic() + 30
        while True:
            page = anxin.events.list(cursor=cursor, page_size=2)
            pages += page.events
            cursor = page.next_ if page.next_ else cursor
            if not page.has_more:
                break
            assert time.monotonic() < deadline
        cursors = [e.cursor for e in pages]
        assert len(cursors) == len(set(cursors)), "an event came twice across pages"
        assert cursors == sorted(cursors, key=int)
        if cursor is not None:  # resuming from the last cursor never answers an old event
            later = anxin.events.list(cursor=cursor).events
            assert all(int(e.cursor) > int(cursor) for e in later), later


@pytest.fixture
def operator_browser(served: Served, browser: httpx.Client, operator: pyotp.TOTP
                     ) -> httpx.Client:
    console_sign_in(served, browser, operator)
    return browser


def test_verify_webhook_accepts_a_real_delivery_and_refuses_an_altered_one(
        served: Served, operator_browser: httpx.Client) -> None:
    """The institution's default secret is set in the console today (docs/console.md);
    a per-request ``callback_url`` receives the deliveries, signed with it."""
    browser = operator_browser
    name = f"SDK Bank {uuid.uuid4().hex[:6]}"
    page = browser.get("/console/institutions")
    action, fields = Forms(page.text).form("create-institution")
    created = browser.post(action, data={**fields, "name": name})
    key = re.search(r'id="new-key">[^<]*<code>(anx_[^<]+)</code>', created.text)
    assert key, "the new institution's API key is not shown"
    inst_id = re.search(r'<tr class="institution" data-id="([^"]+)"[^>]*><td>'
                        + re.escape(name) + r"<br>", created.text)
    assert inst_id
    action, fields = Forms(created.text).form(f"/console/institutions/{inst_id.group(1)}"
                                              "/webhook")
    # No default URL: only the request's own callback_url is called (and only 127.0.0.1).
    saved = browser.post(action, data={**fields, "callback_url": "", "new_secret": "on"})
    secret = re.search(r'id="new-secret">[^<]*<code>([^<]+)</code>', saved.text)
    assert secret, "the webhook secret is not shown"

    with listener() as hook, Anxin(served.base_url, key.group(1)) as anxin, \
            httpx.Client(base_url=served.base_url, follow_redirects=True,
                         timeout=60) as person:
        anxin.templates.create({"code": "sdk-hooks", "title": "Credit check",
                                "purpose": "loan_approval", "data_scope": ["credit_report"],
                                "body": EN_BODY, "locale": "en", "validity_days": 30,
                                "max_uses": 1})
        seq = 8660
        until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0)
        auth = anxin.authorizations.create(
            template="sdk-hooks", reference=f"JOURNEY-{seq}",
            callback_url=hook.url(path="/sdk-hook"), valid_until=until,
            subject={"name": "Zhao Liu", "id_type": "resident_id",
                     "id_number": resident_id(seq), "mobile": mobile(seq)})
        assert anxin.authorizations.get(auth.id).valid_until == until
        sign_with_the_form(served, person, {"signing_url": auth.signing_url}, seq)
        deadline = time.monotonic() + 30
        # authorization:viewed (the form opened the link) comes first, then the signing
        while not any(b"authorization:signed" in r["body"] for r in hook.requests):
            assert time.monotonic() < deadline, "no signed delivery reached the listener"
            time.sleep(0.2)
    call = next(r for r in hook.requests if b"authorization:signed" in r["body"])
    headers = {k.lower(): v for k, v in call["headers"].items()}
    assert call["path"] == "/sdk-hook"
    event = verify_webhook(call["body"], headers["anxin-signature"], secret.group(1))
    assert event["event"] == "authorization:signed"
    assert event["authorization_id"] == str(auth.id)

    signature = headers["anxin-signature"]
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(call["body"].replace(b"signed", b"revoked"), signature, secret.group(1))
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(call["body"], signature, "whsec_someone_else")
    stamp = int(re.search(r"t=(\d+)", signature).group(1))  # type: ignore[union-attr]
    with pytest.raises(WebhookSignatureError, match="replay"):
        verify_webhook(call["body"], signature, secret.group(1), now=stamp + 301)
    assert verify_webhook(call["body"], signature, secret.group(1), tolerance=600,
                          now=stamp + 301)["event"] == "authorization:signed"


def test_verify_receipt_accepts_a_real_receipt_and_refuses_an_altered_one(
        served: Served, browser: httpx.Client) -> None:
    auth = _active(served, browser, 8670)
    with Anxin(served.base_url, served.demo_key) as anxin:
        use = anxin.authorizations.use(auth["id"], purpose="loan_approval",
                                       data_item="credit_score", reference="Q-8670",
                                       operator="officer-7")
        jwks = anxin.jwks()
    claims = verify_receipt(use.receipt, jwks)
    assert claims["use_id"] == str(use.use_id)
    assert claims["authorization_id"] == auth["id"]
    assert claims["letter_sha256"] == served.api.get(
        f"/v1/authorizations/{auth['id']}").json()["letter_sha256"]

    header, payload, signature = use.receipt.split(".")
    altered = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises(ReceiptError, match="does not verify"):
        verify_receipt(f"{header}.{altered}.{signature}", jwks)
    with pytest.raises(ReceiptError, match="kid"):
        verify_receipt(use.receipt, {"keys": [{**jwks["keys"][0], "kid": "another"}]})


@contextmanager
def answer_lost_once(base_url: str) -> Iterator[tuple[str, list[bytes]]]:
    """A TCP relay on 127.0.0.1 to ``base_url`` that delivers the first request to the server
    but drops its answer (closes the connection unanswered): a network failure after the
    server acted. Later connections are relayed both ways. Yields its URL and the requests
    it saw."""
    target = urlsplit(base_url)
    seen: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pump(src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    seen.append(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def lose_answer(client: socket.socket, upstream: socket.socket) -> None:
        try:
            upstream.recv(65536)  # the server has answered: the answer is lost on the way
        finally:
            for sock in (client, upstream):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the relay blocked in recv
                sock.close()

    def serve() -> None:
        first = True
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection((target.hostname or "localhost",
                                                 target.port or 80))
            threading.Thread(target=pump, args=(client, upstream, True), daemon=True).start()
            if first:
                first = False
                threading.Thread(target=lose_answer, args=(client, upstream),
                                 daemon=True).start()
                continue
            threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    finally:
        stop.set()
        server.close()
        thread.join(timeout=5)


def test_a_use_whose_answer_is_lost_is_retried_with_its_key_and_spends_one_use(
        served: Served, browser: httpx.Client) -> None:
    auth = _active(served, browser, 8680)  # max_uses 2
    with answer_lost_once(served.base_url) as (url, seen), \
            Anxin(url, served.demo_key, max_retries=1) as anxin:
        use = anxin.authorizations.use(auth["id"], purpose="loan_approval",
                                       data_item="credit_report", reference="Q-8680",
                                       operator="officer-7")
    gate_calls = [r for r in seen if r.startswith(b"POST /v1/authorizations/")]
    assert len(gate_calls) == 2, "the lost answer was not retried"
    keys = {re.search(rb"idempotency-key: (\S+)", r, re.I).group(1)  # type: ignore[union-attr]
            for r in gate_calls}
    assert len(keys) == 1, f"the retry carried another Idempotency-Key: {keys}"
    record = served.api.get(f"/v1/authorizations/{auth['id']}").json()
    assert record["uses"] == 1, "the retry spent a second use"
    assert use.uses_remaining == 1
    assert [u["use_id"] for u in record["uses_log"] if u["granted"]] == [str(use.use_id)]

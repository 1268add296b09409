"""schemathesis ``--checks all`` against the ``/v1`` API of a real ``anxin serve``.

Every operation of ``/openapi.json`` under ``/v1`` is driven by generated requests, valid
and invalid (schemathesis's examples, coverage, fuzzing and stateful phases, a bounded
number of examples each), and every answer is checked against the schema: no 5xx, only
documented statuses, content types, headers and bodies, schema-valid requests accepted
and invalid ones refused, the ``Allow`` of a 405, created resources found, auth enforced.
Zero failures.

The run is schemathesis's own runner (its command line, on a server on 127.0.0.1) with the
hooks of :mod:`tests.integration.conformance.hooks`, which steer schema-valid requests past
the rules a schema cannot state (a real check digit, an existing template, an active
authorization), and ``conformance/schemathesis.toml``, which lists the 422s a schema-valid
request may still meet where such a rule remains.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.common.factories import EN_BODY, resident_id
from tests.common.serve import wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "conformance"
SCOPE = ["credit_report", "credit_score"]
HOOK_BASE = "https://127.0.0.1:9/hooks"  # the discard port: closed, nothing listens
PURPOSE = "post_loan_management"  # no per-purpose ceiling: an authorization of many uses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _anxin(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "anxin", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=True)
    return done.stdout


def _signed(api: httpx.Client, page: httpx.Client, data: Path, seq: int) -> str:
    """A request from the template, signed by its person as the page does it."""
    r = api.post("/v1/authorizations", json={
        "template": "st-credit", "reference": f"ST-{seq}",
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": resident_id(seq), "mobile": f"1390000000{seq}"}})
    assert r.status_code == 201, r.text
    auth = r.json()
    token = auth["signing_url"].rsplit("/", 1)[1]
    assert page.post(f"/s/{token}/otp").status_code == 204
    sms = (data / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    code = re.search(r"\b(\d{6})\b", json.loads(sms[-1])["text"])
    assert code is not None
    r = page.post(f"/s/{token}/sign", json={"otp": code.group(1), "read_confirmed": True})
    assert r.status_code == 200, r.text
    return str(auth["id"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A served data directory (SQLite), an institution, its template, and two signed
    authorizations (one for the gate's 10,000 uses, one for its documents): what the
    hooks steer requests to."""
    data = tmp_path_factory.mktemp("conformance") / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
           "ANXIN_DATA_DIR": str(data), "ANXIN_BASE_URL": base,
           # Webhook URLs the hooks draw: a closed port here, which the guard may call.
           "ANXIN_OUTBOUND_ALLOW": "127.0.0.1"}
    _anxin("init", env=env)
    key = json.loads(_anxin("institution", "add", "Conformance Bank", "--json",
                            env=env))["api_key"]
    log = data.parent / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "anxin", "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(base, proc, timeout=90, explain=log.read_text)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as api, httpx.Client(base_url=base, timeout=30) as page:
            r = api.post("/v1/templates", json={
                "code": "st-credit", "title": "Credit check", "purpose": PURPOSE,
                "data_scope": SCOPE, "body": EN_BODY, "locale": "en", "validity_days": 365,
                "max_uses": 10000})
            assert r.status_code == 201, r.text
            active, signed = (_signed(api, page, data, seq) for seq in (1, 2))
            r = api.post("/v1/webhook-endpoints", json={"url": f"{HOOK_BASE}/fixture",
                                                        "events": ["*"]})
            assert r.status_code == 201, r.text
            endpoint = r.json()["id"]
            r = api.post(f"/v1/webhook-endpoints/{endpoint}/ping")
            assert r.status_code == 202, r.text
            delivery = r.json()["id"]
        yield {"base": base, "key": key, "auth_id": active, "signed_id": signed,
               "template": "st-credit", "endpoint": endpoint, "delivery": delivery,
               "log": str(log)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_v1_conforms_to_its_openapi_schema(served: dict[str, str]) -> None:
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is in the test extra (pyproject.toml)"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANXIN_ST_TEMPLATE": served["template"],
           "ANXIN_ST_ACTIVE": served["auth_id"], "ANXIN_ST_SIGNED": served["signed_id"],
           "ANXIN_ST_PURPOSE": PURPOSE, "ANXIN_ST_ENDPOINT": served["endpoint"],
           "ANXIN_ST_DELIVERY": served["delivery"], "ANXIN_ST_HOOK_BASE": HOOK_BASE,
           "ANXIN_ST_SCOPE": ",".join(SCOPE), "SCHEMATHESIS_HOOKS":
           "tests.integration.conformance.hooks", "NO_COLOR": "1"}
    done = subprocess.run([
        st, "--config-file", str(HERE / "schemathesis.toml"), "run",
        f"{served['base']}/openapi.json", "--url", served["base"],
        "-H", f"Authorization: Bearer {served['key']}",
        "--checks", "all", "--include-path-regex", "^/v1/",
        # One worker: with two, schemathesis's threads hit CPython 3.11's "AST constructor
        # recursion depth mismatch" (compile() in parallel threads) now and then.
        "--max-examples", "6", "--workers", "1", "--seed", "16", "--no-shrink",
        "--generation-database", "none", "--no-color",
        # The evidence package and report are built on each request: seconds each when
        # eight test suites share two cores. Slowness is not what this run measures.
        "--request-timeout", "90", "--max-response-time", "90"],
        env=env, cwd=Path(served["log"]).parent,  # its .schemathesis/ cache goes there
        capture_output=True, text=True, timeout=600)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-20000:]
    # The run reached the core: the gate granted uses on the steered authorization.
    r = httpx.get(f"{served['base']}/v1/authorizations/{served['auth_id']}",
                  headers={"Authorization": f"Bearer {served['key']}"})
    assert r.json()["uses"] > 0, report[-5000:]
    tested = re.search(r"Tested: (\d+)", report)
    assert tested is not None, report[-3000:]
    assert int(tested.group(1)) >= 21, report[-3000:]  # every /v1 operation

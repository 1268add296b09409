"""Evidence that survives time and doubt: the ledger proves a package complete.

- Each authorization's leaves form a hash chain (seq, prev): leaving any entry but the
  last out of a package fails `ledger_completeness`, even with the manifest re-sealed by
  the platform's own seal key; so does a record whose status its last state entry
  contradicts. The chain holds under concurrent gate calls, on SQLite and PostgreSQL.
- The tail: a package whose last entry (the revocation) was dropped, its record edited
  to `active` and re-sealed passes offline but fails `anxin verify --ledger URL|DIR`,
  against a real HTTP server on 127.0.0.1 or the data directory.
- Leaves and receipts commit to low-entropy values with a key: brute-forcing a 6-digit
  reference with SHA-256 finds nothing in a real leaf; the package's key opens it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn
from cryptography import x509
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.domain.gate import UseRefused
from anxin.evidence.answers import summary_lines
from anxin.evidence.ledger_check import add_log_checks, check_against_log
from anxin.evidence.offline import verify_bytes
from anxin.evidence.report import Report
from anxin.ledger.chain import commit, verify_chain
from anxin.pki.tsa import make_timestamper
from anxin.services.evidence_package import _with_manifest, _zip
from anxin.services.institutions import InstitutionRef, add_institution
from anxin.services.ledger import StorageLog
from anxin.services.revocation import revoke_authorization
from anxin.services.setup import initialise
from anxin.services.uses import UseCall, consume_use, consume_use_with_key
from anxin.web.app import create_app
from tests.common.factories import Api, sign

SIX_DIGITS = "482913"
OPERATOR = "officer-7"


def unzip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One platform (SQLite) served live on 127.0.0.1; a revoked and an active
    authorization with their packages."""
    d = tmp_path_factory.mktemp("completeness") / "data"
    initialise(load_settings(data_dir=d))
    settings = load_settings(data_dir=d)
    ctx = build_services(settings, background_workers=False)
    port = free_port()
    # The same public base URL (hence the same ledger origin and key name) on another
    # port: the deployment, served.
    live_settings = load_settings(data_dir=d, port=port,
                                  base_url=settings.effective_base_url)
    live_ctx = build_services(live_settings, background_workers=False)
    server = uvicorn.Server(uvicorn.Config(create_app(live_settings, live_ctx),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.05)
    try:
        with TestClient(create_app(settings, ctx)) as client:
            inst = add_institution(ctx, "Completeness Bank")
            api = Api(client, inst.api_key, inst.id)
            api.template(max_uses=3)
            revoked = api.request(seq=1)
            sign(client, settings.outbox_path, revoked)
            assert api.use(revoked["id"], reference=SIX_DIGITS,
                           operator=OPERATOR).status_code == 201
            assert api.use(revoked["id"], purpose="account_opening").status_code == 403
            revoke_authorization(ctx, revoked["id"], subject_index=None, channel="test")
            r = api.get(f"/v1/authorizations/{revoked['id']}/evidence.zip")
            assert r.status_code == 200, r.text
            revoked_pkg = r.content
            active = api.request(seq=2)
            sign(client, settings.outbox_path, active)
            assert api.use(active["id"]).status_code == 201
            r = api.get(f"/v1/authorizations/{active['id']}/evidence.zip")
            assert r.status_code == 200, r.text
            yield {"settings": settings, "ctx": ctx, "api": api,
                   "url": f"http://127.0.0.1:{port}",
                   "revoked": (revoked, revoked_pkg), "active": (active, r.content),
                   "root": x509.load_pem_x509_certificate(
                       (settings.keys_dir / "root.crt").read_bytes())}
    finally:
        server.should_exit = True
        thread.join(10)
        live_ctx.close()
        ctx.close()


def verify(world, data):
    return verify_bytes(data, "p.zip", [world["root"]], "test root")


def check(report, check_id):
    found = [c for c in report.checks if c.id == check_id]
    assert len(found) == 1, summary_lines(report)
    return found[0]


def entries_of(files):
    return json.loads(files["ledger/entries.json"])


def event(entry):
    return json.loads(base64.b64decode(entry["data"]))["event"]


def drop(files, name):
    e = entries_of(files)
    kept = [x for x in e["entries"] if event(x) != name]
    assert len(kept) == len(e["entries"]) - 1, [event(x) for x in e["entries"]]
    e["entries"] = kept
    files["ledger/entries.json"] = json.dumps(e).encode()


def reseal(world, files):
    """What an operator holding the seal key could do: a fresh, valid manifest."""
    ctx = world["ctx"]
    files = {n: b for n, b in files.items() if n not in ("manifest.json", "manifest.p7s")}
    return _zip(_with_manifest(ctx, files, make_timestamper(ctx.settings, ctx.tsa)))


def drop_revocation_and_say_active(world):
    files = unzip(world["revoked"][1])
    drop(files, "authorization:revoked")
    record = json.loads(files["authorization.json"])
    record["status"] = "active"
    files["authorization.json"] = json.dumps(record).encode()
    return reseal(world, files)


# --- the chain ----------------------------------------------------------------------


def test_whole_packages_pass_the_chain_and_the_commitments(world):
    for key in ("revoked", "active"):
        report = verify(world, world[key][1])
        assert report.indication == "TOTAL_PASSED", summary_lines(report)
        assert check(report, "ledger_completeness").result == "PASSED"
        assert check(report, "ledger_commitments").result == "PASSED"
    assert "authorization:revoked" in check(verify(world, world["revoked"][1]),
                                            "ledger_completeness").detail


@pytest.mark.parametrize("dropped", ["authorization:requested", "authorization:otp:sent",
                                     "authorization:signed", "authorization:use:granted",
                                     "authorization:use:refused"])
def test_dropping_an_entry_but_the_last_fails_even_resealed(world, dropped):
    files = unzip(world["revoked"][1])
    drop(files, dropped)
    report = verify(world, reseal(world, files))
    assert check(report, "manifest_signature").result == "PASSED"  # the seal is fine
    assert report.indication == "TOTAL_FAILED"
    assert "ledger_completeness" in report.failed_checks, summary_lines(report)
    assert "seq" in check(report, "ledger_completeness").detail


def test_only_the_chain_catches_a_resealed_omission(world):
    # Every other check passes a re-sealed package that left out the code-sent entry:
    # without the chain, the omission would go unnoticed.
    files = unzip(world["revoked"][1])
    drop(files, "authorization:otp:sent")
    report = verify(world, reseal(world, files))
    assert report.failed_checks == ["ledger_completeness"], summary_lines(report)


def test_a_revoked_record_without_its_revoked_entry_fails(world):
    files = unzip(world["revoked"][1])
    drop(files, "authorization:revoked")
    report = verify(world, reseal(world, files))
    assert report.indication == "TOTAL_FAILED"
    assert "ledger_completeness" in report.failed_checks
    assert "revoked" in check(report, "ledger_completeness").detail


def test_an_active_record_with_a_revoked_entry_fails(world):
    files = unzip(world["revoked"][1])
    record = json.loads(files["authorization.json"])
    record["status"] = "active"
    files["authorization.json"] = json.dumps(record).encode()
    report = verify(world, reseal(world, files))
    assert "ledger_completeness" in report.failed_checks, summary_lines(report)


def test_the_chain_holds_under_concurrent_gate_calls(api, client, outbox, ctx):
    """50 concurrent calls on one authorization, through both grant paths (PostgreSQL:
    the one-statement gate and the transaction path) and refusals: one unbroken chain."""
    api.template(max_uses=3)
    auth = api.request(seq=77)
    sign(client, outbox, auth)
    inst = InstitutionRef(api.institution_id, "Example Bank")

    def one(i):
        call = UseCall("loan_approval", "credit_report", f"{i:06d}", "load-test")
        try:
            if i % 2:
                consume_use_with_key(ctx, api.api_key, auth["id"], call)
            else:
                consume_use(ctx, inst, auth["id"], call)
        except UseRefused as exc:
            return exc.code
        return "granted"

    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(one, range(50)))
    assert outcomes.count("granted") == 3
    ctx.ledger.integrate_all()
    entries = [(e.index, e.data) for e in ctx.ledger.entries_for_authorization(auth["id"])]
    found = verify_chain(entries)
    assert found.problems == []
    assert found.unchained == 0
    assert len(found.chained) == len(entries)
    events = [e["event"] for e in found.chained]
    assert events.count("authorization:use:granted") == 3
    assert events.count("authorization:use:refused") == 47
    assert events.count("authorization:exhausted") == 1
    # The exhausted leaf follows its grant at once, in the chain as in the queue.
    at = events.index("authorization:exhausted")
    assert events[at - 1] == "authorization:use:granted"
    # The chain order is the log order: each leaf was queued under the row lock.
    by_index = [json.loads(d)["seq"] for _i, d in sorted(entries)]
    assert by_index == sorted(by_index)


# --- the tail, against the log ------------------------------------------------------


def test_the_dropped_tail_passes_the_chain_but_fails_against_the_live_log(world):
    data = drop_revocation_and_say_active(world)
    offline = verify(world, data)
    assert check(offline, "ledger_completeness").result == "PASSED"
    assert check(offline, "manifest_signature").result == "PASSED"
    assert "ledger_log_tail" not in {c.id for c in offline.checks}  # offline: no log
    online = verify(world, data)
    add_log_checks(online, data, world["url"])
    assert check(online, "ledger_log_consistency").result == "PASSED", summary_lines(online)
    tail = check(online, "ledger_log_tail")
    assert tail.result == "FAILED"
    assert "authorization:revoked" in tail.detail
    assert "leaves out" in tail.detail
    assert online.indication == "TOTAL_FAILED"


def test_a_genuine_package_passes_against_the_live_log(world):
    for key in ("revoked", "active"):
        report = verify(world, world[key][1])
        add_log_checks(report, world[key][1], world["url"])
        assert report.indication == "TOTAL_PASSED", summary_lines(report)
        assert "is the authorization's last" in check(report, "ledger_log_tail").detail


def test_the_data_directory_mode_agrees(world):
    data = drop_revocation_and_say_active(world)
    report = verify(world, data)
    add_log_checks(report, data, str(world["settings"].data_dir), open_directory=StorageLog)
    assert check(report, "ledger_log_tail").result == "FAILED"
    report = verify(world, world["revoked"][1])
    add_log_checks(report, world["revoked"][1], str(world["settings"].data_dir),
                   open_directory=StorageLog)
    assert report.indication == "TOTAL_PASSED", summary_lines(report)


def test_the_cli_verify_with_ledger(world, tmp_path):
    genuine, forged = tmp_path / "genuine.zip", tmp_path / "forged.zip"
    genuine.write_bytes(world["revoked"][1])
    forged.write_bytes(drop_revocation_and_say_active(world))
    root = world["settings"].keys_dir / "root.crt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env["ANXIN_DATA_DIR"] = str(tmp_path / "nothing-here")
    codes = {}
    for pkg in (genuine, forged):
        r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(pkg), "--trust",
                            str(root), "--json", "--ledger", world["url"]],
                           capture_output=True, text=True, env=env, cwd=tmp_path,
                           check=False, timeout=120)
        codes[pkg.name] = (r.returncode, json.loads(r.stdout)["failed_checks"])
    assert codes == {"genuine.zip": (0, []), "forged.zip": (1, ["ledger_log_tail"])}


class _Lying:
    """A log that hides an entry from its entries pages, or shows another key."""

    def __init__(self, inner, *, hide=None, key=None):
        self.inner, self.hide, self.key = inner, hide, key
        self.label = "lying log"

    def checkpoint(self):
        return self.inner.checkpoint()

    def verifier_key(self):
        return self.key or self.inner.verifier_key()

    def entries(self, start, end):
        got = self.inner.entries(start, end)
        return [(i, d) for i, d in got if not self.hide or self.hide not in d]

    def consistency(self, first, second):
        return self.inner.consistency(first, second)

    def inclusion(self, index, size):
        return self.inner.inclusion(index, size)

    def close(self):
        self.inner.close()


def _log_report(world, data, log):
    from anxin.evidence.ziputil import read_zip
    report = Report(subject="p.zip", trust_anchor="t")
    report.authorization_id = json.loads(read_zip(data)["authorization.json"])["id"]
    check_against_log(report, read_zip(data), report.authorization_id, log)
    return report


def test_a_log_that_hides_the_tail_from_its_pages_is_caught(world):
    data = drop_revocation_and_say_active(world)
    # Hide every later entry of this authorization: then the pages no longer make the
    # log's signed root.
    log = _Lying(StorageLog(world["settings"].data_dir),
                 hide=world["revoked"][0]["id"].encode())
    report = _log_report(world, data, log)
    tail = check(report, "ledger_log_tail")
    assert tail.result == "FAILED"
    assert "signed root" in tail.detail or "did not answer" in tail.detail


def test_a_log_with_another_key_is_not_this_packages_log(world):
    log = _Lying(StorageLog(world["settings"].data_dir),
                 key="other/anxin+00000000+AQ" + "A" * 42 + "=")
    report = _log_report(world, world["revoked"][1], log)
    assert check(report, "ledger_log_consistency").result == "FAILED"
    assert "not the package's" in check(report, "ledger_log_consistency").detail


def test_newer_entries_make_the_package_not_current(world):
    auth, data = world["active"]
    assert world["api"].use(auth["id"], reference="later").status_code == 201
    world["ctx"].ledger.checkpoint(force=True)
    report = verify(world, data)
    add_log_checks(report, data, str(world["settings"].data_dir), open_directory=StorageLog)
    tail = check(report, "ledger_log_tail")
    assert tail.result == "INDETERMINATE", summary_lines(report)
    assert "authorization:use:granted" in tail.detail
    assert "newer" in tail.detail
    assert report.indication == "INDETERMINATE"


def test_an_unreachable_log_is_indeterminate_never_a_pass(world):
    report = verify(world, world["revoked"][1])
    add_log_checks(report, world["revoked"][1], f"http://127.0.0.1:{free_port()}")
    assert check(report, "ledger_log_consistency").result == "INDETERMINATE"
    assert report.indication == "INDETERMINATE"


# --- keyed commitments --------------------------------------------------------------


def _grant_leaf_and_receipt(world):
    _auth, data = world["revoked"]
    files = unzip(data)
    leaves = [json.loads(base64.b64decode(e["data"])) for e in entries_of(files)["entries"]]
    grant = next(x for x in leaves if x["event"] == "authorization:use:granted")
    use = next(u for u in json.loads(files["authorization.json"])["uses_log"]
               if u["granted"])
    part = use["receipt"].split(".")[1]
    receipt = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return files, grant, receipt


def test_brute_forcing_a_six_digit_reference_finds_nothing_in_a_real_leaf(world):
    _files, grant, receipt = _grant_leaf_and_receipt(world)
    # The leaf as the public log serves it.
    ctx = world["ctx"]
    served = [json.loads(e.data) for e in ctx.ledger.entries_for_authorization(
        world["revoked"][0]["id"])]
    assert grant in served
    values = {v for obj in (grant, receipt) for v in obj.values() if isinstance(v, str)}
    control = values | {hashlib.sha256(SIX_DIGITS.encode()).hexdigest()}
    found, found_in_control = [], []
    for i in range(1_000_000):  # every 6-digit reference, as an attacker would
        h = hashlib.sha256(f"{i:06d}".encode()).hexdigest()
        if h in values:
            found.append(i)
        if h in control:
            found_in_control.append(i)
    assert found == []
    assert found_in_control == [int(SIX_DIGITS)]  # the attack works on a plain hash
    assert not any(k.endswith("_sha256") and k.startswith(("reference", "operator"))
                   for obj in (grant, receipt) for k in obj)
    assert hashlib.sha256(OPERATOR.encode()).hexdigest() not in values


def test_the_packages_key_opens_the_commitments(world):
    files, grant, receipt = _grant_leaf_and_receipt(world)
    key = bytes.fromhex(json.loads(files["ledger/commitment-key.json"])["key"])
    assert grant["reference_commitment"] == commit(key, "reference", SIX_DIGITS)
    assert grant["operator_commitment"] == commit(key, "operator", OPERATOR)
    assert receipt["reference_commitment"] == commit(key, "reference", SIX_DIGITS)
    assert receipt["operator_commitment"] == commit(key, "operator", OPERATOR)
    other = unzip(world["active"][1])
    assert json.loads(other["ledger/commitment-key.json"])["key"] != key.hex()


def test_a_record_whose_use_values_were_changed_fails_the_commitments(world):
    files = unzip(world["revoked"][1])
    record = json.loads(files["authorization.json"])
    for u in record["uses_log"]:
        if u["granted"]:
            u["reference"] = "482914"
    files["authorization.json"] = json.dumps(record).encode()
    report = verify(world, reseal(world, files))
    assert "ledger_commitments" in report.failed_checks, summary_lines(report)
    assert "reference commitment does not open" in check(report, "ledger_commitments").detail


def test_a_package_without_its_commitment_key_fails(world):
    files = unzip(world["revoked"][1])
    del files["ledger/commitment-key.json"]
    report = verify(world, reseal(world, files))
    assert "ledger_commitments" in report.failed_checks

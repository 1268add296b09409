"""The evidence package and `anxin verify`: passes whole, fails on every tampering and
names the check, stays INDETERMINATE without a trust anchor, refuses malformed input."""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.errors import AnxinError
from anxin.evidence.answers import summary_lines
from anxin.evidence.offline import verify_bytes
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.soft_authenticator import SoftAuthenticator


def unzip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    return buf.getvalue()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One platform (SQLite), two signed and used authorizations, their packages."""
    d = tmp_path_factory.mktemp("evidence") / "data"
    initialise(load_settings(data_dir=d))
    settings = load_settings(data_dir=d)
    ctx = build_services(settings, background_workers=False)
    with TestClient(create_app(settings, ctx)) as client:
        inst = add_institution(ctx, "Evidence Bank")
        api = Api(client, inst.api_key, inst.id)
        api.template(max_uses=2)
        packages = []
        for seq in (1, 2):
            auth = api.request(seq=seq)
            sign(client, settings.outbox_path, auth)
            assert api.use(auth["id"]).status_code == 201
            assert api.use(auth["id"], purpose="account_opening").status_code == 403
            r = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
            assert r.status_code == 200, r.text
            packages.append((auth, r.content))
        # A third one signed with a passkey (software authenticator).
        from tests.common.factories import token_of
        from tests.integration.test_passkeys import assertion, code_for, register
        from tests.integration.test_passkeys import sign as sign_with
        authn = SoftAuthenticator(settings.effective_base_url, "localhost")
        auth = api.request(seq=3)
        tok = token_of(auth)
        code = code_for(client, settings.outbox_path, tok)
        register(client, authn, tok, code)
        assert sign_with(client, tok, code, assertion(client, authn, tok, code)).status_code == 200
        r = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
        assert r.status_code == 200, r.text
        packages.append((auth, r.content))
        report = api.get(f"/v1/authorizations/{packages[0][0]['id']}/report.pdf")
        yield {"settings": settings, "packages": packages, "report_pdf": report.content,
               "root": x509.load_pem_x509_certificate(
                   (settings.keys_dir / "root.crt").read_bytes()), "ctx": ctx}
    ctx.close()


def verify(world, data):
    return verify_bytes(data, "p.zip", [world["root"]], "test root")


def test_whole_package_passes_with_every_check(world):
    auth, data = world["packages"][0]
    report = verify(world, data)
    assert report.indication == "TOTAL_PASSED", summary_lines(report)
    ids = {c.id for c in report.checks}
    assert {"manifest_files", "manifest_signature", "document_integrity",
            "signer_certificate_chain", "event_certificate", "signature_timestamp",
            "timestamp_token", "checkpoint_signature", "ledger_inclusion",
            "sms_evidence"} <= ids
    assert report.authorization_id == auth["id"]
    files = unzip(data)
    events = [json.loads(__import__("base64").b64decode(e["data"]))["event"]
              for e in json.loads(files["ledger/entries.json"])["entries"]]
    assert "authorization:use:refused" in events
    assert json.loads(files["report.json"])["indication"] == "TOTAL_PASSED"


def test_passkey_package_passes_and_a_forged_passkey_signature_fails(world):
    _auth, data = world["packages"][2]
    report = verify(world, data)
    assert report.indication == "TOTAL_PASSED", summary_lines(report)
    assert {"passkey_assertion", "letter_passkey"} <= {c.id for c in report.checks}
    # The letter alone carries the assertion, inside its signed revision.
    letter_report = verify_bytes(unzip(data)["letter.pdf"], "letter.pdf", [world["root"]], "r")
    assert letter_report.indication == "TOTAL_PASSED"
    assert "letter_passkey" in {c.id for c in letter_report.checks}
    files = unzip(data)
    ev = json.loads(files["identity/passkey.json"])
    sig = bytearray(__import__("base64").urlsafe_b64decode(ev["signature"] + "=="))
    sig[-1] ^= 1
    ev["signature"] = __import__("base64").urlsafe_b64encode(bytes(sig)).decode().rstrip("=")
    files["identity/passkey.json"] = json.dumps(ev).encode()
    report = verify(world, rezip(files))
    assert report.indication == "TOTAL_FAILED"
    assert "passkey_assertion" in report.failed_checks


def test_offline_in_a_fresh_process_without_the_data_directory(world, tmp_path):
    _auth, data = world["packages"][0]
    pkg = tmp_path / "evidence.zip"
    pkg.write_bytes(data)
    root = tmp_path / "root.crt"
    shutil.copy(world["settings"].keys_dir / "root.crt", root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env["ANXIN_DATA_DIR"] = str(tmp_path / "nothing-here")
    r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(pkg), "--trust",
                        str(root), "--json", "--report", str(tmp_path / "r.pdf")],
                       capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["indication"] == "TOTAL_PASSED"
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    assert not (tmp_path / "nothing-here").exists()


def _tamper_letter(files, world):
    pdf = bytearray(files["letter.pdf"])
    at = pdf.index(b"stream", len(pdf) // 4) + 40
    pdf[at] ^= 1
    files["letter.pdf"] = bytes(pdf)


def _swap_event_cert(files, world):
    other = unzip(world["packages"][1][1])
    files["certificates/event.crt"] = other["certificates/event.crt"]


def _change_leaf(files, world):
    import base64
    entries = json.loads(files["ledger/entries.json"])
    leaf = json.loads(base64.b64decode(entries["entries"][-1]["data"]))
    leaf["code"] = "nothing_happened"
    entries["entries"][-1]["data"] = base64.b64encode(
        json.dumps(leaf, separators=(",", ":"), sort_keys=True).encode()).decode()
    files["ledger/entries.json"] = json.dumps(entries).encode()


def _other_checkpoint(files, world):
    other = unzip(world["packages"][1][1])
    files["ledger/checkpoint.txt"] = other["ledger/checkpoint.txt"]
    files["ledger/checkpoint.tst"] = other["ledger/checkpoint.tst"]


def _remove_file(files, world):
    del files["identity/sms.json"]


def _edit_manifest(files, world):
    m = json.loads(files["manifest.json"])
    m["files"]["letter.pdf"] = "0" * 64
    files["manifest.json"] = json.dumps(m).encode()


def _timestamp_over_other_data(files, world):
    files["timestamps/signature.tst"] = files["ledger/checkpoint.tst"]


@pytest.mark.parametrize(("tamper", "check"), [
    (_tamper_letter, "document_integrity"),
    (_swap_event_cert, "event_certificate"),
    (_change_leaf, "ledger_inclusion"),
    (_other_checkpoint, "ledger_inclusion"),
    (_remove_file, "manifest_files"),
    (_edit_manifest, "manifest_signature"),
    (_timestamp_over_other_data, "timestamp_token"),
])
def test_each_tampering_fails_and_names_the_check(world, tamper, check):
    files = unzip(world["packages"][0][1])
    tamper(files, world)
    report = verify(world, rezip(files))
    assert report.indication == "TOTAL_FAILED"
    assert check in report.failed_checks, summary_lines(report)


def test_missing_trust_anchor_is_indeterminate_never_a_pass(world, tmp_path):
    _auth, data = world["packages"][0]
    report = verify_bytes(data, "p.zip", [], "none")
    assert report.indication == "INDETERMINATE"
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    pkg = tmp_path / "p.zip"
    pkg.write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(pkg)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert r.returncode == 2, r.stdout + r.stderr


def test_another_root_is_indeterminate(world, tmp_path):
    other = tmp_path / "other"
    initialise(load_settings(data_dir=other))
    root = x509.load_pem_x509_certificate((other / "keys" / "root.crt").read_bytes())
    report = verify_bytes(world["packages"][0][1], "p.zip", [root], "another root")
    assert report.indication == "INDETERMINATE"
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"


def _bomb():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("letter.pdf", b"\0" * (40 * 1024 * 1024))
    return buf.getvalue()


def _traversal():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../etc/evil", b"x")
    return buf.getvalue()


@pytest.mark.parametrize("data", [b"hello, not a package", b"PK\x03\x04garbage", _bomb(),
                                  _traversal(), b"%PDF-1.7\n%%EOF\n"],
                         ids=["text", "broken-zip", "zip-bomb", "traversal", "unsigned-pdf"])
def test_malformed_input_is_exit_3_never_a_traceback(world, tmp_path, data):
    with pytest.raises(AnxinError) as exc:
        verify(world, data)
    assert exc.value.code == "unreadable_input"
    f = tmp_path / "input.bin"
    f.write_bytes(data)
    r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(f), "--trust",
                        str(world["settings"].keys_dir / "root.crt")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_report_pdf_is_readable_sealed_and_names_the_result(world, tmp_path):
    from tests.common.letters import nss_db_trusting, pdfsig, pdftotext
    pdf = world["report_pdf"]
    text = pdftotext(pdf, tmp_path)
    assert world["packages"][0][0]["id"] in text.replace("\n", "")
    assert "TOTAL_PASSED" in text
    assert "验证通过" in text
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    nss = nss_db_trusting(world["settings"].keys_dir / "root.crt", tmp_path / "nss")
    assert "Signature is Valid." in pdfsig(path, nss)


def test_evidence_of_another_institution_is_404(api, other_api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    assert other_api.get(f"/v1/authorizations/{auth['id']}/evidence.zip").status_code == 404
    r = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
    assert r.status_code == 200
    files = unzip(r.content)
    assert "letter.pdf" in files
    unsigned = api.request(seq=3)
    r = api.get(f"/v1/authorizations/{unsigned['id']}/evidence.zip")
    assert (r.status_code, r.json()["code"]) == (404, "document_not_found")




def test_public_verify_page(world, api, client, outbox):
    # The world's package is from another platform's root: INDETERMINATE here.
    r = client.post("/verify", files={"file": ("p.zip", world["packages"][0][1])},
                    headers={"Accept": "application/json"})
    assert (r.status_code, r.json()["indication"]) == (200, "INDETERMINATE")
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    pdf = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content
    r = client.post("/verify", files={"file": ("letter.pdf", pdf)})
    assert r.status_code == 200
    assert 'data-indication="TOTAL_PASSED"' in r.text
    assert client.get("/verify").status_code == 200
    r = client.post("/verify", files={"file": ("x.txt", b"not a document")},
                    headers={"Accept": "application/json"})
    assert (r.status_code, r.json()["code"]) == (422, "unreadable_input")
    r = client.post("/verify", files={"file": ("big.zip", b"PK\x03\x04" + b"0" * (21 << 20))})
    assert r.status_code == 413


def _without_memories(monkeypatch):
    """The verification without its per-verification memories: asn1crypto and pyHanko as
    shipped (no prepared names, hashable names, issuer-serial or distribution-point
    matches remembered) and the letter's DSS read again by each reader, pyHanko's AdES
    validation included."""
    import contextlib

    from anxin.evidence import package_verify
    from anxin.letters import validation
    from anxin.letters import verify as letter_verify
    from anxin.letters.letter_data import OpenedLetter
    monkeypatch.setattr(package_verify, "names_prepared_once", contextlib.nullcontext)
    monkeypatch.setattr(letter_verify, "names_prepared_once", contextlib.nullcontext)
    monkeypatch.setattr(validation, "dss_shared_with_pyhanko",
                        lambda opened, memory: contextlib.nullcontext())
    remembered = OpenedLetter.dss_at

    def read_every_time(self, revision=None):
        self._dss_reads.pop(revision, None)
        return remembered(self, revision)
    monkeypatch.setattr(OpenedLetter, "dss_at", read_every_time)


def _full_report(data, roots, name="p.zip"):
    out = verify_bytes(data, name, roots, "test root").as_dict()
    del out["verified_at"], out["validation_time"]
    return out


@pytest.mark.parametrize("tamper", [
    None, _tamper_letter, _swap_event_cert, _change_leaf, _other_checkpoint, _remove_file,
    _edit_manifest, _timestamp_over_other_data])
@pytest.mark.parametrize("trusted", [True, False])
def test_the_memories_change_nothing_in_the_full_report(world, monkeypatch, tamper, trusted):
    """Every check, detail and inventory entry is what the verification without its
    memories reports, on a fresh package and on each tampered one."""
    files = unzip(world["packages"][0][1])
    if tamper is not None:
        tamper(files, world)
    data = rezip(files) if tamper is not None else world["packages"][0][1]
    roots = [world["root"]] if trusted else []
    remembered = [_full_report(data, roots), _full_report(files["letter.pdf"], roots, "l.pdf")]
    with monkeypatch.context() as m:
        _without_memories(m)
        shipped = [_full_report(data, roots), _full_report(files["letter.pdf"], roots, "l.pdf")]
    assert remembered == shipped

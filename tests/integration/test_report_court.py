"""The court-grade report: trust from outside the package (two installations), the two
answers (a revoked consent is validly given *and* revoked), the ETSI TS 119 102-2 XML
validated against the ETSI schema, the file counts, readable labels."""

import copy
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from lxml import etree

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.evidence.offline import verify_bytes
from anxin.services.institutions import add_institution
from anxin.services.revocation import revoke_authorization
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.letters import pdftotext

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "etsi"
SCHEMA_URLS = {
    "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd":
        "xmldsig-core-schema.xsd",
    "http://uri.etsi.org/01903/v1.3.2/XAdES.xsd": "XAdES.xsd",
    "http://uri.etsi.org/19612/v2.2.1/ts_119612v020201_201601xsd.xsd":
        "ts_119612v020101_xsd.xsd",
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
}
VR = "{http://uri.etsi.org/19102/v1.4.1#}"


class _LocalSchemas(etree.Resolver):
    def resolve(self, url, pubid, context):
        return self.resolve_filename(str(SCHEMAS / SCHEMA_URLS.get(url, Path(url).name)),
                                     context)


@pytest.fixture(scope="module")
def schema():
    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "TS119102-2-v141.xsd"), parser))


def unzip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def fp(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """Installation B signs, is used once, packaged; then revoked and packaged again.
    Installation A is only initialised: its root is another root for the same name."""
    base = tmp_path_factory.mktemp("court")
    a_dir, b_dir = base / "a", base / "b"
    initialise(load_settings(data_dir=a_dir))
    initialise(load_settings(data_dir=b_dir))
    settings = load_settings(data_dir=b_dir)
    ctx = build_services(settings, background_workers=False)
    with TestClient(create_app(settings, ctx)) as client:
        inst = add_institution(ctx, "Court Bank")
        api = Api(client, inst.api_key, inst.id)
        api.template(max_uses=2)
        auth = api.request(seq=1)
        sign(client, settings.outbox_path, auth)
        assert api.use(auth["id"]).status_code == 201
        active = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip").content
        once = api.request(seq=2, max_uses=1)
        sign(client, settings.outbox_path, once)
        assert api.use(once["id"]).status_code == 201
        exhausted = api.get(f"/v1/authorizations/{once['id']}/evidence.zip").content
        revoke_authorization(ctx, auth["id"], subject_index=None, channel="portal")
        revoked = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
        assert revoked.status_code == 200, revoked.text
        yield {"a_root": a_dir / "keys" / "root.crt", "b_root": b_dir / "keys" / "root.crt",
               "active": active, "revoked": revoked.content, "exhausted": exhausted,
               "auth": auth, "base": base, "client": client}
    ctx.close()


def cli(tmp_path, data, *args):
    """``anxin verify`` in a fresh process, in an empty directory, with no data directory."""
    pkg = tmp_path / "evidence.zip"
    pkg.write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env["ANXIN_DATA_DIR"] = str(tmp_path / "empty-data-dir")
    r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(pkg), *args],
                       capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_a_package_from_another_installation_never_passes(two, tmp_path):
    a_root = x509.load_pem_x509_certificate(two["a_root"].read_bytes())
    b_root = x509.load_pem_x509_certificate(two["b_root"].read_bytes())
    assert a_root.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME) == \
        b_root.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    assert verify_bytes(two["active"], "b.zip", [a_root], "root A").indication != "TOTAL_PASSED"
    r = cli(tmp_path, two["active"], "--trust", str(two["a_root"]), "--json")
    assert r.returncode != 0
    assert json.loads(r.stdout)["indication"] != "TOTAL_PASSED"
    r = cli(tmp_path, two["active"], "--trust-fingerprint", fp(two["a_root"]), "--json")
    assert r.returncode == 2, r.stdout
    report = json.loads(r.stdout)
    assert report["indication"] == "INDETERMINATE"
    assert report["trust_anchor"]["unmatched_fingerprints"] == [fp(two["a_root"])]
    # With B's own root, from outside (a file) or pinned by its fingerprint: a pass.
    r = cli(tmp_path, two["active"], "--trust", str(two["b_root"]), "--json")
    assert r.returncode == 0, r.stdout
    assert json.loads(r.stdout)["trust_anchor"]["sha256"] == fp(two["b_root"])
    colon = ":".join(fp(two["b_root"])[i:i + 2] for i in range(0, 64, 2)).upper()
    r = cli(tmp_path, two["active"], "--trust-fingerprint", colon, "--json")
    assert r.returncode == 0, r.stdout
    anchor = json.loads(r.stdout)["trust_anchor"]
    assert anchor["sha256"] == fp(two["b_root"])
    assert "--trust-fingerprint" in anchor["source"]
    # Repeated options: A and B both trusted, the package chains to B.
    r = cli(tmp_path, two["active"], "--trust", str(two["a_root"]),
            "--trust-fingerprint", fp(two["b_root"]), "--json")
    assert r.returncode == 0, r.stdout
    assert len(json.loads(r.stdout)["trust_anchor"]["roots"]) == 2


def test_without_trust_outside_a_data_directory_names_the_root_needed(two, tmp_path):
    r = cli(tmp_path, two["active"], "--json")
    assert r.returncode == 2, r.stdout
    report = json.loads(r.stdout)
    assert report["indication"] == "INDETERMINATE"
    assert report["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report["trust_anchor"]["sha256"] is None
    assert report["trust_anchor"]["claimed_root"]["sha256"] == fp(two["b_root"])
    detail = next(c["detail"] for c in report["checks"] if c["id"] == "trust_anchor")
    assert fp(two["b_root"]) in detail
    assert "pki/root.crt" in detail
    assert "compare" in detail
    r = cli(tmp_path, two["active"])
    assert r.returncode == 2
    assert fp(two["b_root"]) in r.stdout
    assert not (tmp_path / "empty-data-dir").exists()


def test_a_wrong_or_malformed_fingerprint_is_not_trusted(two, tmp_path):
    r = cli(tmp_path, two["active"], "--trust-fingerprint", "ab" * 32, "--json")
    assert r.returncode == 2
    assert json.loads(r.stdout)["indication"] == "INDETERMINATE"
    r = cli(tmp_path, two["active"], "--trust-fingerprint", "not-hex")
    assert r.returncode == 3, r.stdout + r.stderr


def test_the_readme_sends_the_reader_to_the_published_root(two):
    readme = unzip(two["active"])["README.txt"].decode()
    assert fp(two["b_root"]) in readme
    assert "/pki/root.crt" in readme
    assert "published-root.crt" in readme
    assert "-CAfile certificates/root.crt" not in readme
    assert "--trust certificates/root.crt" not in readme
    assert "请勿信任" in readme


def test_a_revoked_consent_is_validly_given_and_revoked(two, tmp_path):
    files = unzip(two["revoked"])
    record = json.loads(files["authorization.json"])
    assert record["status"] == "revoked"
    assert record["revoked_at"]
    assert record["status_changed_at"] == record["revoked_at"]
    assert record["revoked_by"] == {"party": "subject", "channel": "portal"}
    assert record["signed_at"]
    assert record["status_times"]["revoked"] == record["revoked_at"]
    assert [h["status"] for h in record["status_history"]] == ["pending", "active", "revoked"]
    root = x509.load_pem_x509_certificate(two["b_root"].read_bytes())
    report = verify_bytes(two["revoked"], "r.zip", [root], "root B").as_dict()
    assert report["indication"] == "TOTAL_PASSED"
    assert report["authorization_status"] == "revoked"
    assert report["revoked_at"] == record["revoked_at"]
    assert report["status_changed_at"] == record["revoked_at"]
    assert report["revoked_by"] == "subject"
    packaged = json.loads(files["report.json"])
    assert (packaged["indication"], packaged["authorization_status"]) == \
        ("TOTAL_PASSED", "revoked")
    assert packaged["revoked_at"] == record["revoked_at"]
    text = pdftotext(files["report.pdf"], tmp_path)
    assert "The consent was validly given and signed." in text
    assert "REVOKED" in text
    assert "已撤销" in text
    assert "by the person" in text
    # The active package says so too; its record has no revoked_at.
    active = json.loads(unzip(two["active"])["report.json"])
    assert active["authorization_status"] == "active"
    assert active["revoked_at"] is None
    r = cli(tmp_path, two["revoked"], "--trust", str(two["b_root"]))
    assert r.returncode == 0
    assert "Status at package time: REVOKED at" in r.stdout


def _validates(schema, xml: bytes) -> bool:
    return schema.validate(etree.fromstring(xml))


def test_the_xml_report_validates_against_the_etsi_schema(two, schema, tmp_path):
    packaged = unzip(two["revoked"])["report.xml"]
    assert _validates(schema, packaged), schema.error_log
    status = etree.fromstring(packaged).find(
        f".//{VR}OtherInformation/{{urn:anxin:verification-report:1}}AuthorizationStatus")
    assert status.get("status") == "revoked"
    assert status.get("revokedAt")
    out = tmp_path / "report.xml"
    r = cli(tmp_path, two["active"], "--trust", str(two["b_root"]), "--xml", str(out))
    assert r.returncode == 0
    doc = etree.fromstring(out.read_bytes())
    assert schema.validate(doc), schema.error_log
    assert doc.findtext(f".//{VR}SignatureValidationStatus/{VR}MainIndication") == \
        "urn:etsi:019102:mainindication:total-passed"
    assert doc.find(f".//{VR}ValidationTimeInfo/{VR}BestSignatureTime/{VR}POETime") is not None
    assert len(doc.findall(f".//{VR}SignatureValidationObjects/{VR}ValidationObject")) > 5
    # The validator is live: without the mandatory BestSignatureTime, it refuses.
    broken = copy.deepcopy(doc)
    info = broken.find(f".//{VR}ValidationTimeInfo")
    info.remove(info.find(f"{VR}BestSignatureTime"))
    assert not schema.validate(broken)
    # Indeterminate without trust: still a valid report.
    r = cli(tmp_path, two["active"], "--xml", str(out))
    assert r.returncode == 2
    doc = etree.fromstring(out.read_bytes())
    assert schema.validate(doc), schema.error_log
    assert doc.findtext(f".//{VR}SignatureValidationStatus/{VR}SubIndication") == \
        "urn:etsi:019102:subindication:NO_CERTIFICATE_CHAIN_FOUND"


def test_the_packaged_report_and_verify_count_the_same_files(two, tmp_path):
    files = unzip(two["active"])
    listed = json.loads(files["manifest.json"])["files"]
    assert {"report.json", "report.pdf", "report.xml"} <= set(listed)
    packaged = json.loads(files["report.json"])
    r = cli(tmp_path, two["active"], "--trust", str(two["b_root"]), "--json")
    now = json.loads(r.stdout)

    def manifest_detail(report):
        return next(c for c in report["checks"] if c["id"] == "manifest_files")

    assert manifest_detail(packaged)["detail"] == manifest_detail(now)["detail"]
    assert manifest_detail(now)["data"]["files"] == len(listed) == len(files) - 2
    assert f"all {len(listed)} files" in manifest_detail(now)["detail"]


def test_the_report_names_what_a_court_needs_in_readable_words(two, tmp_path):
    files = unzip(two["active"])
    report = json.loads(files["report.json"])
    sig = report["signature"]
    assert sig["level"] == "PAdES-BASELINE-LTA"
    assert sig["sub_filter"] == "ETSI.CAdES.detached"
    assert sig["byte_range"][0] == 0
    assert len(sig["byte_range"]) == 4
    assert report["best_signature_time"] == sig["best_signature_time"]
    assert report["validation_policy"]["id"].startswith("urn:anxin:validation-policy")
    roles = {c["role"]: c for c in report["certificates"]}
    event = roles["signer (event certificate)"]
    assert "serialNumber (id commitment)=" in event["subject"]
    assert event["revocation"]
    assert event["revocation"][0]["this_update"]
    assert "timestamping authority (TSA)" in roles
    kinds = {o["type"] for o in report["validation_objects"]}
    assert {"certificate", "crl", "ocsp_response", "timestamp"} <= kinds
    dss_crl = next(o for o in report["validation_objects"]
                   if o["type"] == "crl" and any("DSS" in s for s in o["sources"]))
    assert dss_crl["poe"]["label"].startswith("document timestamp")
    assert {t["kind"] for t in report["timestamps"]} >= {"signature timestamp",
                                                          "document timestamp 1"}
    text = pdftotext(files["report.pdf"], tmp_path)
    flat = " ".join(text.split())
    for needed in ("PAdES-BASELINE-LTA", "Validation policy", "验证策略",
                   "Proof of existence", "存在证明", "serialNumber (id commitment)",
                   "Anxin TSA", "thisUpdate", fp(two["b_root"]), "loan approval", "贷款审批",
                   sig["signed_bytes_sha256"], sig["revision_sha256"]):
        assert needed in flat, needed
    r = cli(tmp_path, two["active"], "--trust", str(two["b_root"]))
    for raw in ("ModificationLevel.", "SignatureCoverageLevel.", "2.5.4.5=", "loan_approval",
                "credit_report"):
        assert raw not in flat, raw
        assert raw not in r.stdout, raw


def test_a_letter_alone_is_pinned_by_fingerprint_too(two, tmp_path):
    letter = unzip(two["active"])["letter.pdf"]
    r = cli(tmp_path, letter, "--json")
    assert r.returncode == 2
    report = json.loads(r.stdout)
    assert report["trust_anchor"]["claimed_root"]["sha256"] == fp(two["b_root"])
    assert report["authorization_status"] is None
    r = cli(tmp_path, letter, "--trust-fingerprint", fp(two["b_root"]), "--json")
    assert r.returncode == 0, r.stdout
    r = cli(tmp_path, letter, "--trust-fingerprint", fp(two["a_root"]))
    assert r.returncode == 2
    assert "not known from the letter alone" in r.stdout


def test_an_exhausted_consent_states_when_it_was_exhausted(two, tmp_path):
    files = unzip(two["exhausted"])
    record = json.loads(files["authorization.json"])
    report = json.loads(files["report.json"])
    assert report["indication"] == "TOTAL_PASSED"
    assert report["authorization_status"] == "exhausted"
    assert report["status_changed_at"] == record["status_changed_at"]
    assert record["status_times"]["exhausted"] == record["status_changed_at"]
    assert record["revoked_at"] is None
    assert report["revoked_at"] is None
    assert [h["status"] for h in record["status_history"]][-1] == "exhausted"
    text = " ".join(pdftotext(files["report.pdf"], tmp_path).split())
    assert "Status at package time: EXHAUSTED since" in text


def test_the_public_verify_page_gives_both_answers(two):
    client = two["client"]
    r = client.post("/verify", files={"file": ("r.zip", two["revoked"])},
                    headers={"Accept": "application/json"})
    body = r.json()
    assert (body["indication"], body["authorization_status"]) == ("TOTAL_PASSED", "revoked")
    assert body["trust_anchor"]["sha256"] == fp(two["b_root"])
    page = client.post("/verify", files={"file": ("r.zip", two["revoked"])}).text
    assert 'data-status="revoked"' in page
    assert "The consent was validly given and signed." in page
    assert "REVOKED at" in page

"""Readable words in the report, fingerprints, and the second answer from a record."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from anxin.errors import AnxinError
from anxin.evidence.anchors import (
    TrustAnchor,
    colon_hex,
    fingerprint,
    normalise_fingerprint,
    roots_by_fingerprint,
)
from anxin.evidence.answers import first_answer, second_answer
from anxin.evidence.consent import consent_status
from anxin.evidence.labels import purpose_text, readable_detail, readable_name
from anxin.evidence.report import PASSED, Report


def _root(cn="Anxin Root CA"):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Anxin"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))


def test_names_and_details_have_no_oids_or_enum_reprs():
    name = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, "11e7"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Zhang San")])
    assert readable_name(name) == "CN=Zhang San, serialNumber (id commitment)=11e7"
    text = readable_detail("modified after signing (<ModificationLevel.OTHER: 4>); "
                           "issued to 2.5.4.5=ab,CN=x; covers (ENTIRE_REVISION)")
    assert "ModificationLevel" not in text
    assert "2.5.4.5=" not in text
    assert "other changes after signing" in text
    assert "the entire signed revision" in text
    assert purpose_text("loan_approval") == "贷款审批 / loan approval"


def test_fingerprints_are_of_the_der_and_accept_the_openssl_form():
    root = _root()
    digest = fingerprint(root)
    assert normalise_fingerprint(colon_hex(digest)) == digest
    assert normalise_fingerprint(f"sha256={digest.upper()}") == digest
    with pytest.raises(AnxinError):
        normalise_fingerprint(digest[:-2])
    other = _root("Another Root")
    assert roots_by_fingerprint([digest, "00" * 32], [other, root]) == ([root], ["00" * 32])


def test_without_roots_the_anchor_says_what_to_obtain():
    root = _root()
    anchor = TrustAnchor.of([], "nothing given").with_claimed([root])
    detail = anchor.missing_detail()
    assert fingerprint(root) in detail
    assert "<base>/pki/root.crt" in detail
    assert anchor.as_dict()["sha256"] is None
    assert anchor.as_dict()["claimed_root"]["sha256"] == fingerprint(root)


def test_a_revoked_record_gives_both_answers_and_old_records_use_the_ledger():
    leaves = [{"event": "authorization:requested", "at": "T0"},
              {"event": "authorization:signed", "at": "T1"},
              {"event": "authorization:use:granted", "at": "T2"},
              {"event": "authorization:revoked", "at": "T3", "channel": "portal"}]
    old = consent_status({"status": "revoked", "uses": 1, "max_uses": 2}, leaves, "T4")
    assert (old.revoked_at, old.revoked_by, old.revoked_via) == ("T3", "subject", "portal")
    assert [s for s, _ in old.history] == ["pending", "active", "revoked"]
    report = Report(subject="p.zip", trust_anchor=TrustAnchor((), "test"))
    report.add("document_integrity", "Document integrity", PASSED, "intact")
    report.consent = old
    assert first_answer(report)[1] == "The consent was validly given and signed."
    assert second_answer(report)[1] == ("Status at package time: REVOKED at T3 by the "
                                        "person via the personal portal.")
    data = report.as_dict()
    assert (data["authorization_status"], data["revoked_at"]) == ("revoked", "T3")
    active = consent_status({"status": "active", "status_changed_at": "T1"}, [], None)
    assert active.revoked_at is None

"""The hand-assembled CMS parses as the structure it claims to be."""

from __future__ import annotations

import hashlib

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.letters import cms_der
from tests.common.test_ca import build_test_pki

# The DER primitives' test moved with them to tests/unit/test_der.py.


def test_signed_data_parses_and_its_signature_verifies():
    pki = build_test_pki()
    key, cert = pki.issue_event_cert("张三")
    der = cert.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(b"document").digest()
    attributes = cms_der.signed_attributes(digest, signer_cert_der=der,
                                           issuer_name_der=cert.issuer.public_bytes(),
                                           serial_number=cert.serial_number)
    to_sign = cms_der.signed_attributes_for_signing(attributes)
    signature = key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
    token = cms.ContentInfo({"content_type": "data", "content": b"stand-in token"}).dump()
    blob = cms_der.signed_data(
        attributes_content=attributes, signature=signature, signature_algorithm="sha256_ecdsa",
        sid=cms_der.issuer_and_serial(cert.issuer.public_bytes(), cert.serial_number),
        certificates_der=[der], timestamp_token_der=token)

    info = cms.ContentInfo.load(blob)
    assert info.dump(force=True) == blob  # canonical DER
    signed = info["content"]
    signer = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs["content_type"].native == "data"
    assert attrs["message_digest"].native == digest
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(der).digest()
    assert ess["issuer_serial"]["serial_number"].native == cert.serial_number
    assert signer["signed_attrs"].dump(force=True)[1:] == to_sign[1:]
    key.public_key().verify(signature, to_sign, ec.ECDSA(hashes.SHA256()))
    assert signer["sid"].chosen["serial_number"].native == cert.serial_number
    assert signer["unsigned_attrs"][0]["type"].native == "signature_time_stamp_token"
    assert signed["certificates"][0].chosen.dump() == der

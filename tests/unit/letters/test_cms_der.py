"""The hand-assembled CMS parses as the structure it claims to be."""

from __future__ import annotations

import hashlib

from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.letters import cms_der
from tests.common.test_ca import build_test_pki


def test_der_primitives_match_asn1crypto():
    for value in (0, 1, 127, 128, 255, 256, 2**64 + 3, 2**159 - 1):
        assert cms_der.der_integer(value) == core.Integer(value).dump()
    for oid in ("1.2.840.113549.1.9.16.2.47", "2.25.329800735698586629295641978511506172918"):
        assert cms_der.der_oid(oid) == core.ObjectIdentifier(oid).dump()
    assert cms_der.tlv(0x04, b"x" * 300) == core.OctetString(b"x" * 300).dump()


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

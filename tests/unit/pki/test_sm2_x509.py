"""The SM2 certificate profiles (GM/T 0015) and the chain verifier.

Each certificate's signature is checked twice: by :func:`verify_sm2_chain` (OpenSSL through
``anxin.pki.sm2``) and by the pure-Python ``gmssl`` over the TBS DER, with the Z value of
the default user id computed by the test. OpenSSL's own view is
tests/integration/test_sm2_pki_openssl.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import x509

from anxin.error_codes import Code
from anxin.pki import sm2, sm2_x509
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_events import issue_sm2_event_certificate
from anxin.pki.sm2_x509 import Sm2CertificateInvalid, verify_sm2_chain
from tests.common.sm2_pki import flip, gmssl_verifies_certificate

BASE = "https://anxin.example.test"
SHA, SM3 = "ab" * 32, "cd" * 32


@pytest.fixture(scope="module")
def event(sm2_pki: Sm2Pki) -> tuple[sm2.SM2PrivateKey, x509.Certificate]:
    return issue_sm2_event_certificate(
        sm2_pki, name="张三", id_commitment_hex="ef" * 32, authorization_id="auth-1",
        letter_sha256_hex=SHA, letter_sm3_hex=SM3, now=dt.datetime.now(dt.UTC))


def _exts(cert: x509.Certificate) -> dict[str, tuple[bool, object]]:
    return {e["extn_id"].native: (e["critical"].native, e["extn_value"].native)
            for e in cert["tbs_certificate"]["extensions"]}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_every_certificate_is_sm2_with_sm3_over_an_sm2_key(sm2_pki: Sm2Pki,
                                                           event: tuple[object, x509.Certificate],
                                                           ) -> None:
    for cert in (sm2_pki.root_cert, sm2_pki.issuing_cert, sm2_pki.tsa_cert, sm2_pki.seal_cert,
                 event[1]):
        # 1.2.156.10197.1.501 with the parameters absent, outside and inside the TBS
        assert cert["signature_algorithm"].dump().hex() == "300a06082a811ccf55018375"
        assert cert["tbs_certificate"]["signature"].dump() == cert["signature_algorithm"].dump()
        spki = cert["tbs_certificate"]["subject_public_key_info"]["algorithm"]
        assert spki["algorithm"].dotted == sm2.OID_EC_PUBLIC_KEY
        assert spki["parameters"].chosen.dotted == sm2.OID_SM2_CURVE
        assert cert["tbs_certificate"]["version"].native == "v3"


def test_gmssl_verifies_every_signature_over_the_tbs_der(
        sm2_pki: Sm2Pki, event: tuple[object, x509.Certificate]) -> None:
    root, issuing = sm2_pki.root_cert, sm2_pki.issuing_cert
    assert gmssl_verifies_certificate(root, root)
    assert gmssl_verifies_certificate(issuing, root)
    for leaf in (sm2_pki.tsa_cert, sm2_pki.seal_cert, event[1]):
        assert gmssl_verifies_certificate(leaf, issuing)
    # the second implementation is not a yes-sayer: the wrong issuer fails
    assert not gmssl_verifies_certificate(sm2_pki.seal_cert, root)


def test_the_ca_profiles(sm2_pki: Sm2Pki) -> None:
    root = _exts(sm2_pki.root_cert)
    assert root["basic_constraints"] == (True, {"ca": True, "path_len_constraint": 1})
    assert root["key_usage"] == (True, {"key_cert_sign", "crl_sign"})
    assert "authority_key_identifier" not in root
    issuing = _exts(sm2_pki.issuing_cert)
    assert issuing["basic_constraints"] == (True, {"ca": True, "path_len_constraint": 0})
    assert issuing["key_usage"] == (True, {"digital_signature", "key_cert_sign", "crl_sign"})
    assert issuing["authority_information_access"][1][0]["access_location"] == \
        f"{BASE}/pki/sm2/root.crt"
    assert "crl_distribution_points" not in issuing
    assert sm2_pki.root_cert.subject.native["common_name"].startswith("Anxin SM2 Root CA ")
    assert sm2_pki.issuing_cert.subject.native["common_name"].startswith(
        "Anxin SM2 Issuing CA ")
    assert sm2_pki.issuing_cert.issuer == sm2_pki.root_cert.subject


def test_key_identifiers_are_sm3_of_the_key_bits_and_link_the_chain(sm2_pki: Sm2Pki) -> None:
    for cert in (sm2_pki.root_cert, sm2_pki.issuing_cert, sm2_pki.tsa_cert,
                 sm2_pki.seal_cert):
        point = cert["tbs_certificate"]["subject_public_key_info"]["public_key"].contents[1:]
        assert cert.key_identifier == sm2.sm3(point)[:20]
    assert sm2_pki.issuing_cert.authority_key_identifier == sm2_pki.root_cert.key_identifier
    assert sm2_pki.tsa_cert.authority_key_identifier == sm2_pki.issuing_cert.key_identifier


def test_the_tsa_and_seal_profiles(sm2_pki: Sm2Pki) -> None:
    tsa = _exts(sm2_pki.tsa_cert)
    assert tsa["extended_key_usage"] == (True, ["time_stamping"])
    assert tsa["basic_constraints"] == (True, {"ca": False, "path_len_constraint": None})
    assert tsa["key_usage"] == (True, {"digital_signature", "non_repudiation"})
    # its own CRL partition, no URL; caIssuers only (no OCSP pointer), as the intl TSA
    points = tsa["crl_distribution_points"][1]
    assert len(points) == 1
    assert points[0]["distribution_point"][0]["value"].startswith("SM2 TSA ")
    assert [d["access_method"] for d in tsa["authority_information_access"][1]] == \
        ["ca_issuers"]
    seal = _exts(sm2_pki.seal_cert)
    assert "extended_key_usage" not in seal
    assert seal["key_usage"] == (True, {"digital_signature", "non_repudiation"})
    assert seal["crl_distribution_points"][1][0]["distribution_point"][0][
        "value"].startswith("SM2 Seal ")
    assert sm2_pki.tsa_cert.subject.native["common_name"].startswith("Anxin SM2 TSA ")


def test_the_event_certificate_profile(event: tuple[sm2.SM2PrivateKey, x509.Certificate],
                                       sm2_pki: Sm2Pki) -> None:
    key, cert = event
    exts = _exts(cert)
    assert exts["key_usage"] == (True, {"digital_signature", "non_repudiation"})
    assert "extended_key_usage" not in exts
    points = exts["crl_distribution_points"][1]
    assert points[0]["distribution_point"] == [f"{BASE}/pki/sm2/issuing.crl"]
    assert points[1]["distribution_point"][0]["value"] == "end-entity status"
    assert {d["access_method"]: d["access_location"]
            for d in exts["authority_information_access"][1]} == {
        "ocsp": f"{BASE}/pki/sm2/ocsp", "ca_issuers": f"{BASE}/pki/sm2/issuing.crt"}
    assert sm2_x509.public_key_of(cert) == key.public
    lifetime = cert.not_valid_after - cert.not_valid_before
    assert dt.timedelta(minutes=10) <= lifetime <= dt.timedelta(minutes=12)


def test_every_chain_verifies(sm2_pki: Sm2Pki,
                              event: tuple[object, x509.Certificate]) -> None:
    now, root, issuing = _now(), sm2_pki.root_cert, sm2_pki.issuing_cert
    assert verify_sm2_chain(root, [], root, at=now, key_usage=()) == [root]
    assert verify_sm2_chain(issuing, [], root, at=now,
                            key_usage=("key_cert_sign",)) == [issuing, root]
    path = verify_sm2_chain(sm2_pki.tsa_cert, [issuing], root, at=now, eku="time_stamping")
    assert path == [sm2_pki.tsa_cert, issuing, root]
    verify_sm2_chain(sm2_pki.seal_cert, [issuing], root, at=now,
                     key_usage=("digital_signature", "non_repudiation"))
    verify_sm2_chain(event[1], [issuing], root, at=now,
                     key_usage=("digital_signature", "non_repudiation"))


def _fails(check: str, *args: object, **kwargs: object) -> Sm2CertificateInvalid:
    with pytest.raises(Sm2CertificateInvalid) as caught:
        verify_sm2_chain(*args, **kwargs)  # type: ignore[arg-type]
    assert caught.value.check == check, caught.value.detail
    assert caught.value.code == Code.SM2_CERTIFICATE_INVALID
    return caught.value


def test_one_byte_changed_anywhere_fails_typed(sm2_pki: Sm2Pki) -> None:
    der = sm2_pki.seal_cert.dump()
    checks = set()
    # every byte of the TBS's validity, key and extensions, and of the signature
    for index in range(len(der) - 200, len(der)):
        try:
            tampered = sm2_x509.load_certificate(flip(der, index))
            verify_sm2_chain(tampered, [sm2_pki.issuing_cert], sm2_pki.root_cert, at=_now())
        except Sm2CertificateInvalid as exc:
            checks.add(exc.check)
        else:
            pytest.fail(f"a change at byte {index} went unnoticed")
    assert "signature" in checks


def test_a_changed_signature_names_the_signature_check(sm2_pki: Sm2Pki) -> None:
    der = sm2_pki.tsa_cert.dump()
    tampered = sm2_x509.load_certificate(flip(der, len(der) - 5))
    _fails("signature", tampered, [sm2_pki.issuing_cert], sm2_pki.root_cert, at=_now())


def test_another_root_is_not_trusted(sm2_pki: Sm2Pki) -> None:
    other = sm2_x509.issue_root_ca(sm2.generate_private_key(), _now())
    _fails("trust_anchor", sm2_pki.tsa_cert, [sm2_pki.issuing_cert], other, at=_now())
    _fails("trust_anchor", sm2_pki.tsa_cert, [], sm2_pki.root_cert, at=_now())


def test_validity_is_judged_at_the_time_given(sm2_pki: Sm2Pki,
                                              event: tuple[object, x509.Certificate]) -> None:
    later = _now() + dt.timedelta(hours=1)
    _fails("validity", event[1], [sm2_pki.issuing_cert], sm2_pki.root_cert, at=later)
    _fails("validity", sm2_pki.seal_cert, [sm2_pki.issuing_cert], sm2_pki.root_cert,
           at=_now() - dt.timedelta(days=1))


def test_key_usage_and_eku_are_required(sm2_pki: Sm2Pki) -> None:
    now = _now()
    _fails("extended_key_usage", sm2_pki.seal_cert, [sm2_pki.issuing_cert], sm2_pki.root_cert,
           at=now, eku="time_stamping")
    _fails("key_usage", sm2_pki.seal_cert, [sm2_pki.issuing_cert], sm2_pki.root_cert,
           at=now, key_usage=("key_cert_sign",))


def test_path_length_and_ca_flag_are_enforced(sm2_pki: Sm2Pki) -> None:
    now, urls = _now(), sm2_pki.urls
    sub_key = sm2.generate_private_key()
    sub_ca = sm2_x509.issue_issuing_ca(sub_key.public, sm2_pki.issuing_cert,
                                       sm2_pki.issuing_key, urls, now)
    leaf = sm2_x509.issue_seal(sm2.generate_private_key().public, sub_ca, sub_key, urls, now)
    _fails("path_length", leaf, [sub_ca, sm2_pki.issuing_cert], sm2_pki.root_cert, at=now)
    # an end-entity certificate cannot issue
    seal_child = sm2_x509.issue_seal(sm2.generate_private_key().public, sm2_pki.seal_cert,
                                     sm2_pki.seal_key, urls, now)
    _fails("ca", seal_child, [sm2_pki.seal_cert, sm2_pki.issuing_cert], sm2_pki.root_cert,
           at=now)


def test_loading_refuses_what_is_not_a_certificate() -> None:
    with pytest.raises(Sm2CertificateInvalid) as caught:
        sm2_x509.load_certificate(b"\x30\x03\x02\x01\x01")
    assert caught.value.check == "malformed"

"""Offline re-verification of a stored passkey assertion, from the evidence alone."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.errors import IntegrityFailure
from anxin.identity.passkey_evidence import (
    EVIDENCE_FORMAT,
    b64url,
    cose_public_key,
    from_b64url,
    public_key_pem,
    signing_challenge,
    verify_assertion_evidence,
)
from tests.common.soft_authenticator import SoftAuthenticator

ORIGIN, RP_ID = "https://anxin.example.cn", "anxin.example.cn"
AUTH_ID = str(uuid.UUID(int=7))
LETTER = hashlib.sha256(b"the letter as signed").hexdigest()


def make_evidence(authn: SoftAuthenticator, auth_id: str = AUTH_ID,
                  letter: str = LETTER) -> dict[str, Any]:
    """What the server keeps: a real assertion over the letter-bound challenge."""
    nonce = os.urandom(32)
    challenge = signing_challenge(auth_id, letter, nonce)
    resp = authn.get({"challenge": b64url(challenge)})["response"]
    key, alg = cose_public_key(authn.cose_key())
    return {"format": EVIDENCE_FORMAT, "rp_id": RP_ID, "origin": ORIGIN,
            "credential_id": b64url(authn.credential_id),
            "credential_sha256": hashlib.sha256(authn.credential_id).hexdigest(),
            "authenticator_data": resp["authenticatorData"],
            "client_data_json": resp["clientDataJSON"], "signature": resp["signature"],
            "public_key_cose": b64url(authn.cose_key()), "public_key_pem": public_key_pem(key),
            "algorithm": alg, "nonce": b64url(nonce), "challenge": b64url(challenge)}


@pytest.fixture(scope="module")
def evidence() -> dict[str, Any]:
    return make_evidence(SoftAuthenticator(ORIGIN, RP_ID))


def refused(evidence: dict[str, Any], auth_id: str = AUTH_ID, letter: str = LETTER) -> str:
    with pytest.raises(IntegrityFailure) as info:
        verify_assertion_evidence(evidence, auth_id, letter)
    assert info.value.code == "passkey_assertion_invalid"
    return info.value.detail


def test_stored_assertion_reverifies_from_evidence_alone(evidence):
    # Survives a JSON round trip, as it is stored in the database and the evidence package.
    verify_assertion_evidence(json.loads(json.dumps(evidence)), AUTH_ID, LETTER)


def test_ed25519_credential_reverifies():
    verify_assertion_evidence(make_evidence(SoftAuthenticator(ORIGIN, RP_ID, algorithm=-8)),
                              AUTH_ID, LETTER)


def test_other_letter_hash_fails(evidence):
    other = hashlib.sha256(b"another letter").hexdigest()
    assert "commit" in refused(evidence, letter=other)


def test_other_authorization_id_fails(evidence):
    assert "commit" in refused(evidence, auth_id=str(uuid.UUID(int=8)))


def test_one_changed_byte_of_the_signature_fails(evidence):
    sig = bytearray(from_b64url(evidence["signature"]))
    sig[-1] ^= 0x01
    assert "signature" in refused({**evidence, "signature": b64url(bytes(sig))})


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_changed_signature_byte_fails(evidence, data):
    sig = bytearray(from_b64url(evidence["signature"]))
    i = data.draw(st.integers(0, len(sig) - 1))
    sig[i] ^= data.draw(st.integers(1, 255))
    refused({**evidence, "signature": b64url(bytes(sig))})


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_changed_byte_of_signed_data_fails(evidence, data):
    field = data.draw(st.sampled_from(["authenticator_data", "client_data_json"]))
    raw = bytearray(from_b64url(evidence[field]))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    refused({**evidence, field: b64url(bytes(raw))})


def test_changed_nonce_fails(evidence):
    refused({**evidence, "nonce": b64url(os.urandom(32))})


def test_user_not_verified_fails():
    ev = make_evidence(SoftAuthenticator(ORIGIN, RP_ID, user_verified=False))
    assert "verification" in refused(ev)


def test_other_relying_party_fails(evidence):
    assert "relying" in refused({**evidence, "rp_id": "evil.example"})
    assert "origin" in refused({**evidence, "origin": "https://evil.example"})


def test_swapped_public_key_fails(evidence):
    other = SoftAuthenticator(ORIGIN, RP_ID)
    assert "signature" in refused({**evidence, "public_key_cose": b64url(other.cose_key()),
                                   "public_key_pem": None})
    pem = public_key_pem(cose_public_key(other.cose_key())[0])
    assert "PEM" in refused({**evidence, "public_key_pem": pem})


def test_missing_or_unknown_format_fails(evidence):
    refused({k: v for k, v in evidence.items() if k != "signature"})
    refused({**evidence, "format": "something-else"})


def test_challenge_is_label_id_letter_nonce():
    nonce = bytes(range(32))
    expected = hashlib.sha256(b"anxin/passkey-sign/v1\x00" + AUTH_ID.encode()
                              + bytes.fromhex(LETTER) + nonce).digest()
    assert signing_challenge(AUTH_ID, LETTER, nonce) == expected
    with pytest.raises(IntegrityFailure):
        signing_challenge(AUTH_ID, LETTER, nonce[:16])
    with pytest.raises(IntegrityFailure):
        signing_challenge(AUTH_ID, "zz", nonce)


def test_malformed_cose_key_is_an_integrity_failure():
    for bad in (b"", b"\xa1\x01", b"\xff", b"\xa2\x01\x02\x03\x26"):
        with pytest.raises(IntegrityFailure):
            cose_public_key(bad)

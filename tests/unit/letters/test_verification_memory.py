"""MemoisedSignatureValidator: a repeat of a verified signature is answered from memory,
anything else (another key, other bytes, a bad signature) is verified, and fails, anew."""

import pytest
from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.letters.verification_memory import MemoisedSignatureValidator

ALGO = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})


def _key():
    private = ec.generate_private_key(ec.SECP256R1())
    info = keys.PublicKeyInfo.load(private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, info


def test_a_repeat_is_not_verified_again_but_other_inputs_are():
    private, info = _key()
    _other_private, other_info = _key()
    data = b"the signed bytes"
    sig = private.sign(data, ec.ECDSA(hashes.SHA256()))
    memo = MemoisedSignatureValidator()
    memo.validate_signature(sig, data, info, ALGO)
    memo.validate_signature(sig, data, info, ALGO)
    assert memo.performed == 1
    with pytest.raises(InvalidSignature):
        memo.validate_signature(sig, data + b"!", info, ALGO)
    with pytest.raises(InvalidSignature):
        memo.validate_signature(sig, data, other_info, ALGO)
    assert memo.performed == 3


def test_a_failure_is_never_remembered_as_a_success():
    private, info = _key()
    sig = bytearray(private.sign(b"x", ec.ECDSA(hashes.SHA256())))
    sig[-1] ^= 1
    memo = MemoisedSignatureValidator()
    for _ in range(2):
        with pytest.raises(InvalidSignature):
            memo.validate_signature(bytes(sig), b"x", info, ALGO)
    assert memo.performed == 2

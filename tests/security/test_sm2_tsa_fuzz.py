"""The SM2 TSA and the SM2 token verifier on hostile input (Hypothesis, bounded and
derandomised for CI).

- ``Sm2TimestampAuthority.respond`` of random bytes and of mutated genuine requests (byte
  flips, truncations, insertions, splices) answers a TimeStampResp, never raises: a
  rejection with a failure info, or, where the mutation left a valid SM3 request, a token
  that verifies over the request's own imprint;
- ``verify_sm2_token`` of random bytes and of mutated genuine tokens raises
  :class:`Sm2TokenInvalid` and nothing else; when it passes, the mutation touched nothing
  the signature or the caller relies on (TSTInfo, signed attributes, signature and TSA
  certificate are the genuine ones: only unsigned bytes, such as the root certificate
  carried along for the caller's chain check, can change unnoticed here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import core, tsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.pki import sm2
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.sm2_tsa import Sm2TimestampAuthority, sm3_request, token_of_reply
from anxin.pki.sm2_tsa_verify import Sm2TokenInfo, Sm2TokenInvalid, verify_sm2_token
from tests.common.sm2_tsa_ca import make_sm2_tsa_ca

DIGEST = sm2.sm3(b"fuzzed letter")
FUZZ = settings(max_examples=300, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


class _Tsa(Sm2TimestampAuthority):
    def __repr__(self) -> str:  # Hypothesis prints its arguments
        return "<sm2 tsa>"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> _Tsa:
    ca = make_sm2_tsa_ca(Path(tmp_path_factory.mktemp("sm2-tsa-fuzz")))
    return _Tsa(ca.key, ca.cert, [ca.root], InMemorySerialSource())


@pytest.fixture(scope="module")
def genuine(tsa: _Tsa) -> tuple[bytes, Sm2TokenInfo]:
    token = token_of_reply(tsa.respond(sm3_request(DIGEST, nonce=99)))
    return token, verify_sm2_token(token, digest=DIGEST)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0x30, 0x31, 0x80, 0x81, 0x84, 0xFF]))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at:at + draw(st.integers(1, 8))]
    return bytes(data)


def _outcome_of_respond(tsa: _Tsa, query: bytes) -> str:
    reply = tsa.respond(query)
    outer = core.Sequence.load(reply, strict=True)
    status = tsp.PKIStatusInfo.load(outer[0].dump(), strict=True)
    if status["status"].native == "rejection":
        assert len(outer) == 1
        assert status["fail_info"].native
        return "rejection"
    assert status["status"].native == "granted"
    imprint = tsp.TimeStampReq.load(query)["message_imprint"]["hashed_message"].native
    verify_sm2_token(token_of_reply(reply), digest=imprint)
    return "granted"


@FUZZ
@given(query=st.binary(max_size=300))
def test_respond_to_random_bytes(tsa: _Tsa, query: bytes) -> None:
    assert _outcome_of_respond(tsa, query) == "rejection"


@FUZZ
@given(data=st.data())
def test_respond_to_mutated_requests(tsa: _Tsa, data: st.DataObject) -> None:
    query = data.draw(mutated(sm3_request(DIGEST, nonce=2**62 + 7, cert_req=True)))
    _outcome_of_respond(tsa, query)


def _outcome_of_verify(token: bytes, genuine: Sm2TokenInfo | None) -> str:
    try:
        info = verify_sm2_token(token, digest=DIGEST)
    except Sm2TokenInvalid as exc:
        assert exc.check.value in exc.detail  # noqa: PT017 - the outcome, not the raise
        return exc.check.value
    assert genuine is not None, "random bytes verified"
    assert (info.tst_info, info.signed_attributes, info.signature, info.tsa_certificate) == (
        genuine.tst_info, genuine.signed_attributes, genuine.signature,
        genuine.tsa_certificate)
    return "passed"


@FUZZ
@given(token=st.binary(max_size=400))
def test_verify_random_bytes(token: bytes) -> None:
    _outcome_of_verify(token, None)


@FUZZ
@given(data=st.data())
def test_verify_mutated_tokens(genuine: tuple[bytes, Sm2TokenInfo],
                               data: st.DataObject) -> None:
    token, info = genuine
    _outcome_of_verify(data.draw(mutated(token)), info)


def test_the_mutations_do_reach_every_check(genuine: tuple[bytes, Sm2TokenInfo]) -> None:
    """The fuzzer is not only exercising the parser: single flips over the whole token
    reach the later checks too."""
    token, info = genuine
    seen = set()
    for at in range(len(token)):
        flipped = bytearray(token)
        flipped[at] ^= 0x01
        seen.add(_outcome_of_verify(bytes(flipped), info))
    assert {"malformed", "imprint_mismatch", "message_digest_mismatch", "signature_invalid",
            "signing_certificate_mismatch", "passed"} <= seen

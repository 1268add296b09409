"""Archive renewal in the `sm` and `dual` profiles (SQLite and PostgreSQL): `sm` adds a new
SM2 document timestamp (SM3 imprint, SM2 TSA) after the SM2 status of its TSA certificates;
`dual` adds an intl one, which covers the PAdES and the SM2 fields alike. Earlier bytes stay,
the SM2 signature still verifies, a letter already stamped by the current TSA is not due."""

from __future__ import annotations

import io
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from anxin.errors import AnxinError
from anxin.letters.verify_sm2 import sm2_signatures
from anxin.pki import sm2_cms
from anxin.pki.sm2_revocation import verify_sm2_ocsp_response
from anxin.pki.sm2_tsa_verify import verify_sm2_token
from anxin.services import archive
from anxin.services.context import Context
from anxin.services.documents import read_document
from tests.common.factories import sign
from tests.common.ledger_view import events_of

pytestmark = pytest.mark.parametrize("signature_profile", ["sm", "dual"])


def _verify_cms(der: bytes, digest: bytes) -> sm2_cms.Sm2SignedInfo:
    return sm2_cms.parse_and_verify_detached(der, content_digest=digest)


def _fields(pdf: bytes) -> list[str]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return [name for name, _v, _r in enumerate_sig_fields(reader, filled_status=True)]


@pytest.fixture
def letter(api, client, outbox, ctx) -> dict[str, Any]:
    api.template()
    auth = api.request(seq=11)
    sign(client, outbox, auth)
    pdf = read_document(ctx, None, auth["id"], "letter.pdf")
    assert pdf is not None
    return {"id": auth["id"], "pdf": pdf}


def test_renewal_adds_the_profiles_document_timestamp(letter, ctx: Context, clock,
                                                     signature_profile):
    old = letter["pdf"]
    clock.advance(minutes=1)  # a renewal later than the signing, as in life
    renewed_at = clock().replace(microsecond=0)
    result = archive.renew_archive(ctx)
    assert letter["id"] not in [failed for failed, _why in result.failed], result.failed
    new = read_document(ctx, None, letter["id"], "letter.pdf")
    assert new is not None
    assert new.startswith(old)
    found = sm2_signatures(new, verify_cms=_verify_cms)
    [signature] = found.signatures  # still verifies over its own revision
    assert signature.field_name == "AnxinSignatureSM2"
    if signature_profile == "dual":
        assert _fields(new) == ["AnxinSignature", "AnxinSignatureSM2", "AnxinArchiveTimestamp",
                                "AnxinArchiveTimestamp2"]
        assert found.document_timestamps == ()
    else:
        assert _fields(new) == ["AnxinSignatureSM2", "AnxinArchiveTimestampSM2",
                                "AnxinArchiveTimestampSM2-2"]
        first, second = sorted(found.document_timestamps, key=lambda s: s.revision)
        assert second.field_name == "AnxinArchiveTimestampSM2-2"
        assert second.revision > first.revision
        assert second.imprint == second.byte_range_digest
        info = verify_sm2_token(second.token, digest=second.byte_range_digest)
        assert info.tsa_certificate == ctx.sm2.pki.tsa_cert.dump()
        with pytest.raises(AnxinError):
            verify_sm2_token(second.token, digest=first.byte_range_digest)
        _assert_renewal_dss_has_the_tsa_status(new, ctx, at=info.gen_time,
                                               since=renewed_at)
    renewed = [e for e in events_of(ctx, letter["id"])
               if e["event"] == "authorization:letter:renewed"]
    assert len(renewed) == 1


def _assert_renewal_dss_has_the_tsa_status(pdf: bytes, ctx: Context, *, at: Any,
                                           since: Any) -> None:
    """The renewal's DSS carries a fresh SM2 OCSP response for the SM2 TSA certificate."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    ocsps = [s.get_object().data for s in reader.root["/DSS"]["/OCSPs"]]
    pki = ctx.sm2.pki
    fresh = []
    for der in ocsps:
        try:
            fresh.append(verify_sm2_ocsp_response(der, pki.issuing_cert, pki.tsa_cert, at=at))
        except AnxinError:
            continue
    assert any(status.status == "good" and status.produced_at >= since
               for status in fresh), fresh


def test_a_letter_stamped_by_the_current_tsa_is_not_due(letter, ctx: Context,
                                                         signature_profile):
    assert not archive._due(ctx, letter["pdf"])
    if signature_profile == "sm":
        certs, latest = archive.sm2_timestamp_certificates(letter["pdf"])
        assert latest is not None
        assert latest.dump() == ctx.sm2.pki.tsa_cert.dump()
        assert [asn1_x509.Certificate.load(c.dump()).dump() for c in certs] == [
            ctx.sm2.pki.tsa_cert.dump()]
    before = read_document(ctx, None, letter["id"], "letter.pdf")
    assert archive.renew_one(ctx, letter["id"], due_only=True) is False
    assert read_document(ctx, None, letter["id"], "letter.pdf") == before

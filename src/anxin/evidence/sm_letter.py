"""Read a letter's SM2 signature for the SM checks: the field verified, what changed after
it, the letter data it signs, and its signature timestamp verified.

:func:`read_sm2_letter` finds the one SM2 signature field of a ``sm`` or ``dual`` letter
(:func:`anxin.letters.verify_sm2.sm2_signatures`, the CMS checked by
:func:`anxin.pki.sm2_cms.parse_and_verify_detached` over SM3 of the byte range), then has
pyHanko's difference analysis judge every later revision: only validation data (DSS) and
document timestamps may follow (pyHanko's ``LTA_UPDATES``), as for the PAdES field. The
letter data (authorization id, stated hash, attached text) is read from the revision the
SM2 field signs. Raises the typed errors of those readers, or :class:`IntegrityFailure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from anxin.error_codes import Code
from anxin.errors import AnxinError, IntegrityFailure
from anxin.evidence.sm_trust import load_der_certificates
from anxin.letters.letter_data import SignedLetter, letter_at_revision
from anxin.letters.verify_sm2 import Sm2DocumentTimestamp, sm2_signatures
from anxin.pki import sm2_cms
from anxin.pki.sm2_tsa_verify import Sm2TokenInfo, verify_sm2_token
from anxin.pki.sm2_x509 import load_certificate

_ALLOWED = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


@dataclass(frozen=True)
class Sm2Letter:
    """The letter's verified SM2 signature and what the SM checks judge it with."""

    field_name: str
    signer: asn1_x509.Certificate
    cms: sm2_cms.Sm2SignedInfo
    letter: SignedLetter
    revision: int
    later: str
    """What the revisions after the SM2 signature do (a sentence for the report)."""
    pool: list[asn1_x509.Certificate]
    """The CMS's certificates, then the package's SM2 certificates."""
    token: Sm2TokenInfo | None
    token_error: AnxinError | None
    document_timestamps: tuple[Sm2DocumentTimestamp, ...]


def _verify_cms(der: bytes, digest: bytes) -> sm2_cms.Sm2SignedInfo:
    return sm2_cms.parse_and_verify_detached(der, content_digest=digest)


def read_sm2_letter(pdf: bytes, *, pool_der: list[bytes]) -> Sm2Letter:
    """The letter's one SM2 signature, verified, with its later changes judged."""
    found = sm2_signatures(pdf, verify_cms=_verify_cms)
    if len(found.signatures) != 1:
        raise IntegrityFailure(f"the letter carries {len(found.signatures)} SM2 signatures, "
                               "not one", code=Code.UNEXPECTED_SIGNATURES)
    signature = found.signatures[0]
    cms = signature.cms
    assert isinstance(cms, sm2_cms.Sm2SignedInfo)
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    later = _later_changes(reader, signature.field_name)
    letter = letter_at_revision(reader, signature.revision)
    pool = [*load_der_certificates(cms.certificates), *load_der_certificates(pool_der)]
    token, error = None, None
    if cms.timestamp_token is not None:
        try:
            token = verify_sm2_token(cms.timestamp_token, digest=cms.signature_digest,
                                     certificates=pool_der)
        except AnxinError as exc:
            error = exc
    return Sm2Letter(field_name=signature.field_name,
                     signer=load_certificate(signature.signer_certificate), cms=cms,
                     letter=letter, revision=signature.revision, later=later, pool=pool,
                     token=token, token_error=error,
                     document_timestamps=found.document_timestamps)


def _later_changes(reader: PdfFileReader, field_name: str) -> str:
    """Or raise: the revisions after the SM2 field add only validation data and
    document timestamps."""
    try:
        embedded = next(EmbeddedPdfSignature(reader, field, name) for name, _value, field
                        in enumerate_sig_fields(reader, filled_status=True)
                        if name == field_name)
        embedded.coverage = embedded.evaluate_signature_coverage()  # type: ignore[assignment]
        result = embedded.evaluate_modifications(DEFAULT_DIFF_POLICY)
    except (StopIteration, PdfError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityFailure(f"the revisions after {field_name} cannot be read: {exc}",
                               code=Code.DAMAGED_SIGNED_PDF) from None
    if isinstance(result, SuspiciousModification):
        raise IntegrityFailure(f"the letter was modified after its SM2 signature: {result}",
                               code=Code.DAMAGED_SIGNED_PDF)
    if result.modification_level not in _ALLOWED:
        raise IntegrityFailure(f"the letter was modified after its SM2 signature "
                               f"({result.modification_level.name})",
                               code=Code.DAMAGED_SIGNED_PDF)
    if result.modification_level == ModificationLevel.NONE:
        return "no later changes"
    return "later revisions only add validation data and document timestamps"

"""The letter's Document Security Store, read once per verification, as validation contexts.

pyHanko's ``DocumentSecurityStore.as_validation_context`` parses every certificate, CRL
and OCSP response of the DSS again for each context it builds; a verification that needs
several contexts over the same DSS (document timestamps now, the signer at its signature
time) reads it once here and builds each context from the parsed objects, the
certificates shared through the verification's :class:`ParsedCertificates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko_certvalidator import ValidationContext

from anxin.letters.letter_data import OpenedLetter
from anxin.letters.verification_memory import VerificationMemory


@dataclass(frozen=True)
class DssData:
    """What a letter's DSS holds, parsed (empty when the letter has no DSS)."""

    present: bool
    certs: tuple[asn1_x509.Certificate, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()


def read_dss_data(opened: OpenedLetter, memory: VerificationMemory) -> DssData:
    try:
        dss = opened.dss_at()
    except NoDSSFoundError:
        return DssData(present=False)
    certs = tuple(memory.certificates.add(c) for c in dss.load_certs())
    ocsps = tuple(memory.revocation.ocsp(
        ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)) for ref in dss.ocsps)
    crls = tuple(memory.revocation.crl(
        ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls)
    return DssData(present=True, certs=certs, ocsps=ocsps, crls=crls)


def dss_context(dss: DssData, roots: list[asn1_x509.Certificate], memory: VerificationMemory,
                revocation_mode: str, **settings: Any) -> ValidationContext:
    """A no-fetching context trusting ``roots`` only, with the DSS's validation data (as
    pyHanko's ``as_validation_context`` builds it) and the verification's signature memo."""
    return ValidationContext(
        trust_roots=roots, other_certs=list(dss.certs), ocsps=list(dss.ocsps),
        crls=list(dss.crls), allow_fetching=False, revocation_mode=revocation_mode,
        signature_validator=memory.signatures, **settings)

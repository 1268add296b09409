"""One verification's memory: the signatures it has verified, the certificates it has parsed.

Verifying a letter or an evidence package validates the same certificate paths many
times (the signer's, each timestamp's TSA, each CRL's and OCSP response's issuer), and
pyHanko checks every signature on the way again each time: the issuing CA's signature on
the TSA certificate, a CRL's signature, and so on — about forty ECDSA verifications per
package, most of them repeats. :class:`MemoisedSignatureValidator` performs each distinct
verification once and answers repeats from memory.

Nothing is skipped: a repeat is the very same verification (same signature, same signed
bytes, same public key, same algorithm and parameters, same context), whose outcome is
determined by those inputs. Only successes are remembered; a failure is verified again
(and fails again) every time.

:class:`ParsedCertificates` gives every DER certificate met (the trust roots, the
package's ``certificates/``, the letter's DSS) one asn1crypto object per verification, so
that what pyHanko derives from it (its names prepared for comparison, its extensions) is
derived once. The trust root, constant for a process, is parsed once per process
(:func:`trusted_root`). :class:`ParsedRevocation` does the same for CRLs and OCSP
responses: a package carries its CRLs both under ``revocation/`` and in the letter's DSS,
and every validation context of the verification (the manifest's seal, the tokens, the
letter's signer and timestamps) then reads the same parsed objects, their issuer names
prepared for comparison once.

Make one :class:`VerificationMemory` per verification and drop it afterwards: it is not
meant to outlive the inputs it has seen, nor to be shared between threads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from asn1crypto import algos
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from asn1crypto.keys import PublicKeyInfo
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)

_Key = tuple[bytes, bytes, bytes, bytes, SignatureValidationContext]


class MemoisedSignatureValidator(DefaultSignatureValidator):
    """pyHanko's signature validator, each distinct successful verification done once."""

    def __init__(self) -> None:
        self._verified: set[_Key] = set()
        self.performed = 0  # verifications actually computed (for tests and benchmarks)

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        key = (bytes(signature), bytes(signed_data), public_key_info.dump(),
               signature_algorithm.dump(), context)
        if key in self._verified:
            return
        self.performed += 1
        super().validate_signature(signature, signed_data, public_key_info,
                                   signature_algorithm, context)
        self._verified.add(key)


@functools.lru_cache(maxsize=8)
def trusted_root(der: bytes) -> asn1_x509.Certificate:
    """The parsed form of a trust root, once per process: fully parsed and its names
    prepared here, so that verifications (possibly in several threads) only read it."""
    cert = asn1_x509.Certificate.load(der)
    _ = cert.native, cert.subject.hashable, cert.issuer.hashable, cert.sha256
    return cert


class ParsedCertificates:
    """One asn1crypto object per distinct DER certificate within one verification."""

    def __init__(self) -> None:
        self._by_der: dict[bytes, asn1_x509.Certificate] = {}

    def add(self, cert: asn1_x509.Certificate) -> asn1_x509.Certificate:
        """``cert``, or the object already held for the same DER."""
        return self._by_der.setdefault(cert.dump(), cert)

    def load(self, der: bytes) -> asn1_x509.Certificate:
        held = self._by_der.get(der)
        if held is None:
            held = self._by_der[der] = asn1_x509.Certificate.load(der)
        return held


class ParsedRevocation:
    """One asn1crypto object per distinct DER CRL or OCSP response within one
    verification."""

    def __init__(self) -> None:
        self._crls: dict[bytes, asn1_crl.CertificateList] = {}
        self._ocsps: dict[bytes, asn1_ocsp.OCSPResponse] = {}

    def crl(self, der: bytes, *, whole: bool = False) -> asn1_crl.CertificateList:
        """The CRL of ``der`` (asn1crypto parses lazily); ``whole`` parses all of it now,
        so that a malformed one fails here (asn1crypto's errors, e.g. ValueError,
        propagate: the caller decides what an unreadable CRL means)."""
        held = self._crls.get(der)
        if held is None:
            held = self._crls[der] = asn1_crl.CertificateList.load(der)
        if whole:
            held.native  # noqa: B018 - parses it all
        return held

    def ocsp(self, der: bytes) -> asn1_ocsp.OCSPResponse:
        held = self._ocsps.get(der)
        if held is None:
            held = self._ocsps[der] = asn1_ocsp.OCSPResponse.load(der)
        return held


@dataclass(frozen=True)
class VerificationMemory:
    """What one verification (a letter, or a package with its letter) shares across its
    checks."""

    signatures: MemoisedSignatureValidator = field(default_factory=MemoisedSignatureValidator)
    certificates: ParsedCertificates = field(default_factory=ParsedCertificates)
    revocation: ParsedRevocation = field(default_factory=ParsedRevocation)

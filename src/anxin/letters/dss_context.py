"""The letter's Document Security Store, read once per verification, as validation contexts.

pyHanko's ``DocumentSecurityStore.as_validation_context`` parses every certificate, CRL
and OCSP response of the DSS again for each context it builds; a verification that needs
several contexts over the same DSS (document timestamps now, the signer at its signature
time) reads it once here and builds each context from the parsed objects, the
certificates shared through the verification's :class:`ParsedCertificates`.

pyHanko's own AdES validation (``ades_lta_validation``) reads the DSS a further time
(``_dss_to_local_knowledge``) and parses every object of it anew, so that what it derives
from each (names, key identifiers, digests, extensions) is derived again on fresh objects.
Within :func:`dss_shared_with_pyhanko` — for the letter being validated, recognised by its
reader — that read is answered from the verification's memory: the same DSS entries, in
the same order, each parsed from the same DER once per verification (the certificates the
same objects as the package's ``certificates/``), in the containers pyHanko makes of
them. Elsewhere (and in the benchmark's baseline) pyHanko reads the DSS itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.policy_decl import LocalKnowledge
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

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


_SHARED: ContextVar[tuple[OpenedLetter, VerificationMemory] | None] = ContextVar(
    "anxin_dss_shared_with_pyhanko", default=None)


def _install() -> Callable[..., Any]:
    current = ades._dss_to_local_knowledge
    original: Callable[..., Any] = getattr(current, "__anxin_original__", current)

    def _dss_to_local_knowledge(reader: Any) -> Any:
        shared = _SHARED.get()
        if shared is None or shared[0].reader is not reader:
            return original(reader=reader)
        opened, memory = shared
        try:
            dss = opened.dss_at()
        except NoDSSFoundError:
            return LocalKnowledge()
        ocsps = [cont for ref in dss.ocsps for cont in OCSPContainer.load_multi(
            memory.revocation.ocsp(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)))]
        crls = [CRLContainer(crl_data=memory.revocation.crl(
            ref.get_object().read_data(DecodePurpose.CRL))) for ref in dss.crls]
        certs = [memory.certificates.add(c) for c in dss.load_certs()]
        return LocalKnowledge(known_ocsps=ocsps, known_crls=crls, known_certs=certs)

    _dss_to_local_knowledge.__anxin_original__ = original  # type: ignore[attr-defined]
    ades._dss_to_local_knowledge = _dss_to_local_knowledge
    return original


ORIGINAL_DSS_TO_LOCAL_KNOWLEDGE = _install()
"""pyHanko's own reading of the DSS for its AdES validation."""


@contextlib.contextmanager
def dss_shared_with_pyhanko(opened: OpenedLetter, memory: VerificationMemory) -> Iterator[None]:
    """Within this block, pyHanko's AdES validation of ``opened`` reads its DSS from
    ``memory`` (see the module docstring)."""
    token = _SHARED.set((opened, memory))
    try:
        yield
    finally:
        _SHARED.reset(token)

"""The SM2 validation data a letter carries in its DSS: the national-profile twin of
:func:`anxin.pki.revocation.validation_data`.

For the SM2 certificates a letter's signatures and timestamps used (the SM2 event
certificate, the SM2 TSA certificate): an OCSP response each from the SM2 issuing CA
(:func:`anxin.pki.sm2_revocation.sm2_ocsp_for_certificate`, CertID hashed with SM3), the
issuing CA's CRL of each certificate's partition (the end-entity one for a day, a TSA's
archival one until a day before that TSA certificate expires, as in the intl PKI), and the
SM2 root's CRL for the issuing CA itself. The CRLs are dated a second before the OCSP
responses, so a verifier sliding back to the newest status finds the short-lived OCSP
response. Nothing is issued for an expired certificate, nor for one of an issuer this PKI
does not know (an external SM2 TSA's); the SM2 issuing CA and root are covered by the
root's CRL.

Example::

    data = sm2_validation_data(sm2_pki, certificates, [event_cert, sm2_pki.tsa_cert], now)
    data.crls, data.ocsps          # DER, SM2-with-SM3 signed
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from asn1crypto import x509

from anxin.pki.ports import CertificateStore
from anxin.pki.revocation import ValidationData
from anxin.pki.sm2_revocation import (
    Sm2IssuingCa,
    build_sm2_issuing_crl,
    sm2_ocsp_for_certificate,
)
from anxin.pki.sm2_x509 import END_ENTITY_PARTITION, authority_key_id


class Sm2ValidationIssuer(Sm2IssuingCa, Protocol):
    """What the validation data needs: the issuing CA (CRL, OCSP) and the root's CRL."""

    @property
    def root_crl_der(self) -> bytes: ...


def sm2_crl_partition_of(cert: x509.Certificate) -> str | None:
    """The CRL partition an SM2 certificate names in its distribution points (the common
    name of the ``nameRelativeToCRLIssuer``), or None."""
    for extension in cert["tbs_certificate"]["extensions"] or []:
        if extension["extn_id"].native != "crl_distribution_points":
            continue
        for point in extension["extn_value"].parsed:
            name = point["distribution_point"]
            if name.name == "name_relative_to_crl_issuer":
                for attribute in name.chosen:
                    if attribute["type"].native == "common_name":
                        return str(attribute["value"].native)
    return None


def sm2_validation_data(pki: Sm2ValidationIssuer, certificates: CertificateStore,
                        certs: Sequence[x509.Certificate], now: dt.datetime, *,
                        cert_id_hash: str = "sm3") -> ValidationData:
    """The CRLs and OCSP responses (DER) proving the status of ``certs`` and of the SM2
    issuing CA above them, as the SM2 responder answers at ``now``. ``cert_id_hash`` is
    the OCSP CertID's hash: SM3 in ``sm``; SHA-256 in ``dual``, whose DSS ordinary
    validators read too (pyHanko's OCSP matching knows only SHA-1 and SHA-2 CertIDs and
    stops on any other, before judging the PAdES signature)."""
    issuing_id = pki.issuing_key_id
    ocsps: list[bytes] = []
    partitions: dict[str, dt.datetime | None] = {}
    for cert in certs:
        issuer = authority_key_id(cert)
        if issuer is None or issuer.hex() != issuing_id or cert.not_valid_after <= now:
            continue
        partition = sm2_crl_partition_of(cert) or END_ENTITY_PARTITION
        partitions[partition] = (None if partition == END_ENTITY_PARTITION
                                 else cert.not_valid_after - dt.timedelta(days=1))
        ocsps.append(sm2_ocsp_for_certificate(pki, certificates, cert, now,
                                              hash_algorithm=cert_id_hash))
    earlier = now - dt.timedelta(seconds=1)
    crls = [build_sm2_issuing_crl(pki, certificates, earlier, until=until, partition=name)
            for name, until in partitions.items()]
    return ValidationData((*crls, pki.root_crl_der), tuple(ocsps))


__all__ = ["Sm2ValidationIssuer", "sm2_crl_partition_of", "sm2_validation_data"]

"""SM2 validation data: the CRLs and OCSP responses (signed SM2-with-SM3) that prove the
status of SM2 certificates, for an evidence package's ``sm2/revocation/`` (issue 14); the
national-profile twin of :func:`anxin.pki.revocation.validation_data`, with its rules:

- the SM2 root's CRL (long-lived; the root is offline) covers the SM2 issuing CA;
- every certificate of the SM2 issuing CA that is still valid gets an OCSP response
  (:func:`~anxin.pki.sm2_revocation.sm2_ocsp_for_certificate`, CertID in SM3) and the CRL of
  its partition (:func:`~anxin.pki.sm2_revocation.build_sm2_issuing_crl`): a TSA's or
  seal's own partition is archival (``nextUpdate`` a day before that certificate expires),
  the end-entity partition (event certificates) lives a day;
- nothing is issued for an expired certificate (its status must come from before its
  expiry, the letter's DSS) nor for one this issuing CA did not sign (an external TSA's).

The partition CRLs are dated a second before the OCSP responses, as the intl ones are, so a
past validation's newest status of a certificate is the short-lived OCSP response.

Example::

    data = sm2_validation_data(sm2_pki, SqlCertificateStore(session),
                               [event_cert, sm2_pki.tsa_cert, sm2_pki.seal_cert], now)
    data.crls, data.ocsps
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from asn1crypto import x509

from anxin.pki.ports import CertificateStore
from anxin.pki.revocation import ValidationData
from anxin.pki.sm2_revocation import Sm2IssuingCa, build_sm2_issuing_crl, sm2_ocsp_for_certificate
from anxin.pki.sm2_x509 import END_ENTITY_PARTITION, authority_key_id, subject_key_id

__all__ = ["Sm2ValidationPki", "partition_of", "sm2_validation_data"]


class Sm2ValidationPki(Sm2IssuingCa, Protocol):
    """The issuing CA of :class:`~anxin.pki.sm2_revocation.Sm2IssuingCa` and the root's
    CRL (:class:`~anxin.pki.sm2_authority.Sm2Pki` has both)."""

    @property
    def root_crl_der(self) -> bytes: ...


def partition_of(cert: x509.Certificate) -> str | None:
    """The CRL partition a certificate names in its CRL distribution points (the
    ``nameRelativeToCRLIssuer`` common name), or None."""
    for point in cert.crl_distribution_points_value or []:
        name = point["distribution_point"]
        if name.name == "name_relative_to_crl_issuer":
            for attribute in name.chosen:
                if attribute["type"].native == "common_name":
                    return str(attribute["value"].native)
    return None


def _not_after(cert: x509.Certificate) -> dt.datetime:
    value: dt.datetime = cert["tbs_certificate"]["validity"]["not_after"].native
    return value


def sm2_validation_data(pki: Sm2ValidationPki, certificates: CertificateStore,
                        certs: Sequence[x509.Certificate], now: dt.datetime) -> ValidationData:
    """What proves the status of ``certs`` (SM2, asn1crypto) and of the issuing CA above
    them (module docstring): partition CRLs first, then the root's CRL; one OCSP response
    per valid certificate of the current SM2 issuing CA, in the order given."""
    issuing_key_id = subject_key_id(pki.issuing_cert)
    partitions: dict[str, dt.datetime | None] = {}
    ocsps: list[bytes] = []
    seen: set[int] = set()
    for cert in certs:
        if cert.serial_number in seen or authority_key_id(cert) != issuing_key_id \
                or _not_after(cert) <= now:
            continue
        seen.add(cert.serial_number)
        partition = partition_of(cert) or END_ENTITY_PARTITION
        partitions[partition] = (None if partition == END_ENTITY_PARTITION
                                 else _not_after(cert) - dt.timedelta(days=1))
        ocsps.append(sm2_ocsp_for_certificate(pki, certificates, cert, now))
    earlier = now - dt.timedelta(seconds=1)
    crls = [build_sm2_issuing_crl(pki, certificates, earlier, until=until, partition=name)
            for name, until in partitions.items()]
    return ValidationData((*crls, pki.root_crl_der), tuple(ocsps))

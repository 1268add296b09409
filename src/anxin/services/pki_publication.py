"""Use cases behind the public PKI endpoints: the issuing CA's current CRL and the OCSP
responder's answer, each read in one short transaction of its own.

The web layer (:mod:`anxin.web.pki_routes`) only moves bytes; what a database failure
means for a verifier is decided here: the OCSP answer becomes ``tryLater`` (RFC 6960
§2.3), never an HTTP error.

Example::

    crl_der = issuing_crl(db, pki, now)
    reply_der = ocsp_answer(db, pki, request_der, now)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import SQLAlchemyError

from anxin.pki.authority import Pki
from anxin.pki.revocation import build_crl, ocsp_error, ocsp_respond
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.database import Database


def issuing_crl(db: Database, pki: Pki, now: dt.datetime) -> bytes:
    """A freshly signed CRL (DER) of the current issuing CA (end-entity partition)."""
    with db.transaction() as session:
        return build_crl(pki, SqlCertificateStore(session), now)


def ocsp_answer(db: Database, pki: Pki, request_der: bytes, now: dt.datetime) -> bytes:
    """The signed OCSPResponse (DER) to a request; ``tryLater`` if the database fails."""
    try:
        with db.transaction() as session:
            return ocsp_respond(pki, SqlCertificateStore(session), request_der, now)
    except SQLAlchemyError:
        return ocsp_error("try_later")

"""Use cases behind the public PKI endpoints: the issuing CA's current CRL, the OCSP
responder's answer (each read in one short transaction of its own) and the TSA's reply.

The web layer (:mod:`anxin.web.pki_routes`) only moves bytes: a request it could not read
(too large, not base64) arrives here as None and is answered in the protocol's own terms,
and so is a database failure: the OCSP answer becomes ``tryLater`` (RFC 6960 §2.3), never
an HTTP error.

Example::

    crl_der = issuing_crl(db, pki, now)
    reply_der = ocsp_answer(db, pki, request_der, now)
    token_reply_der = timestamp_reply(tsa, request_der)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import SQLAlchemyError

from anxin.pki.authority import Pki
from anxin.pki.ocsp_request import ocsp_error
from anxin.pki.revocation import build_crl, ocsp_respond
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_revocation import build_sm2_issuing_crl, sm2_ocsp_respond
from anxin.pki.sm2_tsa import Sm2TimestampAuthority
from anxin.pki.tsa import TimestampAuthority
from anxin.pki.tsp_status import rejection
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.database import Database


def issuing_crl(db: Database, pki: Pki, now: dt.datetime) -> bytes:
    """A freshly signed CRL (DER) of the current issuing CA (end-entity partition)."""
    with db.transaction() as session:
        return build_crl(pki, SqlCertificateStore(session), now)


def ocsp_answer(db: Database, pki: Pki, request_der: bytes | None,
                now: dt.datetime) -> bytes:
    """The signed OCSPResponse (DER) to a request; ``malformedRequest`` for an unreadable
    one (None), ``tryLater`` if the database fails."""
    if request_der is None:
        return ocsp_error("malformed_request")
    try:
        with db.transaction() as session:
            return ocsp_respond(pki, SqlCertificateStore(session), request_der, now)
    except SQLAlchemyError:
        return ocsp_error("try_later")


def sm2_issuing_crl(db: Database, pki: Sm2Pki, now: dt.datetime) -> bytes:
    """A freshly signed CRL (DER, SM2) of the SM2 issuing CA (end-entity partition)."""
    with db.transaction() as session:
        return build_sm2_issuing_crl(pki, SqlCertificateStore(session), now)


def sm2_ocsp_answer(db: Database, pki: Sm2Pki, request_der: bytes | None,
                    now: dt.datetime) -> bytes:
    """The SM2-signed OCSPResponse to a request, as :func:`ocsp_answer` for the intl CA."""
    if request_der is None:
        return ocsp_error("malformed_request")
    try:
        with db.transaction() as session:
            return sm2_ocsp_respond(pki, SqlCertificateStore(session), request_der, now)
    except SQLAlchemyError:
        return ocsp_error("try_later")


def timestamp_reply(tsa: TimestampAuthority | Sm2TimestampAuthority,
                    request_der: bytes | None) -> bytes:
    """The TSA's ``TimeStampResp`` (DER) to a request; ``badDataFormat`` for one too large
    to read (None)."""
    if request_der is None:
        return rejection("bad_data_format", "request too large")
    return tsa.respond(request_der)

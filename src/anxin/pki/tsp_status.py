"""The status part of an RFC 3161 ``TimeStampResp``, shared by the intl TSA
(:mod:`anxin.pki.tsa`) and the SM2 TSA (:mod:`anxin.pki.sm2_tsa`) without either importing
the other's dependencies (pyHanko and the HTTP client stay out of the SM2 TSA).

>>> rejection("bad_alg", "SM3 only")[:2].hex()
'3015'
"""

from __future__ import annotations

from asn1crypto import tsp

from anxin import der


def rejection(fail_info: str, text: str) -> bytes:
    """A ``TimeStampResp`` with status ``rejection`` (fail_info: asn1crypto's bit names)."""
    # asn1crypto's TimeStampResp wrongly makes the token mandatory: wrap the status by hand.
    status: bytes = tsp.PKIStatusInfo({
        "status": "rejection",
        "status_string": tsp.PKIFreeText([text]),
        "fail_info": tsp.PKIFailureInfo({fail_info}),
    }).dump()
    return der.sequence(status)

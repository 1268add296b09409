"""What the intl TSA (:mod:`anxin.pki.tsa`) and the SM2 TSA (:mod:`anxin.pki.sm2_tsa`)
share of RFC 3161, without either importing the other's dependencies (pyHanko and the HTTP
client stay out of the SM2 TSA): reading a ``TimeStampReq`` (:func:`parse_request`, which
refuses anything a TSA must not sign), answering it (:func:`respond`: a token, or a
``TimeStampResp`` of status ``rejection``, never an exception) and the rejection itself.

>>> rejection("bad_alg", "SM3 only")[:2].hex()
'3015'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from asn1crypto import tsp

from anxin import der
from anxin.pki.serials import SerialSource, SerialUnavailable

MAX_REQUEST_BYTES = 16 * 1024
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


class Rejected(Exception):
    """A request the TSA refuses: ``fail_info`` (asn1crypto's bit name) and a text. Control
    flow inside :func:`respond`, which turns it into a rejection; it never escapes it."""

    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


@dataclass(frozen=True, slots=True)
class Request:
    imprint: tsp.MessageImprint
    nonce: int | None
    cert_req: bool


def parse_request(request_der: bytes, *, imprint_lengths: Mapping[str, int],
                  policy_oid: str, algorithms_text: str) -> Request:
    """The request, or :class:`Rejected`: too large or not DER (every element decoded: an
    element no field names is refused), not v1, an imprint algorithm not in
    ``imprint_lengths`` (asn1crypto name → digest length) or with parameters, a digest of
    the wrong length, another policy than ``policy_oid``, any extension."""
    if len(request_der) > MAX_REQUEST_BYTES:
        raise Rejected("bad_data_format", "request too large")
    try:
        req = tsp.TimeStampReq.load(request_der, strict=True)
        req.native  # noqa: B018 - decode every field: asn1crypto parses lazily, and a
        # field read by name alone lets an unknown element beside it pass unseen
        version = req["version"].native
        imprint = req["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        parameters = imprint["hash_algorithm"]["parameters"].native
        digest = imprint["hashed_message"].native
        policy = req["req_policy"].native
        nonce = req["nonce"].native
        cert_req = bool(req["cert_req"].native)
        extensions = req["extensions"].native
    except _PARSE_ERRORS:
        raise Rejected("bad_data_format", "not a DER TimeStampReq") from None
    if version != "v1":
        raise Rejected("bad_request", f"unsupported request version {version}")
    if algorithm not in imprint_lengths or parameters is not None:
        raise Rejected("bad_alg", f"unsupported hash algorithm {algorithm}; {algorithms_text}")
    if not isinstance(digest, bytes) or len(digest) != imprint_lengths[algorithm]:
        raise Rejected("bad_data_format",
                       f"a {algorithm} imprint is {imprint_lengths[algorithm]} bytes")
    if policy is not None and policy != policy_oid:
        raise Rejected("unaccepted_policy", f"this TSA only issues under {policy_oid}")
    if extensions:
        raise Rejected("unaccepted_extensions", "no request extension is supported")
    return Request(imprint, nonce, cert_req)


def respond(request_der: bytes, *, parse: Callable[[bytes], Request], serials: SerialSource,
            token: Callable[[Request, int], bytes]) -> bytes:
    """A DER ``TimeStampResp``: ``token(request, serial)``, or a rejection with a failure
    info (``systemFailure`` when no serial can be had)."""
    try:
        request = parse(request_der)
        serial = serials.next_serial()
    except Rejected as rejected:
        return rejection(rejected.fail_info, rejected.text)
    except SerialUnavailable:
        return rejection("system_failure", "serial numbers are unavailable, retry later")
    return token(request, serial)


def rejection(fail_info: str, text: str) -> bytes:
    """A ``TimeStampResp`` with status ``rejection`` (fail_info: asn1crypto's bit names)."""
    # asn1crypto's TimeStampResp wrongly makes the token mandatory: wrap the status by hand.
    status: bytes = tsp.PKIStatusInfo({
        "status": "rejection",
        "status_string": tsp.PKIFreeText([text]),
        "fail_info": tsp.PKIFailureInfo({fail_info}),
    }).dump()
    return der.sequence(status)

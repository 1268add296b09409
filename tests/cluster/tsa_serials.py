"""The serial numbers of every RFC 3161 token in a signed PDF: the signature time-stamp
of each signature (an unsigned attribute of its signer) and each document time-stamp
(a signature whose content is a TSTInfo)."""

from __future__ import annotations

import io

from asn1crypto import cms, tsp
from pyhanko.pdf_utils.reader import PdfFileReader


def _tst_serial(signed_data: cms.SignedData) -> int:
    content = signed_data["encap_content_info"]
    assert content["content_type"].native == "tst_info", content["content_type"].native
    info = content["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    return int(info["serial_number"].native)


def tsa_serials(pdf: bytes) -> list[int]:
    serials: list[int] = []
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_signatures:
        sd = sig.signed_data
        if sd["encap_content_info"]["content_type"].native == "tst_info":
            serials.append(_tst_serial(sd))
            continue
        for signer in sd["signer_infos"]:
            attrs = signer["unsigned_attrs"]
            if attrs.native is None:
                continue
            for attr in attrs:
                if attr["type"].native == "signature_time_stamp_token":
                    for token in attr["values"]:
                        serials.append(_tst_serial(token["content"]))
    return serials

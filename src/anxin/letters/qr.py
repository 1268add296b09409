"""The letter's verification QR code, drawn as vector squares (no image, PDF/A-safe).

The code is made by `segno` (ISO/IEC 18004) and drawn module by module, each row's dark
runs as one filled rectangle, so that it prints sharp at any size and adds no image
XObject or transparency to the PDF/A-3b letter. The payload is the letter's verification
address: ``<base>/verify?id=<authorization id>`` (:func:`verification_url`).

>>> verification_url("https://anxin.example/", "auth_01")
'https://anxin.example/verify?id=auth_01'
"""

from __future__ import annotations

from urllib.parse import quote

import segno
from fpdf import FPDF

QUIET_MODULES = 2  # a light border of two modules around the symbol (readers need one)


def verification_url(base_url: str, authorization_id: str) -> str:
    """Where a reader of the letter checks it: ``/verify`` with the letter's id."""
    return f"{base_url.rstrip('/')}/verify?id={quote(authorization_id, safe='')}"


def draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """``data`` as a QR code (error correction M or better) in the square at ``x``, ``y``
    (mm, top left) of side ``size``, quiet zone included."""
    matrix = segno.make(data, error="m", micro=False).matrix
    count = len(matrix) + 2 * QUIET_MODULES
    module = size / count
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        top = y + (r + QUIET_MODULES) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair of overlap: no light seams between rows when the page is rasterised.
            pdf.rect(x + (start + QUIET_MODULES) * module, top, (c - start) * module,
                     module + 0.02,
                     style="F")

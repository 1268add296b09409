"""The letter's verification QR code, drawn as vector squares (no image, PDF/A-safe).

The symbol is made by zxing-cpp's encoder (ISO/IEC 18004, error correction level M, its
data mask chosen by the standard's penalty rules) and drawn module by module, each row's
dark runs as one rectangle of a single filled path, so that it prints sharp at any size
and adds no image XObject or transparency to the PDF/A-3b letter. The payload is the
letter's verification address: ``<base>/verify?id=<authorization id>``
(:func:`verification_url`).

Why zxing-cpp and not segno (the first encoder here): segno is pure Python, and making the
symbol was 1.0 ms of a 7.5 ms zh-CN letter even with its mask fixed (ninth session,
``bench/render.py``; the mask evaluation had already been taken out); zxing-cpp's C++ makes
the same kind of symbol (version 5-M for an address of ~70 characters) in 0.2 ms. Its
segmentation of the payload differs from segno's, so the two symbols are not module for
module the same; both decode to the address with zxing-cpp and with zbar
(tests/integration/test_letter_documents.py reads the rasterised page with both). One path
instead of one ``rect`` call per run: fpdf2's ``rect`` cost more than the code itself; and
the path is written in module units under one ``cm`` (each run four small integers), since
formatting every run's four coordinates as decimals was most of what drawing still cost.

>>> verification_url("https://anxin.example/", "auth_01")
'https://anxin.example/verify?id=auth_01'
"""

from __future__ import annotations

import re
from urllib.parse import quote

import zxingcpp
from fpdf import FPDF

QUIET_MODULES = 2  # a light border of two modules around the symbol (readers need one)
_DARK_RUN = re.compile(rb"\x00+")  # a row's consecutive dark modules (zxing-cpp: 0 = dark)
ERROR_CORRECTION = "M"  # ISO/IEC 18004 level M: ~15 % of the codewords may be lost


def verification_url(base_url: str, authorization_id: str) -> str:
    """Where a reader of the letter checks it: ``/verify`` with the letter's id."""
    return f"{base_url.rstrip('/')}/verify?id={quote(authorization_id, safe='')}"


def qr_modules(data: str) -> list[bytes]:
    """The symbol of ``data`` (level M), quiet zone excluded: one ``bytes`` per row, a
    dark module ``0x00`` and a light one ``0xff``."""
    symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode,
                                     ec_level=ERROR_CORRECTION)
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    side = int(image.shape[0])
    # An 8-bit greyscale image, one pixel a module; it is a buffer (its stub omits it).
    pixels = bytes(image)  # type: ignore[call-overload]
    return [pixels[r * side:(r + 1) * side] for r in range(side)]


def draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """``data`` as a QR code (error correction M) in the square at ``x``, ``y`` (mm, top
    left) of side ``size``, quiet zone included."""
    matrix = qr_modules(data)
    count = len(matrix) + 2 * QUIET_MODULES
    module = size / count
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    k = pdf.k
    # Module units: one module square per unit, the symbol's top left at the origin, so
    # that each run is four short integers (formatting them cost more than the encoding).
    left, top = (x + QUIET_MODULES * module) * k, (pdf.h - y - QUIET_MODULES * module) * k
    # A hair of overlap: no light seams between rows when the page is rasterised.
    height = f"{1 + 0.02 / module:.3f}"
    runs = [f"q {module * k:.4f} 0 0 {-module * k:.4f} {left:.2f} {top:.2f} cm"]
    tail = f" {height} re"
    for r, row in enumerate(matrix):
        at_row = f" {r} "
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            runs.append(f"{start}{at_row}{end - start}{tail}")
    runs.append("f Q")
    pdf._out("\n".join(runs))  # one fill of every run (fpdf2's rect() writes the same ops)

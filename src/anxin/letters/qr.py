"""The letter's verification QR code, drawn as vector squares (no image, PDF/A-safe).

The code is made by `segno` (ISO/IEC 18004) and drawn module by module, each row's dark
runs as one rectangle of a single filled path, so that it prints sharp at any size and
adds no image XObject or transparency to the PDF/A-3b letter. The payload is the letter's
verification address: ``<base>/verify?id=<authorization id>`` (:func:`verification_url`).

The data mask is fixed (:data:`MASK`) rather than chosen per letter by segno's penalty
evaluation of all eight masks: that evaluation was a quarter of rendering a letter
(~7 ms), and every reader decodes any mask (the symbol's format information names it).
Mask 2 is the one the evaluation picks for three letter addresses in four (measured over
random authorization ids), so the symbols look as they did. One path instead of one
``rect`` call per run: fpdf2's ``rect`` cost more than the code itself; and the path is
written in module units under one ``cm`` (each run four small integers), since formatting
every run's four coordinates as decimals was most of what drawing still cost.

>>> verification_url("https://anxin.example/", "auth_01")
'https://anxin.example/verify?id=auth_01'
"""

from __future__ import annotations

import re
from urllib.parse import quote

import segno
from fpdf import FPDF

QUIET_MODULES = 2  # a light border of two modules around the symbol (readers need one)
_DARK_RUN = re.compile(rb"[^\x00]+")  # a row's consecutive dark modules
MASK = 2  # ISO/IEC 18004 data mask pattern 2 (module dark when column % 3 == 0, XORed)


def verification_url(base_url: str, authorization_id: str) -> str:
    """Where a reader of the letter checks it: ``/verify`` with the letter's id."""
    return f"{base_url.rstrip('/')}/verify?id={quote(authorization_id, safe='')}"


def draw_qr(pdf: FPDF, data: str, *, x: float, y: float, size: float) -> None:
    """``data`` as a QR code (error correction M or better) in the square at ``x``, ``y``
    (mm, top left) of side ``size``, quiet zone included."""
    matrix = segno.make(data, error="m", micro=False, mask=MASK).matrix
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
    for r, row in enumerate(matrix):
        for run in _DARK_RUN.finditer(bytes(row)):
            runs.append(f"{run.start()} {r} {run.end() - run.start()} {height} re")
    runs.append("f Q")
    pdf._out("\n".join(runs))  # one fill of every run (fpdf2's rect() writes the same ops)

"""The template editor's preview: the pages of a rendered letter PDF as PNG images.

The letter is drawn by the PDF renderer itself (anxin.letters.render, as when a request
is made); PDFium (``pypdfium2``) rasterises its pages, so what the operator sees is the
PDF, not an HTML imitation of it, and it shows on any browser (a phone shows no PDF
inside a page). Images go to the page as ``data:`` URLs, which the CSP allows.
"""

from __future__ import annotations

import base64
import io

import pypdfium2

SCALE = 1.4  # about 100 dpi: readable, about 100 kB a page
MAX_PAGES = 6


def preview_pages(pdf: bytes, *, scale: float = SCALE) -> list[str]:
    """``data:image/png;base64,…`` URLs of the first pages of ``pdf``."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        out = []
        for i in range(min(len(doc), MAX_PAGES)):
            page = doc[i]
            image = page.render(scale=scale).to_pil()
            buf = io.BytesIO()
            image.save(buf, format="PNG", optimize=True)
            out.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
            page.close()
        return out
    finally:
        doc.close()

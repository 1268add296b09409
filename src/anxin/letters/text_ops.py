"""One line of text in one font and one colour, written straight into an fpdf2 page.

fpdf2's ``cell`` is general: it normalises the text, splits it into styled fragments
(markdown, fallback fonts, page-number aliases, shaping), measures them, and handles
borders, fills, links, underlines and colour changes within the line. The letter's lines
need none of that, and ``cell`` was the largest single cost of rendering a letter after
the font work (0.49 s of 1.7 s in a profile of 50 zh-CN letters, ~28 lines each).
:func:`text_line` writes what ``cell(w, h, text, align=...)`` writes for such a line — the
same ``BT x y Td ... Tj ET`` at the same position, the font set on the page the way fpdf2
does it (so its resource catalog lists the font), the colour inside ``q``/``Q`` when it
differs from the fill colour, the same page break and the same new position — with the
glyph codes from the font's own fpdf2 :class:`~fpdf.fonts.SubsetMap` (so the embedded
subset, its ToUnicode map and the stamp that reuses them are unchanged), as a hex string.
"""

from __future__ import annotations

import weakref

from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

# Per document's subset map: character -> its glyph code as 4 hex digits (fpdf2's pick,
# once per distinct character instead of once per character shown).
_codes: weakref.WeakKeyDictionary[SubsetMap, dict[str, str]] = weakref.WeakKeyDictionary()


def text_line(pdf: FPDF, width: float, height: float, text: str, *, align: str = "L",
              next_line: bool = False) -> None:
    """``text`` on one line of a ``width`` x ``height`` cell at the current position.

    Like ``pdf.cell(width, height, text, align=align)`` (``width`` 0: to the right margin);
    with ``next_line`` the position then moves to the left margin of the next line
    (``new_x=LMARGIN, new_y=NEXT``), otherwise right of the cell.
    """
    if pdf.will_page_break(height):
        pdf._perform_page_break()
    if width == 0:
        width = pdf.w - pdf.r_margin - pdf.x
    font = pdf.current_font
    if text and isinstance(font, TTFFont):
        if not pdf.current_font_is_set_on_page:
            pdf._out(pdf._set_font_for_page(font, pdf.font_size_pt))
        _draw(pdf, font, width, height, text, align)
    pdf._lasth = height
    if next_line:
        pdf.x = pdf.l_margin
        pdf.y += height
    else:
        pdf.x += width


def _draw(pdf: FPDF, font: TTFFont, width: float, height: float, text: str,
          align: str) -> None:
    size_pt = pdf.font_size_pt
    known = _codes.get(font.subset)
    if known is None:
        known = _codes[font.subset] = {}
    for char in dict.fromkeys(text):  # in order of first use, which numbers the glyphs
        if char not in known:
            known[char] = f"{font.subset.pick(ord(char)) or 0:04X}"
    codes = "".join(map(known.__getitem__, text))
    if align == "L":
        dx = pdf.c_margin
    else:
        cw = font.cw
        text_w = sum(cw[ord(c)] for c in text) * size_pt * 0.001 / pdf.k
        dx = (width - text_w) / 2 if align == "C" else width - pdf.c_margin - text_w
        if size_pt > font.biggest_size_pt:
            font.biggest_size_pt = size_pt
    k = pdf.k
    ops = (f"BT {(pdf.x + dx) * k:.2f} "
           f"{(pdf.h - pdf.y - 0.5 * height - 0.3 * pdf.font_size) * k:.2f} Td")
    color = pdf.text_color
    if color is not None and color != pdf.fill_color:
        pdf._out(f"q {ops} {color.serialize().lower()} <{codes}> Tj ET Q")
    else:
        pdf._out(f"{ops} <{codes}> Tj ET")

"""Line breaking for the letter: linear, CJK-aware, using the font's advance widths.

fpdf2's ``multi_cell`` re-measures the growing line for every character, which made it the
largest cost of rendering a letter. Here each unit is measured once: a run of Latin letters
and digits (never split unless longer than a line), or a single other character (a CJK
ideograph may end a line anywhere). Closing punctuation never starts a line (kinsoku): it
stays at the end of the previous one, which may then overhang by that one mark.

>>> wrap_lines("授权书", {ord(c): 1000 for c in "授权书"}, size_pt=10, width_mm=8)
['授权', '书']
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_UNITS = re.compile(r"[A-Za-z0-9@#$%&*_+=/\\.\-]+|\s|.", re.DOTALL)
_NO_LINE_START = set("，。、；：？！）》」』”’,.;:?!)]}%")
_PT_TO_MM = 25.4 / 72


def wrap_lines(text: str, widths: Mapping[int, float], *, size_pt: float,
               width_mm: float) -> list[str]:
    """``text`` (one paragraph) broken into lines no wider than ``width_mm``.

    ``widths`` maps code points to advance widths in 1/1000 em (fpdf2's ``TTFFont.cw``).
    An empty paragraph is one empty line.
    """
    scale = size_pt / 1000 * _PT_TO_MM
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for unit in _UNITS.findall(text):
        # Most units of a Chinese letter are one character: no generator for those.
        unit_width = (widths[ord(unit)] if len(unit) == 1
                      else sum(widths[ord(c)] for c in unit)) * scale
        if current and used + unit_width > width_mm and unit not in _NO_LINE_START:
            if unit.isspace():
                lines.append("".join(current).rstrip())
                current, used = [], 0.0
                continue
            lines.append("".join(current).rstrip())
            current, used = [], 0.0
        if not current and unit.isspace():
            continue
        if not current and unit_width > width_mm and len(unit) > 1:
            lines.extend(_split_long(unit, widths, scale, width_mm, lines_out=current))
            used = sum(widths[ord(c)] for c in "".join(current)) * scale
            continue
        current.append(unit)
        used += unit_width
    lines.append("".join(current).rstrip())
    return lines


def _split_long(unit: str, widths: Mapping[int, float], scale: float, width_mm: float, *,
                lines_out: list[str]) -> list[str]:
    """Break a run wider than a line by characters; the remainder goes to ``lines_out``."""
    full, piece, used = [], "", 0.0
    for char in unit:
        char_width = widths[ord(char)] * scale
        if piece and used + char_width > width_mm:
            full.append(piece)
            piece, used = "", 0.0
        piece += char
        used += char_width
    lines_out.append(piece)
    return full

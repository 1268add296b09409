"""The letter's CJK font, parsed once per process and cut to size per letter.

fpdf2's ``add_font`` parses the whole WenQuanYi Micro Hei face (49,531 glyphs) on every
call, and its output step then subsets that same ``TTFont`` *in place* with fontTools —
together about 200 ms per letter, and the parsed font cannot be reused afterwards.

Here the face is parsed once (:func:`cjk_face`) into a :class:`ParsedFace`: the metrics
fpdf2 needs for layout (shared read-only by every document) and the raw bytes of each
glyph. For each letter :func:`attach_cjk_font` hands fpdf2 a ``TTFFont`` that shares those
metrics, and at output the letter's producer embeds :func:`subset_program`, a font
program written byte by byte from the glyphs the letter uses (:mod:`.sfnt`); the PDF
font objects (widths, ToUnicode, CIDToGIDMap) are written by
:mod:`.font_objects`, not by fpdf2's generic font path. Measured here: ~200 ms of font work
per letter → a few ms (the subset's glyf table and its deflate are most of what is left).

The font program is deflated by ISA-L (python-isal's ``isal_zlib``, a zlib-format stream
any PDF reader inflates) at its level 2 (:data:`FONT_STREAM_LEVEL`), not by zlib: glyph
outlines hardly compress (49 KB → 33 KB at zlib's level 1, 32 KB at 6, 34 KB at ISA-L's 2),
and zlib's level 6 took 6 ms of a ~13 ms letter, its level 1 0.8–1.1 ms of a 7.5 ms one
(ninth session); ISA-L's level 2 takes 0.13 ms (:mod:`.font_objects` writes the stream).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fontTools import ttLib  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.fonts import Glyph, SubsetMap, TTFFont

from anxin.letters.sfnt import GlyphBank, build_subset, composite_components, glyph_closure

CJK_FAMILY = "wqy-microhei"
_FONT_PACKAGE = "paperang_p2_fonts_cjk"
_FONT_FILE = "fonts/wqy-microhei.ttc"
# Tables copied verbatim into each miniature (the hinting programs and global metrics).
_COPIED_TABLES = ("head", "hhea", "maxp", "OS/2", "cvt ", "fpgm", "prep", "gasp", "name")
# ISA-L's deflate level (0-3) of embedded font programs (font_objects.FontStream).
FONT_STREAM_LEVEL = 2


@dataclass(frozen=True)
class ParsedFace:
    """One parsed font face: fpdf2's layout data and every glyph's raw outline."""

    prototype: TTFFont
    glyph_order: tuple[str, ...]
    glyph_index: dict[str, int]
    raw_glyphs: tuple[bytes, ...]
    metrics: dict[str, tuple[int, int]]
    raw_tables: dict[str, bytes]
    post_header: bytes
    codepoints: dict[int, tuple[int, ...]]  # by glyph id
    components: dict[int, tuple[int, ...]]
    bank: GlyphBank
    # Code point -> fpdf2's Glyph for it (None: the face lacks it), filled on first use
    # by FaceSubsetMap: the values depend on the face alone, so every document shares them.
    glyphs: dict[int, Glyph | None] = field(default_factory=dict)


_face_lock = threading.Lock()
_face: ParsedFace | None = None


def cjk_face() -> ParsedFace:
    """The process-wide parsed CJK face (parsed on first use, then reused)."""
    global _face  # a lazily built, immutable per-process cache
    if _face is not None:  # once parsed, no lock (6 % of the layout's py-spy samples)
        return _face
    with _face_lock:
        if _face is None:
            _face = _parse_face()
        return _face


def _parse_face() -> ParsedFace:
    path = resources.files(_FONT_PACKAGE).joinpath(_FONT_FILE)
    with resources.as_file(path) as font_path:
        holder = FPDF()
        holder.add_font(CJK_FAMILY, "", font_path)
        prototype = holder.fonts[CJK_FAMILY]
        assert isinstance(prototype, TTFFont)
        tt = prototype.ttfont  # fontTools' parse of the face: its tables are read here
        assert isinstance(tt, ttLib.TTFont)
        order = tuple(tt.getGlyphOrder())
        loca = tt["loca"]
        glyf_data = tt.reader["glyf"]
        raw_glyphs = tuple(bytes(glyf_data[loca[i]:loca[i + 1]]) for i in range(len(order)))
        metrics = dict(tt["hmtx"].metrics)
        raw_tables = {tag: bytes(tt.reader[tag]) for tag in _COPIED_TABLES if tag in tt.reader}
        post_header = bytes(tt.reader["post"][:32])
        codepoints: dict[str, list[int]] = {}
        for codepoint, name in prototype.cmap.items():
            codepoints.setdefault(name, []).append(codepoint)
    glyph_index = {name: i for i, name in enumerate(order)}
    components = composite_components(raw_glyphs)
    return ParsedFace(prototype=prototype, glyph_order=order,
                      glyph_index=glyph_index,
                      raw_glyphs=raw_glyphs, metrics=metrics, raw_tables=raw_tables,
                      post_header=post_header,
                      codepoints={glyph_index[n]: tuple(cps) for n, cps in codepoints.items()},
                      components=components,
                      bank=GlyphBank(order, raw_glyphs, metrics, components))


def attach_cjk_font(pdf: FPDF, face: ParsedFace) -> None:
    """Register the face on ``pdf`` under :data:`CJK_FAMILY` without parsing anything."""
    proto = face.prototype
    font: Any = TTFFont.__new__(TTFFont)
    for attr in TTFFont.__slots__:
        if hasattr(proto, attr):
            setattr(font, attr, getattr(proto, attr))
    font.i = len(pdf.fonts) + 1
    font.ttfont = None  # never read: the producer embeds subset_program (font_objects)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.color_font = None
    font.subset = FaceSubsetMap(font, face.glyphs)
    pdf.fonts[CJK_FAMILY] = font


class FaceSubsetMap(SubsetMap):
    """fpdf2's :class:`~fpdf.fonts.SubsetMap` (the same glyph codes, in the same order of
    first use), with ``pick`` as two dictionary look-ups: fpdf2's goes through two
    ``functools.cache`` wrappers and builds a new ``Glyph`` per character and document,
    a third of laying out a zh-CN letter (~235 distinct characters, 1.1 ms of 3.4 ms,
    ninth session). The ``Glyph`` of a code point is the face's (``ParsedFace.glyphs``),
    made once per process."""

    def __init__(self, font: TTFFont, glyphs: dict[int, Glyph | None]) -> None:
        self._glyphs = glyphs
        self._cid_of: dict[int, int | None] = {}
        super().__init__(font)

    def pick(self, unicode: int) -> int | None:  # type: ignore[override]
        if unicode in self._cid_of:
            return self._cid_of[unicode]
        if unicode in self._glyphs:
            glyph = self._glyphs[unicode]
        else:
            glyph = self._glyphs[unicode] = _glyph_for(self, unicode)
        if glyph is None and unicode not in self.font.missing_glyphs:
            self.font.missing_glyphs.append(unicode)
        cid = self._cid_of[unicode] = self.pick_glyph(glyph)
        return cid


def _glyph_for(subset: SubsetMap, unicode: int) -> Glyph | None:
    """fpdf2's own ``get_glyph`` for ``unicode``, without its process-wide cache."""
    result: Glyph | None = SubsetMap.get_glyph.__wrapped__(subset, unicode=unicode)
    return result


def subset_program(face: ParsedFace, glyph_names: Iterable[str]) -> tuple[list[str], bytes]:
    """The letter's font program, the byte-level subset of :mod:`.sfnt`, and its glyph
    order: ``.notdef``, the glyphs asked for in the face's order, then the parts their
    composites use (after them, so that the ids of the glyphs asked for do not depend on
    which composites there are). The order numbers the glyphs of the CIDToGIDMap.

    It was a fontTools ``TTFont`` for fpdf2's output step to save; with the font objects
    written by :mod:`.font_objects` nothing reads it as one, and its closure of the
    composites was computed twice (6 % of rendering a zh-CN letter with
    ``TTFont.__init__``, tenth session)."""
    index = face.glyph_index
    asked = sorted({index[n] for n in glyph_names if n in index} - {0})
    parts = glyph_closure(face.components, {0, *asked}) - {0, *asked}
    gids = [0, *asked, *sorted(parts)]
    order = [".notdef", *(face.glyph_order[g] for g in gids[1:])]
    return order, build_subset(gids=gids, bank=face.bank, codepoints=face.codepoints,
                               raw_tables=face.raw_tables, post_header=face.post_header)

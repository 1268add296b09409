"""The PDF objects of the letter font (Type0 → CIDFontType2 → descriptor, ToUnicode,
CIDToGIDMap, FontFile2), written for the one font and the subset we already have.

fpdf2's ``OutputProducer._add_fonts`` is generic (colour, CFF and core fonts, fontTools'
subsetter); for our TrueType face it would still run its subsetter on an (empty) prebuilt
subset, number the glyphs through fontTools, and write a CIDToGIDMap of all 65,536 CIDs
(128 KiB, deflated at zlib's default level), for a map whose used part is the few hundred
CIDs of the letter. In a profile of 50 zh-CN letters that was 0.53 s of 1.7 s. Here the
same objects with the same values are written from the document's fpdf2
:class:`~fpdf.fonts.SubsetMap` and :func:`~anxin.letters.font.subset_program`: widths by
fpdf2's own ``_tt_font_widths``, the ToUnicode CMap in fpdf2's form (the stamp and the
tests read its ``bfchar`` pairs), the font program of :mod:`.sfnt` (unchanged bytes), and
a CIDToGIDMap that ends at the highest CID used (a shorter map is allowed: the CIDs after
it, never shown, map to glyph 0).
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Sequence

from fpdf.fonts import TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFFont,
    _tt_font_widths,
)
from fpdf.syntax import Name, PDFArray, PDFContentStream
from isal import isal_zlib

from anxin.letters.font import FONT_STREAM_LEVEL, cjk_face, subset_program

_BLOCK = 100  # entries per bfchar block (the CMap limit)


def add_font_objects(producer: OutputProducer, font: TTFFont) -> PDFFont:
    """Add the objects of ``font`` (its document's subset) to ``producer``; the Type0 font."""
    glyphs = [(glyph, cid) for glyph, cid in font.subset.items() if glyph is not None]
    order, program = subset_program(cjk_face(), {glyph.glyph_name for glyph, _ in glyphs})
    gid_of = {name: gid for gid, name in enumerate(order)}
    fontname = f"MPDFAA+{font.name}"

    type0 = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
    producer._add_pdf_obj(type0, "fonts")
    cid_font = PDFFont(subtype="CIDFontType2", base_font=fontname,
                       d_w=font.desc.missing_width, w=_tt_font_widths(font))
    producer._add_pdf_obj(cid_font, "fonts")
    type0.descendant_fonts = PDFArray([cid_font])

    to_unicode = PDFContentStream(_to_unicode_cmap(glyphs).encode("latin-1"))
    producer._add_pdf_obj(to_unicode, "fonts")
    type0.to_unicode = to_unicode

    system_info = CIDSystemInfo()
    producer._add_pdf_obj(system_info, "fonts")
    cid_font.c_i_d_system_info = system_info

    descriptor = copy.copy(font.desc)  # the face's descriptor is shared by every letter
    descriptor.font_name = Name(fontname)
    producer._add_pdf_obj(descriptor, "fonts")
    cid_font.font_descriptor = descriptor

    cid_to_gid = bytearray(2 * (max(cid for _, cid in glyphs) + 1))
    for glyph, cid in glyphs:
        struct.pack_into(">H", cid_to_gid, 2 * cid, gid_of.get(glyph.glyph_name, 0))
    cid_map = PDFContentStream(contents=bytes(cid_to_gid), compress=True)
    producer._add_pdf_obj(cid_map, "fonts")
    cid_font.c_i_d_to_g_i_d_map = cid_map

    font_file = FontStream(program)
    producer._add_pdf_obj(font_file, "fonts")
    descriptor.font_file2 = font_file  # type: ignore[attr-defined]
    # fpdf2 clears these (process-wide) caches after each document; so do we (a
    # FaceSubsetMap's pick has no such cache: its entries are the document's own).
    if hasattr(font.subset.pick, "cache_clear"):
        font.subset.pick.cache_clear()
    font.subset.get_glyph.cache_clear()
    return type0


class FontStream(PDFContentStream):
    """A ``FontFile2`` stream: the program deflated by ISA-L (:data:`FONT_STREAM_LEVEL`)
    with its inflated length as ``/Length1``, the objects fpdf2's ``PDFFontStream``
    writes with zlib (anxin.letters.font says why not zlib)."""

    def __init__(self, program: bytes) -> None:
        super().__init__(contents=isal_zlib.compress(program, FONT_STREAM_LEVEL))
        self.filter = Name("FlateDecode")
        self.length1 = len(program)


# The UTF-16BE hex of a glyph's code points, made once per process: the face's glyphs are
# the same in every letter, their CIDs are the document's (tenth session: the hex was
# half of the CMap's time).
_UTF16_HEX: dict[tuple[int, ...], str] = {}


def _to_unicode_cmap(glyphs: Sequence[tuple[object, int]]) -> str:
    """fpdf2's ToUnicode CMap: ``<CID> <UTF-16BE>`` pairs in blocks of at most 100."""
    pairs = []
    for glyph, cid in glyphs:
        codes = getattr(glyph, "unicode", None)
        if isinstance(codes, tuple) and codes:
            hex_codes = _UTF16_HEX.get(codes)
            if hex_codes is None:
                hex_codes = _UTF16_HEX[codes] = "".join(map(_utf16_hex, codes))
            pairs.append(f"<{cid:04X}> <{hex_codes}>\n")
    blocks = "".join(
        f"{len(chunk)} beginbfchar\n{''.join(chunk)}endbfchar\n"
        for chunk in (pairs[i:i + _BLOCK] for i in range(0, len(pairs), _BLOCK)))
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{blocks}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")


def _utf16_hex(code: int) -> str:
    if code > 0xFFFF:  # a surrogate pair
        return f"{0xD800 | (code - 0x10000) >> 10:04X}{0xDC00 | (code & 0x3FF):04X}"
    return f"{code:04X}"

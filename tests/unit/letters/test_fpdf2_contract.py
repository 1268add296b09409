"""Golden test: what the letter font code relies on in fpdf2 (and fontTools) internals.

``anxin.letters.font`` and ``anxin.letters.render`` go under fpdf2's public API: they
build a ``TTFFont`` by copying its ``__slots__`` (``attach_cjk_font``), embed our
byte-level subset (``subset_program``, written by ``anxin.letters.sfnt``), override the
private ``OutputProducer._add_fonts`` (``_PrebuiltSubsetProducer``) to write the font's
objects with fpdf2's classes (``anxin.letters.font_objects``), and write lines of text
with fpdf2's private page state (``anxin.letters.text_ops``). An fpdf2 upgrade may change
any of that without a word. This file fails loudly, saying what to re-check, when:

* an attribute, method or class we use is gone or renamed (checked by name);
* the embedded font program or fpdf2's CID→GID map of a fixed letter changes by one byte
  (pinned SHA-256, rendered with the pinned fpdf2 and fontTools versions below);
* the text no longer maps to the right glyphs (ToUnicode → CID → CIDToGIDMap → glyph of
  the embedded font's own cmap, for every character of the letter) — checked whatever
  the hashes say, so a deliberate re-pin cannot hide a broken letter.

After an upgrade: re-check ``letters/font.py`` (``attach_cjk_font``, ``subset_program``),
``letters/font_objects.py`` and ``letters/text_ops.py`` against fpdf2's
``fpdf/fonts.py`` (``TTFFont``, ``SubsetMap``), ``fpdf/output.py`` (``_add_fonts``) and
``fpdf/fpdf.py`` (``cell``);
once the semantic test passes and letters still verify (tests/unit/letters,
tests/integration/test_letter_signing.py), re-pin the hashes and versions here.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import re
from io import BytesIO
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import OutputProducer
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.letters.render import render_letter_pdf
from tests.common.letters import EN_TEXT, ZH_TEXT, letter_spec

PINNED_WITH = {"fpdf2": "2.8.9", "fonttools": "4.68.0"}
# SHA-256 of the embedded FontFile2 and of the descendant font's /CIDToGIDMap stream
# (re-pinned for issue 15: the footer, seal area and stamp's server-time label add glyphs).
GOLDEN = {
    "zh-CN": ("ffd04ef981f56aed998df590f16767b34176f583796075344ab7127626ce5094",
              "6a608b1d54e6c835ebb0ada80a4b940caa6d92f4b488fbca3d50bbeb30a899f5"),
    "en": ("722c63375ae1fff7ce633cbfdf6150fa6196b082698416bb749cc0b1bb8472c3",
           "47fae5ce874c9e7662806fae36d25d611e1cb8db7a9c37fd5dfb964052d02701"),
}
RECHECK = ("re-check anxin/letters/font.py (attach_cjk_font, subset_program), "
           "anxin/letters/font_objects.py and anxin/letters/text_ops.py against fpdf2's "
           "fonts.py, output.py and fpdf.py; see this file's docstring")

# What attach_cjk_font sets or copies on a TTFFont, and render/layout read from it.
TTFFONT_SLOTS_USED = ("i", "ttfont", "missing_glyphs", "biggest_size_pt", "_hbfont",
                      "color_font", "subset", "cmap", "cw", "desc", "name", "type",
                      "fontkey", "glyph_ids", "scale", "up", "ut", "sp", "ss")


def _versions() -> str:
    have = {d: importlib.metadata.version(d) for d in PINNED_WITH}
    return f"pinned with {PINNED_WITH}, running {have}"


def _descendant(pdf: bytes) -> tuple[Any, Any]:
    reader = PdfFileReader(BytesIO(pdf))
    fonts = reader.root["/Pages"]["/Kids"][0]["/Resources"]["/Font"]
    font = fonts[next(iter(fonts))]
    return font, font["/DescendantFonts"][0]


def test_the_fpdf2_names_we_use_are_there() -> None:
    missing = [s for s in TTFFONT_SLOTS_USED if s not in TTFFont.__slots__]
    assert not missing, f"fpdf2's TTFFont lost slots {missing} ({_versions()}): {RECHECK}"
    assert list(inspect.signature(SubsetMap.__init__).parameters) == ["self", "font"], \
        f"SubsetMap(font) changed ({_versions()}): {RECHECK}"
    assert callable(getattr(SubsetMap, "get_all_glyph_names", None)), \
        f"SubsetMap.get_all_glyph_names is gone ({_versions()}): {RECHECK}"
    assert "output_producer_class" in inspect.signature(FPDF.output).parameters, \
        f"FPDF.output(output_producer_class=…) is gone ({_versions()}): {RECHECK}"
    assert callable(getattr(OutputProducer, "_add_fonts", None)), \
        f"OutputProducer._add_fonts is gone ({_versions()}): {RECHECK}"
    assert "fonts" in inspect.signature(FPDF.__init__).parameters or hasattr(FPDF(), "fonts")


def test_the_font_object_names_we_use_are_there() -> None:
    """anxin.letters.font_objects writes the font's objects with fpdf2's own classes and
    widths function, and registers them through the producer's ``_add_pdf_obj``."""
    from fpdf import output

    for name in ("PDFFont", "CIDSystemInfo", "_tt_font_widths"):
        assert callable(getattr(output, name, None)), \
            f"fpdf.output.{name} is gone ({_versions()}): {RECHECK}"
    assert callable(getattr(OutputProducer, "_add_pdf_obj", None)), \
        f"OutputProducer._add_pdf_obj is gone ({_versions()}): {RECHECK}"
    for attr in ("descendant_fonts", "to_unicode", "c_i_d_system_info", "font_descriptor",
                 "c_i_d_to_g_i_d_map"):
        assert hasattr(output.PDFFont("Type0", "X"), attr), \
            f"fpdf2's PDFFont lost {attr} ({_versions()}): {RECHECK}"
    for method in ("pick", "get_glyph"):
        assert callable(getattr(getattr(SubsetMap, method), "cache_clear", None)), \
            f"SubsetMap.{method} is no longer cached ({_versions()}): {RECHECK}"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_character_maps_to_its_own_glyph(locale: str) -> None:
    """ToUnicode (CID → text) and CIDToGIDMap (CID → glyph) agree with the embedded
    font's own cmap (text → glyph) for every character the letter shows."""
    font, descendant = _descendant(render_letter_pdf(letter_spec(locale)))
    embedded = TTFont(BytesIO(descendant["/FontDescriptor"]["/FontFile2"].data))
    cmap, order = embedded.getBestCmap(), embedded.getGlyphOrder()
    cmap_text = font["/ToUnicode"].data.decode("ascii")
    bfchars = re.findall(r"beginbfchar(.*?)endbfchar", cmap_text, re.S)
    assert bfchars, f"fpdf2's ToUnicode has no bfchar section ({_versions()}): {RECHECK}"
    to_unicode = dict(re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4,})>", "".join(bfchars)))
    cid_to_gid = descendant["/CIDToGIDMap"].data
    text = ZH_TEXT if locale == "zh-CN" else EN_TEXT
    checked = 0
    for cid_hex, uni_hex in to_unicode.items():
        cid, char = int(cid_hex, 16), chr(int(uni_hex, 16))
        gid = int.from_bytes(cid_to_gid[2 * cid:2 * cid + 2], "big")
        assert ord(char) in cmap, f"{char!r} is not in the embedded font ({_versions()}): {RECHECK}"
        assert order[gid] == cmap[ord(char)], \
            f"CID {cid} ({char!r}) draws glyph {order[gid]}, not {cmap[ord(char)]}: " \
            f"fpdf2 numbers glyphs differently from subset_program ({_versions()}): {RECHECK}"
        checked += 1
    shown = {c for c in text if not c.isspace()}
    assert shown <= {chr(int(u, 16)) for u in to_unicode.values()}
    assert checked >= len(shown)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_embedded_font_program_and_cid_map_are_the_pinned_ones(locale: str) -> None:
    _font, descendant = _descendant(render_letter_pdf(letter_spec(locale)))
    program = descendant["/FontDescriptor"]["/FontFile2"].data
    want, want_map = GOLDEN[locale]
    # The map ends at the highest CID used; padded to all 65,536 CIDs (the rest map to
    # glyph 0) it is the one fpdf2's generic path wrote, which GOLDEN pins.
    full_map = descendant["/CIDToGIDMap"].data.ljust(2 * 65536, b"\0")
    assert hashlib.sha256(full_map).hexdigest() == want_map, \
        f"fpdf2's CID→GID map of the {locale} letter changed ({_versions()}): {RECHECK}"
    assert hashlib.sha256(program).hexdigest() == want, \
        f"the {locale} letter's embedded font program changed ({_versions()}). If fpdf2 or " \
        f"fontTools was upgraded: {RECHECK}. If anxin/letters/sfnt.py changed on purpose: " \
        f"re-pin GOLDEN after test_every_character_maps_to_its_own_glyph passes."

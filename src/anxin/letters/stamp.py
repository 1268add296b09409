"""The visible signature stamp, drawn with the letter's own embedded CJK font.

The letter already embeds a subset of WenQuanYi Micro Hei that includes the stamp's
characters (:data:`anxin.letters.render.STAMP_CHARACTERS` plus the signer's name, which
the key terms print). The stamp's form XObject refers to that font object and encodes its
text through the font's ``/ToUnicode`` map, so signing embeds no second font and runs no
font subsetter. A character the letter's font lacks is refused (``stamp_glyph_missing``)
rather than drawn as a blank.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import Any, cast

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.letters.render import PRODUCT_NAME, SIGNATURE_BOX

generic: Any = _generic  # pyHanko's generic objects are untyped constructors
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,8})>")
_CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
# The time drawn here is the server's clock when the person confirmed: the trusted time
# (the TSA's genTime) cannot be inside the signed revision, since the token is taken over
# the signature; the report, the portal and /verify show it as the trusted signing time.
_LABELS = {
    "zh-CN": ("签署人", "签署时间（服务器时间）", "签署方式",
              f"由{PRODUCT_NAME}平台电子签名 (PAdES)"),
    "en": ("Signed by", "Time (server time)", "Method",
           f"Electronically signed via {PRODUCT_NAME} (PAdES)"),
}


def _locale_of(text: str) -> str:
    return "zh-CN" if any(ord(c) >= 0x2E80 for c in text) else "en"


def _letter_font(writer: IncrementalPdfFileWriter) -> tuple[Any, dict[bytes, bytes]]:
    """The last page's Type0 font with a ToUnicode map, and the map itself: a character's
    UTF-16BE in hex → its 2-byte code in hex (only the stamp's few characters are ever
    looked up, so the map's ~400 entries are not decoded)."""
    pages = writer.root["/Pages"]
    page = pages["/Kids"][-1].get_object()
    while page.get("/Type") == "/Pages":
        page = page["/Kids"][-1].get_object()
    holder = page if "/Resources" in page else pages
    if "/Resources" not in holder or "/Font" not in holder["/Resources"]:
        raise ValidationFailed("the letter's last page has no fonts", code=Code.STAMP_FONT_MISSING)
    fonts: Any = holder["/Resources"]["/Font"]
    for name in fonts:
        ref = fonts.raw_get(name)
        font = ref.get_object()
        if font.get("/Subtype") == "/Type0" and "/ToUnicode" in font:
            return ref, tounicode_codes(font["/ToUnicode"].data)
    raise ValidationFailed("the letter has no embedded Unicode font for the stamp",
                           code=Code.STAMP_FONT_MISSING)


def tounicode_codes(cmap: bytes) -> dict[bytes, bytes]:
    """A ToUnicode CMap's ``bfchar`` pairs as UTF-16BE hex (upper case) → code hex; the
    first code of a character wins."""
    return {text: code for code, text in reversed(_BFCHAR.findall(cmap.upper()))}


def _utf16_hex(char: str) -> bytes:
    return char.encode("utf-16-be").hex().upper().encode("ascii")


def _encode(text: str, codes: dict[bytes, bytes]) -> bytes:
    found = [codes.get(_utf16_hex(c)) for c in text]
    if None in found:
        missing = sorted({c for c, code in zip(text, found, strict=True) if code is None})
        raise ValidationFailed(
            f"the letter's font lacks the stamp characters {''.join(missing)!r}",
            code=Code.STAMP_GLYPH_MISSING)
    return b"<" + b"".join(cast(list[bytes], found)) + b">"


def build_stamp_appearance(writer: IncrementalPdfFileWriter, *, signer_name: str,
                           signing_time: dt.datetime, method_label: str,
                           footer: str | None = None) -> Any:
    """The ``/AP`` dictionary of the signature widget (a form XObject added to ``writer``).

    ``footer`` replaces the last line (which names the signature format, PAdES by default).
    """
    font_ref, codes = _letter_font(writer)
    width, height = stamp_size()
    stream = generic.StreamObject({
        pdf_name("/Type"): pdf_name("/XObject"),
        pdf_name("/Subtype"): pdf_name("/Form"),
        pdf_name("/BBox"): generic.ArrayObject(
            [generic.FloatObject(0), generic.FloatObject(0),
             generic.FloatObject(width), generic.FloatObject(height)]),
        pdf_name("/Resources"): generic.DictionaryObject({
            pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font_ref})}),
        pdf_name("/Filter"): pdf_name("/FlateDecode"),
    }, encoded_data=stamp_content(codes, signer_name=signer_name, signing_time=signing_time,
                                  method_label=method_label, footer=footer))
    return generic.DictionaryObject({pdf_name("/N"): writer.add_object(stream)})


def stamp_size() -> tuple[float, float]:
    """Width and height of the stamp (the letter's signature box)."""
    return SIGNATURE_BOX[2] - SIGNATURE_BOX[0], SIGNATURE_BOX[3] - SIGNATURE_BOX[1]


def stamp_content(codes: dict[bytes, bytes], *, signer_name: str, signing_time: dt.datetime,
                  method_label: str, footer: str | None = None) -> bytes:
    """The stamp's content stream, Flate-compressed, drawing with font ``/F1`` whose
    ToUnicode ``codes`` (:func:`tounicode_codes`) encode the text."""
    name_label, time_label, method_title, default_footer = _LABELS[_locale_of(method_label)]
    footer = default_footer if footer is None else footer
    local = signing_time.astimezone(_CHINA_TZ)
    lines = [
        (11.0, f"{name_label}: {signer_name}"),
        (8.0, f"{time_label}: {local:%Y-%m-%d %H:%M:%S} UTC+8"),
        (8.0, f"{method_title}: {method_label}"),
        (6.5, footer),
    ]
    width, height = stamp_size()
    ops = [b"q 0.13 0.33 0.62 RG 1.2 w 1 1 %.2f %.2f re S Q" % (width - 2, height - 2),
           b"BT 0.13 0.33 0.62 rg"]
    y = height - 20.0
    for size, text in lines:
        ops.append(b"/F1 %.1f Tf 1 0 0 1 8 %.2f Tm %s Tj" % (size, y, _encode(text, codes)))
        y -= size + 9.0
    ops.append(b"ET")
    return zlib.compress(b"\n".join(ops))

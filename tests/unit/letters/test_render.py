"""The letter PDF: content, Chinese text extraction, determinism, font reuse."""

from __future__ import annotations

import dataclasses
import re
from io import BytesIO

import pytest
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.errors import ValidationFailed
from anxin.letters.font import cjk_face
from anxin.letters.pdfa import read_letter_properties
from anxin.letters.render import LETTER_TEXT_ATTACHMENT, render_letter_pdf
from tests.common.letters import EN_TEXT, ZH_TEXT, letter_spec, pdftotext


def _squash(text: str) -> str:
    """Text without whitespace: line wrapping inserts breaks between CJK characters."""
    return re.sub(r"\s+", "", text)


def test_chinese_letter_text_extracts_back_exactly(tmp_path):
    spec = letter_spec("zh-CN")
    extracted = pdftotext(render_letter_pdf(spec), tmp_path)
    for paragraph in ZH_TEXT.split("\n"):
        assert _squash(paragraph) in _squash(extracted)
    for term in ("个人信用信息查询授权书", "被授权机构", "某某银行股份有限公司", "授权用途",
                 "贷款审批", "数据范围", "个人征信报告、个人信用评分", "可使用次数", "3次",
                 "2026年11月28日", "授权编号", spec.authorization_id, spec.letter_sha256,
                 "第1/1页"):
        assert _squash(term) in _squash(extracted), term


def test_english_letter_text_extracts_back_exactly(tmp_path):
    spec = letter_spec("en")
    extracted = " ".join(pdftotext(render_letter_pdf(spec), tmp_path).split())
    for paragraph in EN_TEXT.split("\n"):
        assert " ".join(paragraph.split()) in extracted
    for term in ("Key terms", "Institution", "Example Bank Ltd.", "Purpose", "Loan approval",
                 "Data scope", "Credit report, Credit score", "Number of uses", "Valid",
                 "2026-11-28 17:00 (UTC+8)", "Page 1 of 1", spec.letter_sha256):
        assert term in extracted, term


def test_long_letter_numbers_its_pages(tmp_path):
    text = "\n".join([ZH_TEXT] * 12)
    extracted = _squash(pdftotext(render_letter_pdf(letter_spec(text=text)), tmp_path))
    numbers = re.findall(r"第(\d+)/(\d+)页", extracted)
    total = int(numbers[0][1])
    assert total >= 2
    assert numbers == [(str(n), str(total)) for n in range(1, total + 1)]


def test_same_spec_renders_identical_bytes_and_another_spec_differs():
    spec = letter_spec()
    first = render_letter_pdf(spec)
    assert render_letter_pdf(spec) == first
    assert render_letter_pdf(dataclasses.replace(spec, max_uses=2)) != first


def test_letter_is_a4_and_carries_its_ids_and_text():
    spec = letter_spec()
    reader = PdfFileReader(BytesIO(render_letter_pdf(spec)))
    page = reader.root["/Pages"]["/Kids"][0]
    box = page["/MediaBox"] if "/MediaBox" in page else reader.root["/Pages"]["/MediaBox"]
    width, height = float(box[2]), float(box[3])
    assert (round(width), round(height)) == (595, 842)
    stated = read_letter_properties(reader.root["/Metadata"].data)
    assert stated == {"authorization_id": spec.authorization_id,
                      "letter_sha256": spec.letter_sha256}
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert str(names[0]) == LETTER_TEXT_ATTACHMENT
    assert names[1]["/EF"]["/F"].data.decode("utf-8") == spec.letter_text


def test_font_is_an_embedded_subset():
    pdf = render_letter_pdf(letter_spec())
    reader = PdfFileReader(BytesIO(pdf))
    fonts = reader.root["/Pages"]["/Kids"][0]["/Resources"]["/Font"]
    font = fonts[next(iter(fonts))]
    assert str(font["/BaseFont"]).startswith("/MPDFAA+")
    descendant = font["/DescendantFonts"][0]
    program = descendant["/FontDescriptor"]["/FontFile2"]
    assert 5_000 < len(program.data) < 300_000  # the whole face is 5 MB
    assert program["/Filter"] == "/FlateDecode"  # deflated (by ISA-L), inflated by pyHanko
    assert program["/Length1"] == len(program.data)  # the inflated length, as 9.9 asks
    assert len(pdf) < 150_000
    embedded = TTFont(BytesIO(program.data))  # a well-formed TrueType font
    cmap = embedded.getBestCmap()
    assert ord("授") in cmap
    assert embedded["maxp"].numGlyphs == len(embedded.getGlyphOrder()) < 400
    glyf = embedded["glyf"]
    for char in "授权书张三":
        coordinates, _, _ = glyf[cmap[ord(char)]].getCoordinates(glyf)  # composites resolve
        assert len(coordinates) > 10, char


def test_font_is_parsed_once_per_process(monkeypatch):
    """Rendering reuses the process's parsed face: neither the face nor any TrueType
    file is parsed again per letter. (This asserted a time per letter, 0.2 s, which a
    machine at load 20 crossed; the count says what the name promises.)"""
    import fontTools.ttLib

    from anxin.letters import font

    assert cjk_face() is cjk_face()
    render_letter_pdf(letter_spec())
    parses: list[str] = []
    real_parse, real_ttfont_init = font._parse_face, fontTools.ttLib.TTFont.__init__

    def counted_parse():
        parses.append("face")
        return real_parse()

    def counted_ttfont(self, file=None, *args, **kwargs):
        if file is not None:  # the subset is an empty TTFont filled from the parsed face
            parses.append(f"ttfont {file!r}")
        real_ttfont_init(self, file, *args, **kwargs)

    monkeypatch.setattr(font, "_parse_face", counted_parse)
    monkeypatch.setattr(fontTools.ttLib.TTFont, "__init__", counted_ttfont)
    for locale in ("zh-CN", "en", "zh-CN"):
        render_letter_pdf(letter_spec(locale))
    assert parses == [], f"parsed per letter: {parses}"


def test_a_spec_whose_hash_is_not_its_text_is_refused():
    spec = dataclasses.replace(letter_spec(), letter_sha256="0" * 64)
    with pytest.raises(ValidationFailed) as info:
        render_letter_pdf(spec)
    assert info.value.code == "letter_hash_mismatch"


def test_naive_times_and_unknown_locales_are_refused():
    import datetime as dt

    with pytest.raises(ValidationFailed):
        render_letter_pdf(dataclasses.replace(letter_spec(), valid_from=dt.datetime(2026, 1, 1)))
    with pytest.raises(ValidationFailed):
        render_letter_pdf(dataclasses.replace(letter_spec(), locale="fr"))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_face_subset_map_writes_what_fpdf2s_own_writes(locale, monkeypatch):
    """FaceSubsetMap (font.py: the faster ``pick``) numbers the glyphs as fpdf2's
    SubsetMap does: the same letter renders to the same bytes with either."""
    from fpdf.fonts import SubsetMap

    from anxin.letters import font

    spec = letter_spec(locale)
    ours = render_letter_pdf(spec)
    monkeypatch.setattr(font, "FaceSubsetMap", lambda face_font, _glyphs: SubsetMap(face_font))
    assert render_letter_pdf(spec) == ours
    assert render_letter_pdf(dataclasses.replace(spec, subject_name="欧阳娜娜")) != ours

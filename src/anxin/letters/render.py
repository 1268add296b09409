"""Render an authorization letter to PDF (A4, Chinese or English), deterministically.

The letter is what the person agrees to: the title, a boxed block of key terms (institution,
purpose, data scope, validity, number of uses), the full letter text, and in small type the
authorization id and the SHA-256 of the letter text (the hash the signing page shows). The
bottom of the last page is kept free for the visible signature that :mod:`.sign` stamps
there (:data:`SIGNATURE_BOX`). The same :class:`LetterSpec` always renders to the same
bytes: the creation date is ``valid_from`` and fpdf2's file id derives from the content.
The letter is PDF/A-3b (:mod:`.pdfa`: XMP with both ids, sRGB output intent, the
attachments as associated files).

Example::

    pdf = render_letter_pdf(spec)
    pdf[:5]
    # -> b'%PDF-'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer

from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.letters.font import CJK_FAMILY, attach_cjk_font, cjk_face
from anxin.letters.font_objects import add_font_objects
from anxin.letters.layout import wrap_lines
from anxin.letters.pdf_dicts import install as _install_pdf_dicts
from anxin.letters.pdfa import COMPLIANCE, add_srgb_output_intent, letter_xmp
from anxin.letters.qr import draw_qr
from anxin.letters.text_ops import text_line

_install_pdf_dicts()  # fpdf2's object dictionaries without dir() (letters and reports)

# A4 in millimetres; the signature box (x, y, w, h) sits at the bottom right of the last page.
_PAGE_W, _PAGE_H, _MARGIN = 210.0, 297.0, 20.0
SIGNATURE_BOX_MM = (110.0, 236.0, 80.0, 36.0)
_MM_TO_PT = 72 / 25.4
# The same box in PDF user space (points, origin bottom-left): (x1, y1, x2, y2).
SIGNATURE_BOX = (
    round(SIGNATURE_BOX_MM[0] * _MM_TO_PT),
    round((_PAGE_H - SIGNATURE_BOX_MM[1] - SIGNATURE_BOX_MM[3]) * _MM_TO_PT),
    round((SIGNATURE_BOX_MM[0] + SIGNATURE_BOX_MM[2]) * _MM_TO_PT),
    round((_PAGE_H - SIGNATURE_BOX_MM[1]) * _MM_TO_PT),
)

_LABELS = {
    "zh-CN": {
        "institution": "被授权机构", "purpose": "授权用途", "scope": "数据范围",
        "validity": "有效期", "uses": "可使用次数", "subject": "授权人",
        "reference": "业务编号", "key_terms": "授权要点", "id": "授权编号",
        "sha": "授权书文本 SHA-256", "uses_fmt": "{n} 次", "scope_sep": "、",
        "until": " 至 ", "page": "第 {page} / {{nb}} 页", "sign_here": "签署",
        "root": "平台根证书 SHA-256 指纹（核验时与平台公布的指纹比对）",
        "root_intl": "平台根证书（国际算法）SHA-256 指纹（核验时与平台公布的指纹比对）",
        "root_sm2": "平台 SM2 根证书（国密算法）SHA-256 指纹",
        "seal": "被授权机构（盖章）", "verify": "扫码或访问以下地址核验本授权书",
    },
    "en": {
        "institution": "Institution", "purpose": "Purpose", "scope": "Data scope",
        "validity": "Valid", "uses": "Number of uses", "subject": "Person authorizing",
        "reference": "Reference", "key_terms": "Key terms", "id": "Authorization id",
        "sha": "Letter text SHA-256", "uses_fmt": "{n}", "scope_sep": ", ",
        "until": " to ", "page": "Page {page} of {{nb}}", "sign_here": "Signature",
        "root": "Platform root certificate SHA-256 (compare with the one the platform "
                "publishes)",
        "root_intl": "Platform root certificate (international algorithms) SHA-256 (compare "
                     "with the one the platform publishes)",
        "root_sm2": "Platform SM2 root certificate (national algorithms) SHA-256",
        "seal": "Institution (seal)", "verify": "Scan or visit to verify this letter",
    },
}
_CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
# The exact letter text rides along as an attachment so that a verifier can recompute its
# SHA-256 and compare it with the event certificate's binding; the XMP carries both ids.
LETTER_TEXT_ATTACHMENT = "letter.txt"
# The person's WebAuthn assertion over this letter, when a passkey was used: inside the
# signed revision, so the letter alone proves it.
PASSKEY_ATTACHMENT = "passkey-assertion.json"
_KEYWORD_PREFIX = "anxin:"


def letter_keywords(authorization_id: str, letter_sha256: str) -> str:
    """The machine-readable keywords of a letter (``pdf:Keywords``; /Keywords before PDF/A)."""
    return (f"{_KEYWORD_PREFIX}authorization_id={authorization_id} "
            f"{_KEYWORD_PREFIX}letter_sha256={letter_sha256.lower()}")


def parse_letter_keywords(keywords: str) -> dict[str, str]:
    """Inverse of :func:`letter_keywords` (unknown words are ignored)."""
    found: dict[str, str] = {}
    for word in keywords.split():
        if word.startswith(_KEYWORD_PREFIX) and "=" in word:
            key, _, value = word[len(_KEYWORD_PREFIX):].partition("=")
            found[key] = value
    return found
# The one name of the product, on every page of the letter and in its signature stamp.
PRODUCT_NAME = "安心授权 Anxin"
# Test mode: the banner at the top of every page of a test letter (both languages).
TEST_BANNER = "TEST — no legal effect / 测试——不具法律效力"
# The bottom of the last page, left of the signature box: the institution's name and seal
# area, and the verification QR code (x, y, w, h in mm; the QR code is square).
SEAL_BOX_MM = (20.0, 236.0, 52.0, 36.0)
QR_BOX_MM = (76.0, 236.0, 30.0, 30.0)
# Characters the visible signature stamp (drawn later by .sign with this letter's embedded
# font) may need: printable ASCII and the stamp's Chinese labels and method names.
STAMP_CHARACTERS = ("".join(chr(c) for c in range(0x20, 0x7F))
                    + "签署人时间方式短信验证码通行密钥由平台电子签名：（）·+服务器安心授权")


@dataclass(frozen=True)
class LetterSpec:
    """Everything printed on one letter; ``letter_text`` is the exact agreed text."""

    authorization_id: str
    locale: str
    title: str
    institution_name: str
    purpose_label: str
    scope_labels: tuple[str, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime
    max_uses: int
    subject_name: str
    subject_id_masked: str
    reference: str
    letter_text: str
    letter_sha256: str
    passkey_evidence: bytes | None = None  # JSON, embedded as PASSKEY_ATTACHMENT
    # SHA-256 (hex) of the DER of the root the letter's signature chains to: printed so
    # that whoever checks it compares it with the operator's published fingerprint.
    root_sha256: str | None = None
    # In the ``dual`` profile, the SM2 root's too (the letter's second signature chains to
    # it): both are printed, each named, where ``root_sha256`` alone is printed otherwise.
    sm2_root_sha256: str | None = None
    # Where the letter is verified (``<base>/verify?id=<id>``, :func:`.qr.verification_url`):
    # printed under a QR code of it on the last page.
    verify_url: str | None = None
    # The terms v2 that are set, as (label, value) rows of the key terms table, in the
    # letter's locale (anxin.domain.terms_wording.term_rows).
    term_rows: tuple[tuple[str, str], ...] = ()
    # Test mode: a test authorization's letter, with TEST_BANNER on every page.
    test: bool = False

    def check(self) -> None:
        """Raise :class:`ValidationFailed` if the spec cannot make an honest letter."""
        if self.locale not in _LABELS:
            raise ValidationFailed(f"unsupported letter locale {self.locale!r}", field="locale")
        for name in ("valid_from", "valid_until"):
            if getattr(self, name).tzinfo is None:
                raise ValidationFailed(f"{name} needs a time zone", field=name)
        digest = hashlib.sha256(self.letter_text.encode("utf-8")).hexdigest()
        if digest != self.letter_sha256.lower():
            raise ValidationFailed("letter_sha256 is not the SHA-256 of letter_text",
                                   field="letter_sha256", code=Code.LETTER_HASH_MISMATCH)


def _format_time(moment: dt.datetime, locale: str) -> str:
    local = moment.astimezone(_CHINA_TZ)
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M} (UTC+8)"
    return f"{local:%Y-%m-%d %H:%M} (UTC+8)"


class _LetterPDF(FPDF):
    """fpdf2 document whose footer, on every page, names the product, the authorization id
    and the page (x / y).

    The footers are written once the layout is done (:meth:`write_footers`), when the
    page count is known, by :func:`.text_ops.text_line`, rather than by fpdf2's ``cell``
    at each page break with its ``{nb}`` alias substituted at output: the alias made
    ``cell`` take its general path, 5 % of rendering a letter (ninth session). Each
    page's footer still ends that page's content, as fpdf2's does."""

    def __init__(self, page_label: str, id_label: str, *, test: bool = False) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance=COMPLIANCE)
        self._page_label = page_label
        self._id_label = id_label
        self._test = test

    def header(self) -> None:
        """Test letters only: a red banner across the top of every page and a large
        diagonal TEST behind the text."""
        if not self._test:
            return
        auto, margin = self.auto_page_break, self.b_margin
        self.set_auto_page_break(auto=False)
        self.set_xy(_MARGIN, 6)
        self.set_fill_color(200, 30, 30)
        self.set_text_color(255, 255, 255)
        self.set_font(CJK_FAMILY, size=10)
        self.cell(_PAGE_W - 2 * _MARGIN, 8, TEST_BANNER, align="C", fill=True)
        self.set_text_color(240, 180, 180)
        self.set_font(CJK_FAMILY, size=110)
        with self.rotation(45, _PAGE_W / 2, _PAGE_H / 2):
            self.text(_PAGE_W / 2 - 60, _PAGE_H / 2 + 15, "TEST")
        self.set_text_color(0, 0, 0)
        self.set_auto_page_break(auto=auto, margin=margin)
        self.set_xy(_MARGIN, _MARGIN)

    def footer(self) -> None:
        """Nothing at a page break: :meth:`write_footers` writes every page's at the end."""

    def write_footers(self) -> None:
        """Each page's footer, at the end of that page's content, with the page count."""
        total, auto, margin = self.page, self.auto_page_break, self.b_margin
        self.set_auto_page_break(auto=False)
        self.set_text_color(80, 80, 80)
        for page in range(1, total + 1):
            self.page = page  # fpdf2's _out writes to self.pages[self.page]
            self.current_font_is_set_on_page = False  # set the font on this page again
            self.set_y(-15)
            self.set_font(CJK_FAMILY, size=8)
            label = self._page_label.replace("{{nb}}", str(total)).format(page=page)
            text_line(self, 0, 6, f"{PRODUCT_NAME} · {self._id_label} · {label}",
                      align="C")
        self.page = total
        self.set_text_color(0, 0, 0)
        self.set_auto_page_break(auto=auto, margin=margin)


class _PrebuiltSubsetProducer(OutputProducer):
    """Writes the CJK font's PDF objects itself (:mod:`.font_objects`: the prebuilt subset
    of the cached face, without fpdf2's generic font path)."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
        font = self.fpdf.fonts[CJK_FAMILY]
        assert isinstance(font, TTFFont)
        assert len(self.fpdf.fonts) == 1, "the letter and report use the CJK face only"
        return {font.i: add_font_objects(self, font)}


def _write_lines(pdf: FPDF, text: str, *, size: float, line_h: float, width: float,
                 x: float | None = None, align: str = "L") -> None:
    """``text`` wrapped by :func:`wrap_lines`, one cell per line, starting at ``x``."""
    font = pdf.fonts[CJK_FAMILY]
    assert isinstance(font, TTFFont)
    pdf.set_font(CJK_FAMILY, size=size)
    for line in wrap_lines(text, font.cw, size_pt=size, width_mm=width):
        pdf.set_x(pdf.l_margin if x is None else x)
        text_line(pdf, width, line_h, line, align=align, next_line=True)


def _key_terms(pdf: FPDF, spec: LetterSpec, labels: dict[str, str]) -> None:
    rows = [
        (labels["institution"], spec.institution_name),
        (labels["purpose"], spec.purpose_label),
        (labels["scope"], labels["scope_sep"].join(spec.scope_labels)),
        (labels["validity"], _format_time(spec.valid_from, spec.locale) + labels["until"]
         + _format_time(spec.valid_until, spec.locale)),
        (labels["uses"], labels["uses_fmt"].format(n=spec.max_uses)),
        *spec.term_rows,
        (labels["subject"], f"{spec.subject_name} ({spec.subject_id_masked})"),
        (labels["reference"], spec.reference),
    ]
    label_w, width = 34.0, _PAGE_W - 2 * _MARGIN
    pdf.set_font(CJK_FAMILY, size=11)
    text_line(pdf, 0, 8, labels["key_terms"], next_line=True)
    top = pdf.get_y()
    pdf.set_y(top + 2)
    for label, value in rows:
        y = pdf.get_y()
        pdf.set_x(_MARGIN + 3)
        pdf.set_font(CJK_FAMILY, size=9)
        text_line(pdf, label_w, 6.5, label)
        pdf.set_y(y)
        _write_lines(pdf, value, size=10.5, line_h=6.5, width=width - label_w - 6,
                     x=_MARGIN + 3 + label_w)
        pdf.set_y(max(pdf.get_y(), y + 6.5))
    bottom = pdf.get_y() + 2
    pdf.set_line_width(0.4)
    pdf.rect(_MARGIN, top, width, bottom - top)
    pdf.set_y(bottom + 6)


def render_letter_pdf(spec: LetterSpec) -> bytes:
    """The letter as PDF bytes; identical bytes for an identical ``spec``."""
    return bytes(_layout(spec).output(output_producer_class=_PrebuiltSubsetProducer))


def letter_page_count(spec: LetterSpec) -> int:
    """How many pages the letter has: its layout, without writing the PDF."""
    return int(_layout(spec).page_no())


def _layout(spec: LetterSpec) -> _LetterPDF:
    spec.check()
    labels = _LABELS[spec.locale]
    face = cjk_face()
    pdf = _LetterPDF(labels["page"], f"{labels['id']} {spec.authorization_id}",
                     test=spec.test)
    attach_cjk_font(pdf, face)
    created = spec.valid_from.astimezone(dt.UTC)
    pdf.set_creation_date(created)
    pdf.set_lang("zh-CN" if spec.locale == "zh-CN" else "en")
    pdf.set_xmp_metadata(letter_xmp(
        title=spec.title, author=spec.institution_name,
        subject=f"{labels['id']}: {spec.authorization_id}",
        keywords=letter_keywords(spec.authorization_id, spec.letter_sha256), created=created,
        authorization_id=spec.authorization_id, letter_sha256=spec.letter_sha256))
    add_srgb_output_intent(pdf)
    pdf.embed_file(bytes=spec.letter_text.encode("utf-8"), basename=LETTER_TEXT_ATTACHMENT,
                   mime_type="text/plain", desc="The exact letter text (UTF-8) agreed to",
                   associated_file_relationship="Source",
                   creation_date=created, modification_date=created, compress=True)
    if spec.passkey_evidence is not None:
        pdf.embed_file(bytes=spec.passkey_evidence, basename=PASSKEY_ATTACHMENT,
                       mime_type="application/json",
                       desc="The signer's WebAuthn assertion over this letter",
                       associated_file_relationship="Supplement",
                       creation_date=created, modification_date=created, compress=True)
    pdf.alias_nb_pages("")  # off (fpdf2 tests it for truth): write_footers names the count
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()

    _write_lines(pdf, spec.title, size=18, line_h=10, width=_PAGE_W - 2 * _MARGIN, align="C")
    pdf.ln(4)
    _key_terms(pdf, spec, labels)

    for paragraph in spec.letter_text.split("\n"):
        _write_lines(pdf, paragraph, size=11, line_h=7, width=_PAGE_W - 2 * _MARGIN)
    pdf.ln(4)
    pdf.set_font(CJK_FAMILY, size=7.5)
    pdf.set_text_color(80, 80, 80)
    text_line(pdf, 0, 4.5, f"{labels['id']}: {spec.authorization_id}", next_line=True)
    text_line(pdf, 0, 4.5, f"{labels['sha']}: {spec.letter_sha256.lower()}", next_line=True)
    roots = ([("root_intl", spec.root_sha256), ("root_sm2", spec.sm2_root_sha256)]
             if spec.sm2_root_sha256 else [("root", spec.root_sha256)])
    for label, fingerprint in roots:
        if fingerprint:
            text_line(pdf, 0, 4.5, f"{labels[label]}:", next_line=True)
            text_line(pdf, 0, 4.5, fingerprint.lower(), next_line=True)

    _box_x, box_y, _box_w, _box_h = SIGNATURE_BOX_MM
    if pdf.get_y() > box_y - 8:
        pdf.add_page()
    pdf.set_text_color(0, 0, 0)
    pdf.set_auto_page_break(auto=False)  # the bottom block is placed, not flowed
    _box(pdf, SIGNATURE_BOX_MM, labels["sign_here"])
    _seal_area(pdf, spec, labels)
    if spec.verify_url:
        _verification(pdf, spec.verify_url, labels)
    font = pdf.fonts[CJK_FAMILY]
    assert isinstance(font, TTFFont)
    for character in STAMP_CHARACTERS:
        font.subset.pick(ord(character))
    pdf.write_footers()
    return pdf


def _box(pdf: FPDF, box: tuple[float, float, float, float], caption: str) -> None:
    """A light frame with its caption above it."""
    x, y, w, h = box
    pdf.set_xy(x, y - 6)
    pdf.set_font(CJK_FAMILY, size=8)
    text_line(pdf, w, 5, caption)
    pdf.set_draw_color(170, 170, 170)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h)


def _seal_area(pdf: FPDF, spec: LetterSpec, labels: dict[str, str]) -> None:
    """The institution's name and the area where its seal goes (the institution's own)."""
    _box(pdf, SEAL_BOX_MM, labels["seal"])
    x, y, w, _ = SEAL_BOX_MM
    pdf.set_xy(x, y + 2)
    _write_lines(pdf, spec.institution_name, size=9, line_h=5, width=w - 4, x=x + 2)


def _verification(pdf: FPDF, url: str, labels: dict[str, str]) -> None:
    """The QR code of the verification address, and the address in words under it."""
    x, y, size, _ = QR_BOX_MM
    draw_qr(pdf, url, x=x, y=y, size=size)
    pdf.set_xy(_MARGIN, SEAL_BOX_MM[1] + SEAL_BOX_MM[3] + 1.5)
    pdf.set_font(CJK_FAMILY, size=7.5)
    pdf.set_text_color(60, 60, 60)
    _write_lines(pdf, f"{labels['verify']}: {url}", size=7.5, line_h=4,
                 width=_PAGE_W - 2 * _MARGIN)
    pdf.set_text_color(0, 0, 0)


# Public names for other documents that reuse the letter's font machinery (the report).
PrebuiltSubsetProducer = _PrebuiltSubsetProducer
write_lines = _write_lines

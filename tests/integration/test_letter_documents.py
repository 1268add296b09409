"""The letter as a document (issue 15): what a reader of the printed or displayed letter
finds on it, checked with outside tools: pdftotext for the words, pdftoppm + zxing-cpp
for the QR code (and zbar, a reader independent of zxing-cpp, whose encoder makes the
symbol), on the unsigned letter and on the signed one (PAdES and SM2)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from anxin.letters.qr import verification_url
from anxin.letters.render import render_letter_pdf
from tests.common.letters import (
    VERIFY_BASE,
    ZH_TEXT,
    letter_spec,
    pdftotext,
    sign_spec,
)
from tests.common.test_ca import TestPKI, build_test_pki


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_image(pdf: bytes, tmp_path: Path, *, page: int) -> Path:
    """``page`` of ``pdf`` rasterised at 150 dpi by pdftoppm (a PNG in ``tmp_path``)."""
    path = tmp_path / "for-qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page),
                    str(path), str(tmp_path / "page")], check=True, capture_output=True)
    return next(tmp_path.glob("page-*.png"))


def qr_payloads(pdf: bytes, tmp_path: Path, *, page: int) -> list[str]:
    """Every QR code zxing-cpp reads on ``page`` of ``pdf`` rasterised at 150 dpi."""
    image = _page_image(pdf, tmp_path, page=page)
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(image))
             if b.format == zxingcpp.BarcodeFormat.QRCode]
    image.unlink()
    return found


def zbar_payloads(pdf: bytes, tmp_path: Path, *, page: int) -> list[str]:
    """Every QR code zbar (``zbarimg``, not zxing-cpp) reads on ``page`` at 150 dpi."""
    image = _page_image(pdf, tmp_path, page=page)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                           str(image)], capture_output=True, text=True)
    image.unlink()
    assert done.returncode in (0, 4), done.stderr  # 4: no symbol found
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return build_test_pki()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_qr_code_decodes_to_the_verify_address_of_this_letter(locale, tmp_path):
    spec = letter_spec(locale, authorization_id="auth_01QRCODE42")
    assert spec.verify_url == f"{VERIFY_BASE}/verify?id=auth_01QRCODE42"
    pdf = render_letter_pdf(spec)
    assert qr_payloads(pdf, tmp_path, page=1) == [spec.verify_url]
    assert zbar_payloads(pdf, tmp_path, page=1) == [spec.verify_url]
    assert spec.verify_url in pdftotext(pdf, tmp_path)  # and in words under it


@pytest.mark.parametrize("authorization_id", [
    "7f9c2a4e-0b1d-4c3e-9f8a-6b5d4c3b2a19",  # a UUID, as the product's ids are
    "auth_" + "X" * 60,  # a long id: a larger symbol version
    "a/b?c&d=e f",  # characters the address quotes
])
def test_both_readers_decode_the_symbol_for_other_ids(authorization_id, tmp_path):
    """The symbol's encoder (zxing-cpp) is checked by a reader that is not its own."""
    spec = letter_spec("en", authorization_id=authorization_id)
    pdf = render_letter_pdf(spec)
    assert zbar_payloads(pdf, tmp_path, page=1) == [spec.verify_url]
    assert qr_payloads(pdf, tmp_path, page=1) == [spec.verify_url]


def test_without_an_address_the_letter_has_no_qr_code(tmp_path):
    pdf = render_letter_pdf(dataclasses.replace(letter_spec(), verify_url=None))
    assert qr_payloads(pdf, tmp_path, page=1) == []
    assert zbar_payloads(pdf, tmp_path, page=1) == []
    assert "/verify" not in pdftotext(pdf, tmp_path)


def test_the_qr_code_is_on_the_last_page_of_a_long_letter(tmp_path):
    pdf = render_letter_pdf(letter_spec(text="\n".join([ZH_TEXT] * 12)))
    pages = len(re.findall(r"第\d+/(\d+)页", _squash(pdftotext(pdf, tmp_path))))
    assert pages >= 2
    assert qr_payloads(pdf, tmp_path, page=1) == []
    assert qr_payloads(pdf, tmp_path, page=pages) == [letter_spec().verify_url]


def test_every_page_has_a_footer_with_the_id_and_page_x_of_y(tmp_path):
    spec = letter_spec(text="\n".join([ZH_TEXT] * 12))
    text = pdftotext(render_letter_pdf(spec), tmp_path)
    pages = text.split("\f")[:-1]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert _squash(f"安心授权 Anxin · 授权编号 {spec.authorization_id} · "
                       f"第 {n} / {len(pages)} 页") in _squash(page), n


def test_english_footer_and_the_institution_seal_area(tmp_path):
    spec = letter_spec("en")
    text = " ".join(pdftotext(render_letter_pdf(spec), tmp_path).split())
    assert f"安心授权 Anxin · Authorization id {spec.authorization_id} · Page 1 of 1" in text
    assert "Institution (seal)" in text
    assert "Scan or visit to verify this letter: " + spec.verify_url in text
    zh = _squash(pdftotext(render_letter_pdf(letter_spec()), tmp_path))
    assert "被授权机构（盖章）签署某某银行股份有限公司" in zh  # both captions, then the name


def test_verification_url_quotes_the_id():
    assert verification_url("https://a.example/", "a b/c") == \
        "https://a.example/verify?id=a%20b%2Fc"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_signed_letter_labels_its_stamp_time_as_server_time_and_names_one_product(
        pki, locale, tmp_path):
    signed, _ = sign_spec(pki, letter_spec(locale))
    text = pdftotext(signed, tmp_path)
    if locale == "zh-CN":
        assert "签署时间（服务器时间）:" in text
        assert "由安心授权 Anxin平台电子签名 (PAdES)" in text
    else:
        assert "Time (server time):" in text
        assert "Electronically signed via 安心授权 Anxin (PAdES)" in text
    # One product name: every "Anxin" the reader sees is the full "安心授权 Anxin".
    assert text.count("Anxin") == text.count("安心授权 Anxin")
    assert qr_payloads(signed, tmp_path, page=1) == [letter_spec().verify_url]

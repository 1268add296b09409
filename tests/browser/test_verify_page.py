"""/verify in Chromium (issue 15): a letter this server signed is uploaded; the result and
its checks stay inside the card at 320, 390 and 1280 px, each check has its Chinese and
English title, the trusted signing time is the TSA's, and the report PDF downloads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from anxin.evidence.report_pdf_details import CHECK_TITLES_ZH
from tests.browser.conftest import Server, shoot
from tests.browser.screen_checks import (
    assert_axe_clean,
    assert_fits_at_every_width,
    assert_no_raw_codes,
)

pytestmark = pytest.mark.browser
SEQ = 9150


@pytest.fixture(scope="module")
def signed_letter(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    server.template("verify-page")
    auth = server.request("verify-page", SEQ)
    token = auth["signing_url"].rsplit("/", 1)[1]
    assert server.api.post(f"/s/{token}/otp").status_code == 204
    r = server.api.post(f"/s/{token}/sign", json={"otp": server.last_code(SEQ),
                                                 "read_confirmed": True})
    assert r.status_code == 200, r.text
    pdf = server.api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
    assert pdf.status_code == 200, pdf.text
    path = tmp_path_factory.mktemp("verify") / f"{auth['id']}.pdf"
    path.write_bytes(pdf.content)
    return path


def _upload(page: Page, server: Server, letter: Path) -> None:
    page.goto(f"{server.base_url}/verify")
    page.set_input_files("#file", str(letter))
    page.get_by_role("button", name="验证 / Verify", exact=True).click()
    expect(page.locator("#result")).to_be_visible()


def test_the_result_fits_inside_its_card_at_every_width(page: Page, server: Server,
                                                        signed_letter: Path) -> None:
    _upload(page, server, signed_letter)
    assert page.locator("#result").get_attribute("data-indication") == "TOTAL_PASSED"
    assert_fits_at_every_width(page)
    for width in (320, 390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        card = page.locator(".verify-result").bounding_box()
        assert card is not None
        for cell in page.locator(".verify-checks td.result").all():
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] >= card["x"] - 0.5, width
            assert box["x"] + box["width"] <= card["x"] + card["width"] + 0.5, width
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_raw_codes(page, skip="code, small")
    assert_axe_clean(page)
    shoot(page, "verify-result")


def test_each_check_has_its_chinese_and_english_title_and_the_tsa_time(
        page: Page, server: Server, signed_letter: Path) -> None:
    _upload(page, server, signed_letter)
    rows = page.locator(".verify-checks tbody tr")
    assert rows.count() >= 3
    for i in range(rows.count()):
        check = rows.nth(i).get_attribute("data-check")
        text = rows.nth(i).inner_text()
        assert check in CHECK_TITLES_ZH, check
        assert CHECK_TITLES_ZH[check] in text
        assert re.search(r"/ [A-Z][a-z]", text), text  # the English title beside it
        assert "已核验“" in text
    trusted = page.locator("[data-trusted-time]").inner_text()
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC\+8\)", trusted), trusted
    assert "时间戳机构" in trusted


def test_the_report_pdf_downloads(page: Page, server: Server, signed_letter: Path,
                                  tmp_path: Path) -> None:
    page.goto(f"{server.base_url}/verify")
    page.set_input_files("#file", str(signed_letter))
    with page.expect_download() as info:
        page.get_by_role("button", name="下载验证报告（PDF） / Download the report (PDF)").click()
    download = info.value
    assert download.suggested_filename == f"{signed_letter.stem}-report.pdf"
    path = tmp_path / "report.pdf"
    download.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    assert b"/ByteRange" in path.read_bytes()  # sealed by the platform


def test_the_qr_address_names_the_letter_on_the_page(page: Page, server: Server) -> None:
    page.goto(f"{server.base_url}/verify?id=auth_01QRTEST")
    expect(page.locator("[data-letter-id]")).to_have_text("auth_01QRTEST")
    assert_fits_at_every_width(page)
    assert_axe_clean(page)

"""The shared screen checks catch what they are for (tests/browser/screen_checks.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.screen_checks import (
    assert_fits,
    assert_language,
    assert_no_raw_codes,
    raw_codes,
)

pytestmark = pytest.mark.browser


def test_raw_codes_are_found_and_file_names_are_not() -> None:
    assert raw_codes(["拒绝 (authorization_exhausted)", "authorization:otp:failed"]) == [
        "authorization_exhausted", "authorization:otp:failed"]
    assert raw_codes(["下载 letter.pdf", "Signed at 10:30", "https://x.example/a_b"]) == []


def test_a_page_wider_than_the_screen_fails(page: Page) -> None:
    page.set_content("<body style='margin:0'><div style='width:600px'>wide</div></body>")
    page.set_viewport_size({"width": 390, "height": 800})
    with pytest.raises(AssertionError, match="600 px wide"):
        assert_fits(page)


def test_a_raw_code_on_the_page_fails(page: Page) -> None:
    page.set_content("<p>拒绝 (authorization_exhausted)</p><p hidden>otp_failed</p>")
    with pytest.raises(AssertionError, match="authorization_exhausted"):
        assert_no_raw_codes(page)


def test_chinese_on_an_english_page_fails_but_not_in_a_chinese_letter(page: Page) -> None:
    page.set_content("<html lang='en'><body><p>Terms</p>"
                     "<article lang='zh-CN'>授权书</article></body></html>")
    assert_language(page, "en")
    page.set_content("<html lang='en'><body><p>授权要点</p></body></html>")
    with pytest.raises(AssertionError, match="Chinese on an English page"):
        assert_language(page, "en")

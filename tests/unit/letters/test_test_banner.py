"""Test mode: a test letter says TEST on every page (its banner), a live letter nowhere."""

from __future__ import annotations

import dataclasses

import pytest

from anxin.letters.render import TEST_BANNER, render_letter_pdf
from tests.common.letters import EN_TEXT, ZH_TEXT, letter_spec, pdftotext


@pytest.mark.parametrize(("locale", "text"), [("zh-CN", ZH_TEXT), ("en", EN_TEXT)])
def test_every_page_of_a_long_test_letter_says_test(tmp_path, locale, text):
    spec = dataclasses.replace(letter_spec(locale, text="\n".join([text] * 12)), test=True)
    pages = [p for p in pdftotext(render_letter_pdf(spec), tmp_path).split("\f") if p.strip()]
    assert len(pages) >= 2
    for page in pages:
        assert "TEST — no legal effect" in page
        assert "测试——不具法律效力" in page


def test_a_live_letter_never_says_test(tmp_path):
    spec = letter_spec("en", text="\n".join([EN_TEXT] * 12))
    extracted = pdftotext(render_letter_pdf(spec), tmp_path)
    assert "no legal effect" not in extracted
    assert "不具法律效力" not in extracted
    assert TEST_BANNER not in extracted

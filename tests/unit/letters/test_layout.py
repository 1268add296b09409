"""Line breaking: widths respected, CJK breaks anywhere, Latin words and punctuation kept."""

from __future__ import annotations

import concurrent.futures

from anxin.letters.layout import wrap_lines
from anxin.letters.render import render_letter_pdf
from tests.common.letters import letter_spec

EVERY_CHAR = dict.fromkeys(range(65536), 1000)  # 1 em each: 10 pt → 3.53 mm


def test_cjk_text_breaks_between_any_two_characters():
    lines = wrap_lines("一二三四五六七八九十", EVERY_CHAR, size_pt=10, width_mm=11)
    assert lines == ["一二三", "四五六", "七八九", "十"]


def test_closing_punctuation_never_starts_a_line():
    lines = wrap_lines("一二三，四五", EVERY_CHAR, size_pt=10, width_mm=11)
    assert lines == ["一二三，", "四五"]


def test_latin_words_and_numbers_are_not_split():
    narrow = dict.fromkeys(range(128), 500)
    lines = wrap_lines("I agree to 110101********123X here", narrow, size_pt=10, width_mm=40)
    assert any(line.startswith("110101********123X") for line in lines)
    assert all(line == line.strip() for line in lines)
    assert " ".join(lines) == "I agree to 110101********123X here"


def test_a_word_longer_than_a_line_is_split_by_characters():
    lines = wrap_lines("x" * 30, {ord("x"): 1000}, size_pt=10, width_mm=36)
    assert [len(line) for line in lines] == [10, 10, 10]


def test_empty_paragraph_is_one_empty_line():
    assert wrap_lines("", EVERY_CHAR, size_pt=10, width_mm=50) == [""]


def test_concurrent_renders_give_the_same_bytes():
    specs = [letter_spec("zh-CN"), letter_spec("en")] * 4
    expected = [render_letter_pdf(s) for s in specs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(render_letter_pdf, specs)) == expected

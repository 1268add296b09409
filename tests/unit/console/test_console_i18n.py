"""The console's catalogue (issue 15): every string in both languages, and a label in
both for every ledger event, authorization status and refusal of the gate, so that no
machine code reaches an operator's screen."""

from __future__ import annotations

import inspect
import re

import pytest

import anxin.domain.gate
from anxin.config import DEFAULT_PURPOSES
from anxin.domain.events import Event
from anxin.domain.states import Status
from anxin.error_codes import Code
from anxin.web.pages.console_i18n import (
    LABELS,
    STRINGS,
    choose_lang,
    duration,
    fact,
    label,
    purpose,
)


def test_both_languages_have_the_same_strings_and_labels() -> None:
    assert STRINGS["zh-CN"].keys() == STRINGS["en"].keys()
    assert LABELS["zh-CN"].keys() == LABELS["en"].keys()
    zh = [v for k, v in STRINGS["zh-CN"].items() if k not in ("switch", "dash")]
    assert all(re.search(r"[\u4e00-\u9fff]", v) or not re.search(r"[a-z]{4}", v)
               for v in zh), [v for v in zh if not re.search(r"[\u4e00-\u9fff]", v)]


def _gate_codes() -> set[str]:
    names = re.findall(r"Code\.([A-Z_]+)", inspect.getsource(anxin.domain.gate))
    return {Code[n].value for n in names} - {Code.USE_REFUSED.value}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_event_status_and_refusal_has_a_label(lang: str) -> None:
    codes = {e.value for e in Event} | {s.value for s in Status} | _gate_codes()
    missing = sorted(c for c in codes if c not in LABELS[lang])
    assert missing == []
    assert all(purpose(p, lang) != p for p in DEFAULT_PURPOSES)


def test_unknown_codes_are_words_never_codes() -> None:
    assert label("my_new:thing", "en") == "my new thing"
    assert purpose("custom_purpose", "zh-CN") == "custom purpose"
    assert fact("purpose", "loan_approval", "zh-CN") == "贷款审批"
    assert fact("result", "not_checked", "zh-CN") == "未核验"


def test_the_operator_chooses_the_language() -> None:
    assert choose_lang(None, None) == "zh-CN"
    assert choose_lang("en", "zh-CN") == "en"
    assert choose_lang(None, "en") == "en"
    assert choose_lang("fr", "xx") == "zh-CN"


def test_durations_read_as_words() -> None:
    assert duration(None, "en") == "—"
    assert duration(45, "zh-CN") == "45 秒"
    assert duration(600, "en") == "10 min"
    assert duration(3 * 3600, "zh-CN") == "3.0 小时"

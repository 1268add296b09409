"""anxin.letters.pdf_dicts: fpdf2's object dictionaries built without dir() are the ones
fpdf2 builds, key for key and in the same order, so letters and reports keep their bytes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from fpdf.syntax import PDFObject

from anxin.evidence.anchors import TrustAnchor
from anxin.evidence.report import Report
from anxin.evidence.report_pdf import render_report_pdf
from anxin.letters import pdf_dicts
from anxin.letters.render import render_letter_pdf
from tests.common.letters import letter_spec


def _report() -> bytes:
    return render_report_pdf(Report(subject="t", trust_anchor=TrustAnchor((), "none")))


RENDERINGS: dict[str, Callable[[], bytes]] = {
    "letter zh-CN": lambda: render_letter_pdf(letter_spec("zh-CN")),
    "letter en": lambda: render_letter_pdf(letter_spec("en")),
    "test letter": lambda: render_letter_pdf(dataclasses.replace(letter_spec("en"), test=True)),
    "report": _report,
}


def test_it_is_installed_by_the_renderer() -> None:
    assert PDFObject._build_obj_dict is pdf_dicts._build_obj_dict


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_every_object_gets_fpdf2s_own_dictionary(name: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []

    def both(self: PDFObject, security_handler: Any = None) -> dict[str, object]:
        fast = pdf_dicts._build_obj_dict(self, security_handler)
        assert list(fast.items()) == list(pdf_dicts._ORIGINAL(self, security_handler).items()), \
            type(self).__name__
        compared.append(type(self).__name__)
        return fast

    monkeypatch.setattr(PDFObject, "_build_obj_dict", both)
    RENDERINGS[name]()
    # Pages, fonts, the descriptor, the catalog, the output intent...: many kinds, all equal.
    assert len(compared) >= 10, compared
    assert len(set(compared)) >= 6, compared


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_the_bytes_are_those_of_fpdf2s_own_path(name: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fast = RENDERINGS[name]()
    monkeypatch.setattr(PDFObject, "_build_obj_dict", pdf_dicts._ORIGINAL)
    assert RENDERINGS[name]() == fast


def test_an_instance_attribute_named_like_a_method_is_kept() -> None:
    class Odd(PDFObject):
        def method(self) -> None:
            """A method: not in the dictionary, unless an instance sets a value by its name."""

        @property
        def computed(self) -> int:
            return 7

    odd = Odd()
    odd.id = 1
    odd.method = 3  # type: ignore[method-assign,assignment]
    odd.plain = "x"  # type: ignore[attr-defined]
    assert pdf_dicts._build_obj_dict(odd) == pdf_dicts._ORIGINAL(odd) == {
        "/Computed": 7, "/Method": 3, "/Plain": "x"}

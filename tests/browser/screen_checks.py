"""What every screen must pass in a real browser (issue 15), shared by the browser tests:

- ``assert_fits(page)`` at 320, 390 and 1280 px wide: the document is no wider than the
  viewport (no horizontal scroll);
- ``assert_no_raw_codes(page)``: no ``snake_case`` machine code (``authorization_exhausted``,
  ``authorization:otp:failed``) in the visible text;
- ``assert_language(page, lang)``: a zh-CN page shows no English sentence of the chrome and
  an en page no Chinese outside the elements marked with another ``lang`` (the letter keeps
  the language it was signed in, and says so);
- ``assert_axe_clean(page)``: axe-core finds no serious or critical WCAG 2.1 AA violation.

Example::

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert_fits(page)
    assert_no_raw_codes(page)
    assert_axe_clean(page)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from playwright.sync_api import Page

from tests.browser.conftest import AXE

WIDTHS = (320, 390, 1280)

# A machine code: words joined by "_" or ":" (authorization_exhausted, authorization:otp:failed)
_RAW_CODE = re.compile(r"\b[a-z]+(?:[_:][a-z0-9]+)+\b")
# What the visible text may hold that looks like one: URLs and file names, taken out first.
_NOT_CODES = re.compile(r"https?://\S+|[\w.-]+\.(?:pdf|zip|json|crt|xml|png)\b")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

VISIBLE_TEXT = """(skip) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('script,style,noscript,[hidden],[aria-hidden=true]')) continue;
    if (skip && el.closest(skip)) continue;
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  return out;
}"""

AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: "tag",
                                     values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                 help: v.help}));
}"""


def visible_text(page: Page, *, skip: str | None = None) -> list[str]:
    """The page's visible text nodes, leaving out what matches the CSS selector ``skip``."""
    texts: list[str] = page.evaluate(VISIBLE_TEXT, skip)
    return texts


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: the page is {width} px wide on a {viewport} px screen"


def assert_fits_at_every_width(page: Page, widths: Iterable[int] = WIDTHS) -> None:
    size = page.viewport_size
    for width in widths:
        page.set_viewport_size({"width": width, "height": 800})
        assert_fits(page)
    if size is not None:
        page.set_viewport_size(size)


def raw_codes(texts: Iterable[str]) -> list[str]:
    return [m for t in texts for m in _RAW_CODE.findall(_NOT_CODES.sub(" ", t))]


def assert_no_raw_codes(page: Page, *, skip: str | None = None) -> None:
    found = raw_codes(visible_text(page, skip=skip))
    assert found == [], f"{page.url}: raw codes shown to people: {found}"


def assert_language(page: Page, lang: str, *, other_language: Iterable[str] = ()) -> None:
    """``lang`` "en": no Chinese character outside elements whose ``lang`` is another one;
    "zh-CN": none of the strings ``other_language`` (the English chrome's sentences)."""
    skip = f"[lang]:not([lang='{lang}']):not(html)"
    texts = visible_text(page, skip=skip)
    if lang == "en":
        chinese = [t for t in texts if _CJK.search(t)]
        assert chinese == [], f"{page.url}: Chinese on an English page: {chinese[:5]}"
    else:
        joined = "\n".join(texts)
        english = [s for s in other_language if s in joined]
        assert english == [], f"{page.url}: English on a Chinese page: {english[:5]}"


def assert_axe_clean(page: Page) -> None:
    assert AXE.is_file(), "run scripts/browser-deps.sh (npm ci in tests/browser/node)"
    # Through the DevTools protocol: the page's CSP (rightly) refuses an inline <script>.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(AXE_RUN)
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{page.url}: {bad}"

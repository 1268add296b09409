"""The operator's journey (docs/console.md): ``anxin operator add`` prints the second
factor's ``otpauth://`` URI; the operator adds it to an authenticator app (pyotp here),
signs in to ``/console`` with the password and a current code, finds a disputed
authorization by its reference, opens the dispute view (terms, ledger timeline, use-gate
calls) and downloads the signed letter, the evidence package and the verification report
— then checks the package offline with ``anxin verify``."""

from __future__ import annotations

import io
import zipfile

import httpx
import pyotp

from tests.journeys.conftest import (
    Forms,
    Served,
    console_sign_in,
    sign_with_the_form,
)


def disputed(served: Served, browser: httpx.Client, seq: int) -> dict[str, str]:
    """A signed authorization with one granted and one refused use."""
    auth = served.new_authorization(seq)
    sign_with_the_form(served, browser, auth, seq)
    for ref, purpose in (("Q-OK", "loan_approval"), ("Q-WRONG", "account_opening")):
        served.api.post(f"/v1/authorizations/{auth['id']}/uses", json={
            "purpose": purpose, "data_item": "credit_report", "reference": ref,
            "operator": "officer-9"})
    return {"id": auth["id"], "reference": f"JOURNEY-{seq}"}


def open_dispute_view(served: Served, browser: httpx.Client, totp: pyotp.TOTP,
                      seq: int) -> tuple[dict[str, str], httpx.Response]:
    with httpx.Client(base_url=served.base_url, follow_redirects=True) as person:
        auth = disputed(served, person, seq)
    console_sign_in(served, browser, totp)
    search = browser.get("/console/authorizations")
    assert search.status_code == 200
    action, fields = Forms(search.text).form("search-form")
    found = browser.post(action, data={**fields, "reference": auth["reference"]})
    assert found.status_code == 200
    href = f"/console/authorizations/{auth['id']}"
    assert href in Forms(found.text).links.values(), "the search does not find it"
    view = browser.get(href)
    assert view.status_code == 200
    return auth, view


def test_the_dispute_view_shows_the_whole_story(served: Served, browser: httpx.Client,
                                                operator: pyotp.TOTP) -> None:
    auth, view = open_dispute_view(served, browser, operator, 8001)
    assert auth["id"] in view.text
    assert 'id="status" data-status="active"' in view.text
    for event in ("authorization:requested", "authorization:signed"):
        assert f'data-event="{event}"' in view.text, f"{event} is not in the ledger timeline"
    assert "Q-OK" in view.text
    assert "Q-WRONG" in view.text
    assert "拒绝：用途不符" in view.text, "the refused use is not shown (with its reason)"
    assert "11010519" not in view.text, "the console shows the id number unmasked"
    letter_href = f"/console/authorizations/{auth['id']}/letter.pdf"
    assert letter_href in Forms(view.text).links.values(), "no signed-letter link"
    letter = browser.get(letter_href)
    assert letter.status_code == 200
    assert letter.content.startswith(b"%PDF")


def test_the_dispute_view_downloads_the_evidence_package_and_the_report(
        served: Served, browser: httpx.Client, operator: pyotp.TOTP) -> None:
    """docs/console.md: the dispute view links the evidence package (``id=evidence``,
    ``evidence.zip``) and the verification report (``id=report``, ``report.pdf``)."""
    auth, view = open_dispute_view(served, browser, operator, 8002)
    links = Forms(view.text).links
    assert "evidence" in links, "the dispute view offers no evidence package (docs/console.md)"
    assert "report" in links, "the dispute view offers no verification report (docs/console.md)"

    package = browser.get(links["evidence"])
    assert package.status_code == 200, package.text
    assert package.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(package.content)) as z:
        assert {"letter.pdf", "manifest.json"} <= set(z.namelist())
    report = browser.get(links["report"])
    assert report.status_code == 200, report.text
    assert report.headers["content-type"] == "application/pdf"
    assert report.content.startswith(b"%PDF")

    held = served.workdir / f"console-{auth['id']}.zip"
    held.write_bytes(package.content)
    root = served.workdir / "console-root.crt"
    root.write_bytes(httpx.get(served.base_url + "/pki/root.crt").content)
    out = served.anxin("verify", str(held), "--trust", str(root))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "TOTAL_PASSED" in out.stdout

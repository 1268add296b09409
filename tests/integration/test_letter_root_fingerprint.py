"""The signed letter prints the SHA-256 fingerprint of the platform's root, which a court's
expert compares with the one the operator publishes (the trust anchor comes from outside
the letter and the package)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.letters import pdftotext


def test_the_signed_letter_prints_the_root_fingerprint(tmp_path: Path) -> None:
    data = tmp_path / "data"
    initialise(load_settings(data_dir=data))
    settings = load_settings(data_dir=data)
    ctx = build_services(settings, background_workers=False)
    try:
        with TestClient(create_app(settings, ctx)) as client:
            inst = add_institution(ctx, "Fingerprint Bank")
            api = Api(client, inst.api_key, inst.id)
            api.template()
            auth = api.request(seq=1)
            sign(client, settings.outbox_path, auth)
            letter = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
            assert letter.status_code == 200
        fingerprint = hashlib.sha256(ctx.pki.root_cert.public_bytes(Encoding.DER)).hexdigest()
    finally:
        ctx.close()
    text = pdftotext(letter.content, tmp_path)
    assert fingerprint in text.replace(" ", "")
    assert "Platform root certificate SHA-256" in text


def _fingerprints(text: str) -> list[str]:
    return re.findall(r"\b[0-9a-f]{64}\b", text.replace(" ", ""))


@pytest.mark.parametrize(("signature_profile", "locale"), [("dual", "zh-CN"), ("dual", "en")])
def test_a_dual_letter_prints_both_roots_fingerprints(
        client: TestClient, ctx: Context, api: Api, tmp_path: Path, signature_profile: str,
        locale: str) -> None:
    assert ctx.sm2 is not None
    api.template(locale=locale)
    auth = api.request(seq=2)
    sign(client, ctx.settings.outbox_path, auth)
    letter = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
    assert letter.status_code == 200
    text = pdftotext(letter.content, tmp_path)
    intl = hashlib.sha256(ctx.pki.root_cert.public_bytes(Encoding.DER)).hexdigest()
    sm2 = hashlib.sha256(ctx.sm2.pki.root_cert.dump()).hexdigest()
    assert intl != sm2
    found = _fingerprints(text)
    assert intl in found
    assert sm2 in found
    # Each is named, the intl one first, where the single fingerprint stands otherwise.
    flat = text.replace("\n", " ")
    if locale == "en":
        assert re.search(r"Platform root certificate \(international algorithms\) SHA-256 "
                         r"\(compare with the one the platform publishes\):\s*" + intl, flat)
        assert re.search(r"Platform SM2 root certificate \(national algorithms\) "
                         r"SHA-256:\s*" + sm2, flat)
    else:
        assert "平台根证书（国际算法）SHA-256 指纹" in text
        assert "平台 SM2 根证书（国密算法）SHA-256 指纹" in text
        assert flat.index(intl) < flat.index(sm2)


def test_an_intl_letter_still_prints_one_fingerprint(
        client: TestClient, ctx: Context, api: Api, tmp_path: Path) -> None:
    api.template()
    auth = api.request(seq=3)
    sign(client, ctx.settings.outbox_path, auth)
    text = pdftotext(api.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content, tmp_path)
    intl = hashlib.sha256(ctx.pki.root_cert.public_bytes(Encoding.DER)).hexdigest()
    assert intl in _fingerprints(text)
    assert "Platform root certificate SHA-256 (compare with" in text
    assert "SM2" not in text

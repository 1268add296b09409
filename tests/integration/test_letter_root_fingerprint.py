"""The signed letter prints the SHA-256 fingerprint of the platform's root, which a court's
expert compares with the one the operator publishes (the trust anchor comes from outside
the letter and the package)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import load_settings
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

"""Signed letters judged by outside tools: poppler's pdfsig and pyHanko's CLI validators."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from anxin.errors import ValidationFailed
from anxin.letters.render import render_letter_pdf
from anxin.letters.sign import sign_letter
from tests.common.letters import (
    flip_byte_in_signed_range,
    letter_spec,
    nss_db_trusting,
    pdfsig,
    pdftotext,
    pyhanko_cli,
    sign_spec,
    upgrade,
)
from tests.common.test_ca import TestPKI, build_test_pki


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return build_test_pki()


@pytest.fixture(scope="module")
def root_pem(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pki.write_root_pem(tmp_path_factory.mktemp("root") / "root.pem")


@pytest.fixture(scope="module")
def nss(root_pem: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return nss_db_trusting(root_pem, tmp_path_factory.mktemp("nss"))


@pytest.fixture(scope="module")
def letters(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One B-T and one B-LTA letter in each language, written to files."""
    directory = tmp_path_factory.mktemp("letters")
    files = {}
    for locale in ("zh-CN", "en"):
        signed, cert = sign_spec(pki, letter_spec(locale))
        files[f"{locale}-bt"] = directory / f"{locale}-bt.pdf"
        files[f"{locale}-bt"].write_bytes(signed)
        files[f"{locale}-lta"] = directory / f"{locale}-lta.pdf"
        files[f"{locale}-lta"].write_bytes(upgrade(pki, signed, cert))
    return files


@pytest.mark.parametrize("name", ["zh-CN-bt", "zh-CN-lta", "en-bt", "en-lta"])
def test_pdfsig_reports_signature_valid_and_certificate_trusted(letters, nss, name):
    report = pdfsig(letters[name], nss)
    first_signature = report.split("Signature #2")[0]
    assert "Signature Type: ETSI.CAdES.detached" in first_signature
    assert "Signature Validation: Signature is Valid." in first_signature
    assert "Certificate Validation: Certificate is Trusted." in first_signature
    if name.endswith("lta"):
        assert "Signature Field Name: AnxinArchiveTimestamp" in report


@pytest.mark.parametrize("name", ["zh-CN-bt", "zh-CN-lta"])
def test_pyhanko_validator_judges_the_letter_valid_trusted_and_timestamped(
        letters, root_pem, name):
    result = pyhanko_cli("sign", "validate", "--trust", str(root_pem), "--trust-replace",
                         "--pretty-print", str(letters[name]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The signer's certificate is trusted." in result.stdout
    assert "The signature is cryptographically sound." in result.stdout
    assert "The timestamp token is cryptographically sound." in result.stdout
    assert "The TSA certificate is trusted." in result.stdout
    assert "The signature is judged VALID." in result.stdout


def test_pyhanko_ades_validation_accepts_the_lta_letter(letters, root_pem):
    result = pyhanko_cli("sign", "adesverify", "--trust", str(root_pem), "--trust-replace",
                         str(letters["zh-CN-lta"]))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("AnxinSignature:")
    assert ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES" in summary


def test_signature_stamp_text_is_visible_in_the_letter(letters, tmp_path):
    text = pdftotext(letters["zh-CN-lta"].read_bytes(), tmp_path)
    assert "签署人: 张三" in text
    assert "签署方式: 短信验证" in text
    english = pdftotext(letters["en-lta"].read_bytes(), tmp_path)
    assert "Signed by: Jane Doe" in english
    assert "Method: SMS verification" in english


@pytest.mark.parametrize("name", ["zh-CN-bt", "zh-CN-lta"])
def test_one_changed_byte_fails_pdfsig_and_pyhanko(letters, nss, root_pem, tmp_path, name):
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte_in_signed_range(letters[name].read_bytes()))
    first_signature = pdfsig(tampered, nss).split("Signature #2")[0]
    assert "Signature is Valid." not in first_signature
    assert "Signature Validation:" in first_signature
    result = pyhanko_cli("sign", "validate", "--trust", str(root_pem), "--trust-replace",
                         "--pretty-print", str(tampered))
    assert result.returncode != 0
    assert "judged VALID" not in result.stdout


def test_letter_from_another_root_is_not_trusted_by_pdfsig_or_pyhanko(nss, root_pem, tmp_path):
    stranger = build_test_pki("Stranger")
    signed, cert = sign_spec(stranger, letter_spec())
    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(upgrade(stranger, signed, cert))
    report = pdfsig(foreign, nss).split("Signature #2")[0]
    assert "Signature is Valid." in report  # intact, but ...
    assert "Certificate is Trusted." not in report  # ... not from our root
    result = pyhanko_cli("sign", "validate", "--trust", str(root_pem), "--trust-replace",
                         "--pretty-print", str(foreign))
    assert result.returncode != 0
    assert "judged VALID" not in result.stdout


def test_stamp_refuses_characters_the_letter_font_lacks(pki):
    key, cert = pki.issue_event_cert("龘")
    with pytest.raises(ValidationFailed) as info:
        sign_letter(render_letter_pdf(letter_spec()), signer_key=key, signer_cert=cert,
                    chain=pki.chain, timestamper=pki.timestamper(), signer_name="龘",
                    method_label="短信验证", reason="r", location="l",
                    signing_time=dt.datetime.now(dt.UTC))
    assert info.value.code == "stamp_glyph_missing"


def test_signing_refuses_non_pdf_input(pki):
    key, cert = pki.issue_event_cert("张三")
    with pytest.raises(ValidationFailed) as info:
        sign_letter(b"not a pdf", signer_key=key, signer_cert=cert, chain=pki.chain,
                    timestamper=pki.timestamper(), signer_name="张三", method_label="短信验证",
                    reason="r", location="l", signing_time=dt.datetime.now(dt.UTC))
    assert info.value.code == "unreadable_input"

"""Builders for letter tests: specs, signed letters, and the outside tools that judge them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from anxin.letters.qr import verification_url
from anxin.letters.render import LetterSpec, render_letter_pdf
from anxin.letters.sign import sign_letter, upgrade_to_lta
from tests.common.test_ca import TestPKI

ZH_TEXT = (
    "本人张三（证件号码 110101********123X）现同意并授权某某银行股份有限公司，为贷款审批之目的，"
    "向金融信用信息基础数据库查询本人的个人征信报告及个人信用评分。\n"
    "授权有效期自签署之日起一年，可使用次数为 3 次；"
    "超出用途、范围、期限或次数的查询均不在本授权之内。\n"
    "本人已阅读并理解本授权书全部内容，知悉查询可能对本人信用产生的影响，自愿作出本授权。"
)
EN_TEXT = (
    "I, Jane Doe (passport E1234****), authorize Example Bank Ltd. to obtain my credit report "
    "and credit score for the purpose of loan approval.\n"
    "This authorization is valid for one year from signing and may be used 3 times; any "
    "query beyond this purpose, scope, period or number of uses is not authorized.\n"
    "I have read and understood this letter in full."
)
VALID_FROM = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
VERIFY_BASE = "https://anxin.example"


def letter_spec(locale: str = "zh-CN", *, text: str | None = None,
                authorization_id: str = "auth_01JDZ8V4T6", subject_name: str | None = None,
                ) -> LetterSpec:
    zh = locale == "zh-CN"
    body = text if text is not None else (ZH_TEXT if zh else EN_TEXT)
    return LetterSpec(
        authorization_id=authorization_id, locale=locale,
        title="个人信用信息查询授权书" if zh else "Authorization to Query Credit Information",
        institution_name="某某银行股份有限公司" if zh else "Example Bank Ltd.",
        purpose_label="贷款审批" if zh else "Loan approval",
        scope_labels=("个人征信报告", "个人信用评分") if zh else ("Credit report", "Credit score"),
        valid_from=VALID_FROM, valid_until=VALID_FROM + dt.timedelta(days=365), max_uses=3,
        subject_name=subject_name or ("张三" if zh else "Jane Doe"),
        subject_id_masked="110101********123X" if zh else "E1234****",
        reference="LOAN-2026-000123", letter_text=body,
        letter_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        verify_url=verification_url(VERIFY_BASE, authorization_id),
    )


def sign_spec(pki: TestPKI, spec: LetterSpec, *, signer_name: str | None = None,
              extra_extensions: list[tuple[x509.ExtensionType, bool]] | None = None,
              rendered: bytes | None = None) -> tuple[bytes, x509.Certificate]:
    """Render (unless ``rendered`` is given) and sign (B-T) a letter with a fresh event
    certificate from ``pki``."""
    name = signer_name or spec.subject_name
    key, cert = pki.issue_event_cert(name, extra_extensions=extra_extensions)
    method = "短信验证" if spec.locale == "zh-CN" else "SMS verification"
    pdf = rendered if rendered is not None else render_letter_pdf(spec)
    signed = sign_letter(
        pdf, signer_key=key, signer_cert=cert, chain=pki.chain,
        timestamper=pki.timestamper(), signer_name=name, method_label=method,
        reason="Authorization of personal-data use", location="Anxin",
        signing_time=dt.datetime.now(dt.UTC).replace(microsecond=0))
    return signed, cert


def upgrade(pki: TestPKI, signed: bytes, cert: x509.Certificate) -> bytes:
    """The B-LTA upgrade with the test PKI's CRLs and an OCSP response for ``cert``."""
    return upgrade_to_lta(
        signed, certificates=[cert, *pki.chain, pki.tsa_cert],
        crls=[pki.issuing_crl(), pki.root_crl()], ocsp_responses=[pki.ocsp_response(cert)],
        timestamper=pki.timestamper())


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "letter-for-text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def nss_db_trusting(root_pem: Path, directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
                   check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{directory}", "-n", "root", "-t", "CT,C,C",
                    "-i", str(root_pem)], check=True, capture_output=True)
    return f"sql:{directory}"


def pdfsig(pdf_path: Path, nss_dir: str) -> str:
    result = subprocess.run(["pdfsig", "-nssdir", nss_dir, str(pdf_path)],
                            capture_output=True, text=True)
    return result.stdout + result.stderr


def pyhanko_cli(*args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("pyhanko")
    return subprocess.run([str(executable), *args], capture_output=True, text=True)


def flip_byte_in_signed_range(pdf: bytes) -> bytes:
    """Change one byte inside the first signed range, in a stream's data (parsable still)."""
    match = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", pdf)
    assert match is not None
    first_range_end = int(match.group(1))
    at = pdf.index(b"stream", first_range_end // 2) + 40
    assert at < first_range_end
    changed = bytearray(pdf)
    changed[at] ^= 0x01
    return bytes(changed)

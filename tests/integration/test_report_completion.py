"""The report PDF as a certificate of completion (issue 15), read back with pdftotext and
pdfimages from a real evidence package: the signing timeline (time, IP, user agent, the
identity checks), the trusted signing time (the TSA's) beside the server's, the letter's
first page as an image, Chinese beside English for every check, one stated time zone."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.evidence.offline import verify_bytes
from anxin.evidence.report_pdf_completion import ZONE_NOTE, in_report_zone
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.letters import pdftotext


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("completion")
    initialise(load_settings(data_dir=data_dir))
    settings = load_settings(data_dir=data_dir)
    ctx = build_services(settings, background_workers=False)
    with TestClient(create_app(settings, ctx)) as client:
        inst = add_institution(ctx, "Completion Bank")
        api = Api(client, inst.api_key, inst.id)
        api.template(max_uses=2)
        auth = api.request(seq=1)
        sign(client, settings.outbox_path, auth)
        r = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
        assert r.status_code == 200, r.text
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            files = {n: z.read(n) for n in z.namelist()}
        yield {"zip": r.content, "files": files, "auth": auth,
               "root": ctx.pki.root_cert, "base": settings.effective_base_url}
    ctx.close()


@pytest.fixture(scope="module")
def text(package, tmp_path_factory):
    return pdftotext(package["files"]["report.pdf"], tmp_path_factory.mktemp("report"))


def test_the_report_has_the_signing_timeline_with_ip_user_agent_and_checks(package, text):
    flat = _squash(text)
    for words in ("签署完成证明：签署过程/Certificateofcompletion:thesigningtimeline",
                  "机构发起授权请求/Theinstitutionrequestedtheauthorization",
                  "短信验证码已发送至", "身份核验通过/Identitycheckspassed",
                  "已阅读并确认授权书全文/readandconfirmedthefullletter",
                  "短信验证码正确", "授权书已签署（服务器时间）/Lettersigned(servertime)",
                  "可信签署时间（时间戳机构genTime）",
                  "客户端IP/ClientIPtestclient", "浏览器/Useragenttestclient"):
        assert words in flat, words
    # The steps are numbered in the order they happened.
    steps = re.findall(r"(\d+)\. (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \(UTC\+8\)", text)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    assert len(steps) >= 5
    assert [t for _, t in steps] == sorted(t for _, t in steps)


def test_the_trusted_signing_time_is_the_tsa_time_and_the_server_time_is_labelled(
        package, text):
    report = verify_bytes(package["zip"], "p.zip", [package["root"]], "root")
    trusted = report.facts["signature_time"]
    flat = _squash(text)
    server = report.facts["signed_at"]
    assert _squash(f"可信签署时间 / Trusted signing time {in_report_zone(trusted)} "
                   "(时间戳机构 genTime / the TSA's genTime)") in flat
    assert _squash(f"服务器时间 / Server time {in_report_zone(server)} (签署时 / at signing)"
                   ) in flat


def test_every_time_is_in_the_one_stated_zone(text):
    assert _squash(ZONE_NOTE) in _squash(text)
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{3,6}", text), "microseconds left"
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "an ISO time left"
    assert "+00:00" not in text
    assert "UTC)" not in text


def test_check_titles_and_details_are_in_chinese_and_english(package, text):
    report = verify_bytes(package["zip"], "p.zip", [package["root"]], "root")
    flat = _squash(text)
    assert report.checks
    for c in report.checks:
        assert _squash(c.title) in flat, c.id
    assert flat.count("已核验“") >= 2 * len(report.checks)  # page one and the details
    assert "通过/PASSED" in flat


def test_the_letter_first_page_is_in_the_report_as_an_image(package, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(package["files"]["report.pdf"])
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    images = [line.split() for line in listing if line.strip()]
    assert len(images) == 1
    width, height = int(images[0][3]), int(images[0][4])
    assert abs(width / height - 210 / 297) < 0.01  # an A4 page
    assert width >= 1000  # readable: 150 dpi
    # The image is the letter's first page: the QR code on it decodes to the letter's
    # verification address.
    subprocess.run(["pdfimages", "-png", str(path), str(tmp_path / "img")], check=True)
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "img-000.png"))]
    assert found == [f"{package['base']}/verify?id={package['auth']['id']}"]


def test_the_sealed_report_is_still_a_valid_pades_signature(package, tmp_path):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1_x509.Certificate.load(
        package["root"].public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(package["files"]["report.pdf"]))
    status = validate_pdf_signature(reader.embedded_signatures[0],
                                    ValidationContext(trust_roots=[root]))
    assert status.intact
    assert status.valid
    assert status.trusted

"""The portal's detail page shows the letter's trusted time (issue 15, "The documents"):
the signature timestamp's genTime, as the TSA put it in the token, in the deployment's
zone (``ANXIN_TIME_ZONE``), labelled as the trusted time-stamp beside the server's
signing time; a letter stored without it shows no trusted time at all."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from asn1crypto import cms, tsp
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.services.context import Context
from anxin.storage.models import Authorization
from tests.common.factories import Api, mobile, sign
from tests.common.portal_fixtures import client, portal_sign_in
from tests.common.reconfigure import reconfigure

__all__ = ["client"]


def _token_gen_time(pdf: bytes) -> dt.datetime:
    """The genTime of the letter's signature timestamp, read from the signed PDF."""
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures[0]
    signer_info = sig.signed_data["signer_infos"][0]
    (token,) = [a["values"][0] for a in signer_info["unsigned_attrs"]
                if a["type"].native == "signature_time_stamp_token"]
    assert isinstance(token, cms.ContentInfo)
    info = token["content"]["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    when: dt.datetime = info["gen_time"].native
    return when


def _trusted(text: str) -> str:
    m = re.search(r'<dd id="tsa-time"><span class="trusted-time">([^<]+)</span>', text)
    assert m, text
    return m.group(1)


@pytest.mark.parametrize(("zone", "lang"), [("Asia/Shanghai", "zh-CN"),
                                            ("America/New_York", "en")])
def test_the_detail_shows_the_tsa_time_in_the_deployment_zone(
        client: TestClient, api: Api, outbox, zone: str, lang: str) -> None:
    reconfigure(client.app, time_zone=zone)
    api.template()
    auth = api.request(seq=71)
    sign(client, outbox, auth)
    pdf = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content
    gen_time = _token_gen_time(pdf)
    portal_sign_in(client, outbox, mobile(71))
    r = client.get(f"/me/authorizations/{auth['id']}?lang={lang}")
    assert r.status_code == 200
    local = gen_time.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    where = f"{zone}, UTC{offset[:3]}:{offset[3:]}"
    if lang == "zh-CN":
        want = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（{where}）"
        assert "<dt>可信时间戳</dt>" in r.text
        assert "<dt>签署时间（服务器时间）</dt>" in r.text
    else:
        want = local.strftime("%d %b %Y %H:%M:%S") + f" ({where})"
        assert "<dt>Trusted time-stamp</dt>" in r.text
        assert "<dt>Signed on (server time)</dt>" in r.text
    assert _trusted(r.text) == want
    assert 'id="signed-at"' in r.text  # beside the server's time


def test_a_letter_without_a_stored_tsa_time_shows_none(
        client: TestClient, api: Api, ctx: Context, outbox) -> None:
    api.template()
    auth = api.request(seq=72)
    sign(client, outbox, auth)
    with ctx.db.transaction() as s:  # as a row from before the time was stored
        row = s.get(Authorization, auth["id"])
        assert row is not None
        assert row.timestamp_at is not None
        row.timestamp_at = None
    portal_sign_in(client, outbox, mobile(72))
    r = client.get(f"/me/authorizations/{auth['id']}?lang=en")
    assert r.status_code == 200
    assert 'id="signed-at"' in r.text
    assert 'id="tsa-time"' not in r.text
    assert "Trusted time-stamp" not in r.text

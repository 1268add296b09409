"""'Who looked at my credit' (issue 17): /me/history lists every gate call on the
person's authorizations, refused ones included, newest first and in words; a person who
opts in at /me/preferences gets one SMS per sweep for the refused attempts since the last
alert, and any number of sweepers alert once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from anxin.services.context import Context
from anxin.services.person_history import send_refusal_alerts
from tests.common.factories import Api, mobile, sign
from tests.common.portal_fixtures import client, csrf_of, portal_sign_in

__all__ = ["client"]


def _sms(outbox: Path, number: str, marker: str) -> list[str]:
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    return [x["text"] for x in lines if x["to"] == number and marker in x["text"]]


def test_history_across_institutions_with_refusals(client: TestClient, api: Api,
                                                   other_api: Api, outbox) -> None:
    api.template(max_uses=3)
    other_api.template()
    first = api.request(seq=97)
    sign(client, outbox, first)
    second = other_api.request(seq=97, reference="CARD-97")
    sign(client, outbox, second)
    assert api.use(first["id"]).status_code == 201
    assert api.use(first["id"], purpose="account_opening").status_code == 403
    assert other_api.use(second["id"]).status_code == 201
    portal_sign_in(client, outbox, mobile(97))
    assert 'href="/me/history"' in client.get("/me").text
    page = client.get("/me/history")
    assert page.status_code == 200
    assert page.text.count('class="use granted"') == 2
    assert page.text.count('class="use refused"') == 1
    assert "用途与授权不符" in page.text  # the refusal in words, not its code
    assert "purpose_mismatch" not in page.text
    assert "Other Lender" in page.text
    assert "Example Bank" in page.text
    assert 'id="history-summary"' in page.text


def test_refusal_alerts_for_those_who_opt_in_once(client: TestClient, api: Api, outbox,
                                                  ctx: Context) -> None:
    api.template(max_uses=3)
    auth = api.request(seq=98)
    sign(client, outbox, auth)
    number = "+86" + mobile(98)
    assert api.use(auth["id"], purpose="account_opening").status_code == 403
    send_refusal_alerts(ctx)
    assert _sms(outbox, number, "refused") == []  # not opted in
    portal_sign_in(client, outbox, mobile(98))
    page = client.get("/me/preferences")
    assert 'id="refusal-alerts"' in page.text
    r = client.post("/me/preferences", data={"csrf": csrf_of(page.text),
                                             "refusal_alerts": "on"}, follow_redirects=False)
    assert r.status_code == 303
    assert "checked" in client.get("/me/preferences").text
    send_refusal_alerts(ctx)
    assert _sms(outbox, number, "refused") == []  # only what is refused from now on
    assert api.use(auth["id"], purpose="account_opening").status_code == 403
    assert api.use(auth["id"], data_item="judicial_records").status_code == 403
    counts: list[int] = []
    barrier = threading.Barrier(3)

    def sweeper() -> None:
        barrier.wait()
        counts.append(send_refusal_alerts(ctx))

    threads = [threading.Thread(target=sweeper) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counts) == 3
    (text,) = _sms(outbox, number, "refused")
    assert "2 queries" in text
    assert "/me/history" in text
    send_refusal_alerts(ctx)
    assert len(_sms(outbox, number, "refused")) == 1  # nothing new, nothing sent
    # opting out stops them
    page = client.get("/me/preferences")
    client.post("/me/preferences", data={"csrf": csrf_of(page.text)})
    assert api.use(auth["id"], purpose="account_opening").status_code == 403
    send_refusal_alerts(ctx)
    assert len(_sms(outbox, number, "refused")) == 1
    assert client.post("/me/preferences", data={"csrf": "forged"}).status_code == 403

"""The mixed load of tests/cluster: threads that request, sign (the signing page's forms,
the SMS code read from the nodes' outboxes), call the gate and revoke (the portal's
forms), all through the load balancer, recording every acknowledged (2xx) answer; a
watcher that reads each node's ``GET /ledger/checkpoint``. The deliveries go to
:func:`tests.common.receiver.receiver` on 127.0.0.1, which records each."""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.common.factories import EN_BODY, mobile, resident_id
from tests.journeys.conftest import Forms

MAX_USES = 3
TEMPLATE = "cluster"


@dataclass
class Acks:
    """What the cluster acknowledged (2xx), and what failed on the way (not asserted)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    created: dict[str, int] = field(default_factory=dict)  # authorization id -> seq
    signed: list[str] = field(default_factory=list)
    grants: dict[str, list[str]] = field(default_factory=dict)  # authorization -> use ids
    revoked: list[str] = field(default_factory=list)
    # Every third signed authorization is kept from the gate for the revoker (an exhausted
    # one can no longer be revoked); each is tried once (one portal code a minute).
    to_revoke: list[str] = field(default_factory=list)
    usable: list[str] = field(default_factory=list)
    checkpoints: dict[str, set[tuple[int, bytes]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def newest_code(outboxes: list[Path], number: str, after: str = "") -> str | None:
    """The code of the newest SMS to ``number`` (national) in any node's outbox, sent
    after ``after`` (an ISO time); None if there is none yet."""
    found: list[tuple[str, str]] = []
    for path in outboxes:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            try:
                m = json.loads(line)
            except ValueError:  # a line being written
                continue
            if m["to"] == "+86" + number and m["at"] > after:
                code = re.search(r"(?<!\d)(\d{6})(?!\d)", m["text"])
                if code:
                    found.append((m["at"], code.group(1)))
    return max(found)[1] if found else None


def parse_note(note: str) -> tuple[int, bytes]:
    """(size, root) of a C2SP signed note."""
    lines = note.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


class Load:
    """The load's threads, until :attr:`stop` is set."""

    def __init__(self, base: str, api_key: str, outboxes: list[Path], node_urls: list[str],
                 hook_url: str) -> None:
        self.base = base
        self.api_key = api_key
        self.outboxes = outboxes
        self.node_urls = node_urls
        self.hook_url = hook_url
        self.acks = Acks()
        self.stop = threading.Event()
        self._seq = iter(range(100, 100000))
        self._seq_lock = threading.Lock()
        self._clients: list[httpx.Client] = []

    def api(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=30,
                              headers={"Authorization": f"Bearer {self.api_key}"})
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def prepare(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30,
                          headers={"Authorization": f"Bearer {self.api_key}"}) as api:
            r = api.post("/v1/templates", json={
                "code": TEMPLATE, "title": "Credit check", "purpose": "loan_approval",
                "data_scope": ["credit_report", "credit_score"], "body": EN_BODY,
                "locale": "en", "validity_days": 30, "max_uses": MAX_USES})
            assert r.status_code in (200, 201), r.text

    def _next_seq(self) -> int:
        with self._seq_lock:
            return next(self._seq)

    def _wait_code(self, number: str, after: str) -> str:
        for _ in range(50):
            code = newest_code(self.outboxes, number, after)
            if code is not None:
                return code
            time.sleep(0.1)
        raise AssertionError(f"no SMS code to {number}")

    # --- the threads' steps -------------------------------------------------------------

    def request_and_sign(self, api: httpx.Client) -> None:
        seq = self._next_seq()
        r = api.post("/v1/authorizations", json={
            "template": TEMPLATE, "reference": f"CLUSTER-{seq}",
            "callback_url": self.hook_url,
            "subject": {"name": "Zhang San", "id_type": "resident_id",
                        "id_number": resident_id(seq), "mobile": mobile(seq)}})
        if r.status_code != 201:
            self.acks.error(f"create {r.status_code}")
            return
        auth = r.json()
        with self.acks.lock:
            self.acks.created[auth["id"]] = seq
        token = auth["signing_url"].rsplit("/", 1)[1]
        with httpx.Client(base_url=self.base, follow_redirects=True, timeout=30) as b:
            page = b.get(f"/s/{token}", params={"lang": "en"})
            if page.status_code != 200:
                self.acks.error(f"page {page.status_code}")
                return
            action, fields = Forms(page.text).form("sign-form")
            before = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
            sent = b.post(f"/s/{token}/otp?lang=en", data={**fields, "read_confirmed": "on"})
            if sent.status_code != 200 or "msg=code_sent" not in str(sent.url):
                self.acks.error(f"otp {sent.status_code} {sent.url}")
                return
            code = self._wait_code(mobile(seq), before)
            signed = b.post(action, data={**fields, "read_confirmed": "on", "otp": code})
            if signed.status_code == 200 and "msg=signed" in str(signed.url):
                with self.acks.lock:
                    self.acks.signed.append(auth["id"])
                    pool = (self.acks.to_revoke if len(self.acks.signed) % 3 == 0
                            else self.acks.usable)
                    pool.append(auth["id"])
            else:
                self.acks.error(f"sign {signed.status_code} {signed.url}")

    def use(self, api: httpx.Client, rng: random.Random) -> None:
        with self.acks.lock:
            if not self.acks.usable:
                return
            auth_id = rng.choice(self.acks.usable)
        r = api.post(f"/v1/authorizations/{auth_id}/uses", json={
            "purpose": "loan_approval", "data_item": "credit_report",
            "reference": f"Q-{rng.randrange(10**9)}", "operator": "officer-1"})
        if r.status_code == 201:
            with self.acks.lock:
                self.acks.grants.setdefault(auth_id, []).append(r.json()["use_id"])
        elif r.status_code not in (409,):
            self.acks.error(f"use {r.status_code}")

    def revoke(self, rng: random.Random) -> None:
        with self.acks.lock:
            if not self.acks.to_revoke:
                return
            auth_id = self.acks.to_revoke.pop(rng.randrange(len(self.acks.to_revoke)))
            seq = self.acks.created[auth_id]
        with httpx.Client(base_url=self.base, follow_redirects=True, timeout=30) as b:
            page = b.get("/me", params={"lang": "en"})
            if page.status_code != 200:
                self.acks.error(f"me {page.status_code}")
                return
            action, fields = Forms(page.text).form("code-form")
            before = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
            coded = b.post(action, data={**fields, "mobile": mobile(seq)})
            if coded.status_code != 200:
                self.acks.error(f"me code {coded.status_code}")
                return
            action, fields = Forms(coded.text).form("login-form")
            home = b.post(action, data={**fields, "code": self._wait_code(mobile(seq), before)})
            if home.status_code != 200 or home.url.path != "/me":
                self.acks.error(f"me login {home.status_code} {home.url}")
                return
            confirm = b.get(f"/me/authorizations/{auth_id}/revoke")
            if confirm.status_code != 200:
                self.acks.error(f"revoke page {confirm.status_code}")
                return
            action, fields = Forms(confirm.text).form("revoke-form")
            done = b.post(action, data=fields)
            if done.status_code == 200 and "msg=revoked_ok" in str(done.url):
                with self.acks.lock:
                    self.acks.revoked.append(auth_id)
            else:
                self.acks.error(f"revoke {done.status_code} {done.url}")

    def watch_checkpoints(self) -> None:
        with httpx.Client(timeout=5) as c:
            while not self.stop.wait(0.3):
                for url in self.node_urls:
                    try:
                        r = c.get(url + "/ledger/checkpoint")
                    except httpx.TransportError:
                        continue  # the node is down (killed): the others answer
                    if r.status_code == 200:
                        with self.acks.lock:
                            self.acks.checkpoints.setdefault(url, set()).add(
                                parse_note(r.text))

    # --- running ------------------------------------------------------------------------

    def _loop(self, step: Callable[[], None], pause: float) -> None:
        while not self.stop.is_set():
            try:
                step()
            except (httpx.HTTPError, AssertionError, ValueError, KeyError) as exc:
                self.acks.error(f"{type(exc).__name__}: {exc}")
            self.stop.wait(pause)

    def threads(self) -> list[threading.Thread]:
        out: list[threading.Thread] = []
        for i in range(2):
            api = self.api()
            out.append(threading.Thread(target=self._loop, name=f"signer-{i}",
                                        args=(lambda a=api: self.request_and_sign(a), 0.0)))
        for i in range(3):
            api, rng = self.api(), random.Random(i)
            out.append(threading.Thread(target=self._loop, name=f"gate-{i}", args=(
                lambda a=api, g=rng: self.use(a, g), 0.05)))
        rng = random.Random(99)
        out.append(threading.Thread(target=self._loop, name="revoker",
                                    args=(lambda: self.revoke(rng), 1.0)))
        out.append(threading.Thread(target=self.watch_checkpoints, name="checkpoints"))
        return out

"""Bulk loading of realistic authorizations into a PostgreSQL deployment (bench/cluster.py).

One authorization signed through the real API is the model; each bulk row is a copy of
its row with what differs per person made by the product's own key helpers
(:class:`anxin.keys.DataKeys`): a new id, reference and token hash; the name, id number,
mobile and letter text encrypted under the new id (AES-GCM, the row and field as
associated data) and blind indexes of a new id number and mobile; its event
certificate(s) re-encrypted under a new serial; and its ledger leaves (the model's leaf
data with the new id in place of the model's: same sizes) appended to the log with the
nodes they complete (:class:`bench.ledger.BulkLoader`). Rows are written by COPY, 20,000
authorizations per transaction, with every index of the schema in place (what a growing
deployment pays). The signed letter PDF (``documents``) is not copied: its bytes per
authorization are measured on the model and reported beside (tens of KB each, they would
fill the disk at 10M). The model is read once its leaves are sequenced; the sequencer
must not run while rows are loaded (the nodes are stopped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from bench.ledger import BulkLoader, open_ledger
from psycopg.types.json import Json
from sqlalchemy.engine import make_url

from anxin.keys import DataKeys, load_master_key

BATCH = 20_000


def psycopg_url(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _wrap(v: Any) -> Any:
    return Json(v) if isinstance(v, dict | list) else v


class AuthorizationCloner:
    """Appends copies of the model authorization ``model_id`` (see the module docstring)."""

    def __init__(self, db_url: str, data_dir: Path, model_id: str) -> None:
        self.db_url = db_url
        self.keys: DataKeys = load_master_key(data_dir / "keys" / "master.key",
                                              os.environ.get("ANXIN_KEY_PASSPHRASE"))
        self.model_id = model_id
        with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
            # Its leaves are sequenced after the signing's commit: wait for all of them.
            deadline = time.monotonic() + 30
            while conn.execute("SELECT count(*) FROM ledger_queue WHERE authorization_id = "
                               "%s", (model_id,)).fetchone() != (0,):
                assert time.monotonic() < deadline, "the model's leaves were not sequenced"
                time.sleep(0.2)
            cur = conn.execute("SELECT * FROM authorizations WHERE id = %s", (model_id,))
            assert cur.description is not None
            self.columns = [d.name for d in cur.description]
            row = cur.fetchone()
            assert row is not None, model_id
            self.model = dict(zip(self.columns, row, strict=True))
            self.letter = self.keys.decrypt_text(bytes(self.model["letter_enc"]),
                                                 aad=f"{model_id}/letter")
            self.name = self.keys.decrypt_text(bytes(self.model["subject_name_enc"]),
                                               aad=f"{model_id}/name")
            cur = conn.execute("SELECT * FROM certificates WHERE authorization_id = %s",
                               (model_id,))
            assert cur.description is not None
            self.cert_columns = [d.name for d in cur.description]
            self.certs = [dict(zip(self.cert_columns, r, strict=True)) for r in cur]
            self.cert_ders = [self.keys.decrypt(bytes(c["der_enc"]),
                                                aad=f"certificates/{c['serial']}")
                              for c in self.certs]
            self.leaves = [bytes(r[0]) for r in conn.execute(
                "SELECT data FROM ledger_leaves WHERE authorization_id = %s ORDER BY idx",
                (model_id,))]
        self.count = 0

    def _row(self, n: int, at: dt.datetime) -> tuple[str, list[Any], list[list[Any]]]:
        k, a = self.keys, dict(self.model)
        auth_id = str(uuid.uuid4())
        id_number = f"1101011990{n:08d}"[:18]
        mobile = f"13{n:09d}"[-11:]
        a.update(
            id=auth_id, reference=f"BULK-{n}", created_at=at, status_changed_at=at,
            signed_at=at, timestamp_at=at, valid_from=at,
            subject_name_enc=k.encrypt_text(self.name, aad=f"{auth_id}/name"),
            subject_id_enc=k.encrypt_text(id_number, aad=f"{auth_id}/id"),
            subject_id_index=k.blind_index("id", f"{a['subject_id_type']}:{id_number}"),
            subject_mobile_enc=k.encrypt_text(mobile, aad=f"{auth_id}/mobile"),
            subject_mobile_index=k.blind_index("mobile", mobile),
            letter_enc=k.encrypt_text(self.letter, aad=f"{auth_id}/letter"),
            token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
            commitment_salt=os.urandom(16), ledger_head=os.urandom(32),
            ledger_prev=os.urandom(32))
        certs = []
        for c, der in zip(self.certs, self.cert_ders, strict=True):
            serial = secrets.token_hex(16)
            certs.append([_wrap(v) for v in {
                **c, "serial": serial, "authorization_id": auth_id,
                "der_enc": k.encrypt(der, aad=f"certificates/{serial}")}.values()])
        return auth_id, [_wrap(a[c]) for c in self.columns], certs

    def grow_to(self, size: int, *, newest: dt.datetime) -> float:
        """Appends authorizations until there are ``size`` bulk ones (created one second
        apart, the last at ``newest``); returns the seconds it took."""
        t0 = time.perf_counter()
        ledger = open_ledger(self.db_url)
        loader = BulkLoader(ledger, keep_hashes=False)
        loader.resume()
        model_id = self.model_id.encode()
        cols = ", ".join(self.columns)
        cert_cols = ", ".join(self.cert_columns)
        try:
            with psycopg.connect(psycopg_url(self.db_url)) as conn:
                while self.count < size:
                    stop = min(size, self.count + BATCH)
                    rows, certs, leaves = [], [], []
                    for n in range(self.count, stop):
                        at = newest - dt.timedelta(seconds=size - n)
                        auth_id, row, cert_rows = self._row(n, at)
                        rows.append(row)
                        certs.extend(cert_rows)
                        leaves.extend((d.replace(model_id, auth_id.encode()), auth_id)
                                      for d in self.leaves)
                    with conn.cursor() as cur:
                        with cur.copy(f"COPY authorizations ({cols}) FROM STDIN") as cp:
                            for row in rows:
                                cp.write_row(row)
                        with cur.copy(f"COPY certificates ({cert_cols}) FROM STDIN") as cp:
                            for row in certs:
                                cp.write_row(row)
                    conn.commit()
                    loader.append(leaves)
                    self.count = stop
            loader.finish()
        finally:
            ledger.db.dispose()
        return time.perf_counter() - t0

    def check(self, sample: int = 20) -> int:
        """Opens ``sample`` random bulk rows with the deployment's keys (name, id number,
        mobile, letter) and recomputes their blind indexes; returns how many were right."""
        ok = 0
        with psycopg.connect(psycopg_url(self.db_url)) as conn:
            for row in conn.execute(
                    "SELECT id, subject_name_enc, subject_id_enc, subject_id_type, "
                    "subject_id_index, subject_mobile_enc, subject_mobile_index, letter_enc "
                    "FROM authorizations WHERE reference LIKE 'BULK-%%' "
                    "ORDER BY random() LIMIT %s", (sample,)):
                aid, name, id_no, id_type, id_ix, mobile, mobile_ix, letter = row
                k = self.keys
                id_number = k.decrypt_text(bytes(id_no), aad=f"{aid}/id")
                mob = k.decrypt_text(bytes(mobile), aad=f"{aid}/mobile")
                ok += (k.decrypt_text(bytes(name), aad=f"{aid}/name") == self.name
                       and k.decrypt_text(bytes(letter), aad=f"{aid}/letter") == self.letter
                       and k.blind_index("id", f"{id_type}:{id_number}") == id_ix
                       and k.blind_index("mobile", mob) == mobile_ix)
        return ok

"""Backup and restore (PostgreSQL), as docs/operations.md "Backup and restore" says it:
``pg_dump`` of the deployment's database and its master secret are all it takes. The
source database and data directory are then destroyed; the dump is restored onto a
fresh database with ``pg_restore``, a fresh node comes in with ``anxin node add``, and
every letter (``anxin verify``), every evidence package (held before and rebuilt after)
and every checkpoint (``anxin ledger verify``) verifies on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.services.institutions import add_institution
from anxin.services.revocation import revoke_authorization
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.backends import libpq_url, require_postgres, throwaway_postgres
from tests.common.factories import Api, sign

pytestmark = pytest.mark.postgres

ANXIN = [sys.executable, "-m", "anxin"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).is_file() else None)
    assert found, f"{name} is needed (Debian package postgresql-client-15)"
    return found


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300,
                       cwd=cwd,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env})
    assert "Traceback" not in r.stderr, r.stderr
    return r


def _signed_deployment(data: Path, url: str) -> tuple[str, list[str], dict[str, bytes]]:
    """A deployment with three signed letters (one used, one revoked): its institution's
    API key, the authorization ids, and the letters and packages the institution holds,
    by file name."""
    initialise(load_settings(data_dir=data, database_url=url))
    settings = load_settings(data_dir=data, database_url=url)
    ctx = build_services(settings, background_workers=False)
    held: dict[str, bytes] = {}
    ids = []
    try:
        with TestClient(create_app(settings, ctx)) as client:
            inst = add_institution(ctx, "Backup Bank")
            api = Api(client, inst.api_key, inst.id)
            api.template(max_uses=2)
            for seq in (1, 2, 3):
                auth = api.request(seq=seq)
                sign(client, settings.outbox_path, auth)
                ids.append(auth["id"])
            assert api.use(ids[0]).status_code == 201
            revoke_authorization(ctx, ids[2], subject_index=None, channel="test")
            for auth_id in ids:
                for doc in ("letter.pdf", "evidence.zip"):
                    r = api.get(f"/v1/authorizations/{auth_id}/{doc}")
                    assert r.status_code == 200, r.text
                    held[f"{auth_id}-{doc}"] = r.content
        ctx.ledger.checkpoint(force=True)
    finally:
        ctx.close()
    return inst.api_key, ids, held


def test_pg_dump_and_the_master_secret_restore_a_deployment_that_verifies(tmp_path):
    admin = require_postgres()
    pg_dump, pg_restore, psql = _pg_tool("pg_dump"), _pg_tool("pg_restore"), _pg_tool("psql")
    work = tmp_path / "work"
    work.mkdir()
    dump = tmp_path / "anxin.dump"
    with throwaway_postgres(admin) as source_url:
        api_key, ids, held = _signed_deployment(tmp_path / "old-node", source_url)
        # 1. Back up: the database, and (once, kept apart) the master secret.
        r = _run([*ANXIN, "node", "secret", "--data-dir", str(tmp_path / "old-node")], {}, work)
        assert r.returncode == 0, r.stderr
        secret = r.stdout.strip()
        r = _run([pg_dump, "--format=custom", "--no-owner", "--file", str(dump),
                  libpq_url(source_url)], {}, work)
        assert r.returncode == 0, r.stderr
    # The source database is dropped (the context ended) and the old node is lost.
    shutil.rmtree(tmp_path / "old-node")
    for name, data in held.items():
        (work / name).write_bytes(data)

    restored = f"keys_restore_{uuid.uuid4().hex[:12]}"
    restored_url = make_url(admin).set(database=restored).render_as_string(
        hide_password=False)
    try:
        # 2. Restore onto a fresh database, 3. bring in a fresh node.
        r = _run([psql, libpq_url(admin), "-v", "ON_ERROR_STOP=1", "-c",
                  f'CREATE DATABASE "{restored}"'], {}, work)
        assert r.returncode == 0, r.stderr
        r = _run([pg_restore, "--no-owner", "--exit-on-error", "--dbname",
                  libpq_url(restored_url), str(dump)], {}, work)
        assert r.returncode == 0, r.stderr
        node = tmp_path / "new-node"
        r = _run([*ANXIN, "node", "add", "--data-dir", str(node), "--database-url",
                  restored_url], {"ANXIN_MASTER_KEY": secret}, work)
        assert r.returncode == 0, r.stderr
        assert "(none generated)" in r.stdout
        # 4. Every checkpoint, every letter and every package verifies on the new node.
        r = _run([*ANXIN, "ledger", "verify", "--data-dir", str(node)], {}, work)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert "ledger OK" in r.stdout
        assert " 0 signed checkpoint" not in r.stdout
        for name in sorted(held):
            args = [*ANXIN, "verify", name, "--data-dir", str(node), "--json"]
            if name.endswith(".zip"):
                args += ["--ledger", str(node)]
            r = _run(args, {}, work)
            assert r.returncode == 0, (name, r.stdout[-2000:], r.stderr[-2000:])
            assert json.loads(r.stdout)["failed_checks"] == [], name
        # The restored node serves: the institution's key still works, and the packages
        # it builds now verify against the log as it was restored.
        settings = load_settings(data_dir=node)
        steps = {s.name: s.created for s in initialise(settings)}
        assert not any(steps.values()), steps
        ctx = build_services(settings, background_workers=False)
        try:
            with TestClient(create_app(settings, ctx)) as client:
                for auth_id in ids:
                    r = client.get(f"/v1/authorizations/{auth_id}/evidence.zip",
                                   headers={"Authorization": f"Bearer {api_key}"})
                    assert r.status_code == 200, r.text
                    (work / f"rebuilt-{auth_id}.zip").write_bytes(r.content)
        finally:
            ctx.close()
        for auth_id in ids:
            r = _run([*ANXIN, "verify", f"rebuilt-{auth_id}.zip", "--data-dir", str(node),
                      "--json", "--ledger", str(node)], {}, work)
            assert r.returncode == 0, (auth_id, r.stdout[-2000:], r.stderr[-2000:])
    finally:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        engine.dispose()

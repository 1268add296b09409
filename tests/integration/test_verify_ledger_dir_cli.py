"""``anxin verify FILE --ledger DIR`` through the CLI: the data directory's log is read by
the storage reader that cli.py injects (anxin.evidence imports no storage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.integration.test_ledger_completeness import (  # noqa: F401 (the fixture)
    drop_revocation_and_say_active,
    world,
)


def test_the_cli_verify_with_a_data_directory_ledger(world, tmp_path):  # noqa: F811
    genuine, forged = tmp_path / "genuine.zip", tmp_path / "forged.zip"
    genuine.write_bytes(world["revoked"][1])
    forged.write_bytes(drop_revocation_and_say_active(world))
    root = world["settings"].keys_dir / "root.crt"
    env = {**os.environ, "ANXIN_DATA_DIR": str(tmp_path / "nothing-here")}
    codes = {}
    for pkg in (genuine, forged):
        r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(pkg), "--trust",
                            str(root), "--json", "--ledger", str(world["settings"].data_dir)],
                           capture_output=True, text=True, env=env, cwd=tmp_path,
                           check=False, timeout=120)
        assert r.stdout, r.stderr
        codes[pkg.name] = (r.returncode, json.loads(r.stdout)["failed_checks"])
    assert codes == {"genuine.zip": (0, []), "forged.zip": (1, ["ledger_log_tail"])}

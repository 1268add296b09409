"""``anxin.pki`` is a pure library: importing all of it loads no database, web framework,
storage, use case or web module (what it needs of storage comes through ``pki.ports``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anxin.pki

FORBIDDEN = ("sqlalchemy", "fastapi", "anxin.storage", "anxin.services", "anxin.web")

_PROBE = """
import importlib, json, sys
modules = json.loads(sys.argv[1])
for name in modules:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def _pki_modules() -> list[str]:
    package = Path(anxin.pki.__file__).parent
    names = ["anxin.pki"]
    for path in sorted(package.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        relative = path.relative_to(package).with_suffix("")
        names.append(".".join(("anxin.pki", *relative.parts)))
    return names


def test_every_pki_module_is_listed() -> None:
    modules = _pki_modules()
    for expected in ("anxin.pki.events", "anxin.pki.revocation", "anxin.pki.rotation",
                     "anxin.pki.serials", "anxin.pki.ports", "anxin.pki.tsa"):
        assert expected in modules


def test_importing_all_of_pki_loads_no_storage_services_or_web() -> None:
    modules = _pki_modules()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(modules)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert set(modules) <= set(loaded)
    offenders = sorted(name for name in loaded
                       if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert offenders == []

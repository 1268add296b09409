"""The libraries import neither storage, services, web nor their frameworks (issue 13).

Each check runs in a fresh interpreter, so nothing another test imported counts. The first
imports every module of the library packages (walked with pkgutil) and requires that none
of the forbidden modules is in ``sys.modules`` afterwards; when some are, a second run
with them blocked names every library module that cannot be imported without them. The
other imports only the offline verifier (``anxin verify`` needs no database).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

LIBRARIES = ("anxin.domain", "anxin.pki", "anxin.letters", "anxin.ledger", "anxin.evidence",
             "anxin.identity")
FORBIDDEN = ("sqlalchemy", "fastapi", "anxin.storage", "anxin.services", "anxin.web")

_PROBE = textwrap.dedent("""
    import importlib, importlib.abc, json, pkgutil, sys

    mode, forbidden, packages = sys.argv[1], tuple(sys.argv[2].split(",")), sys.argv[3]

    def is_forbidden(name):
        return any(name == f or name.startswith(f + ".") for f in forbidden)

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if is_forbidden(name):
                raise ModuleNotFoundError(f"forbidden: {name}", name=name)
            return None

    if mode == "block":
        sys.meta_path.insert(0, Block())
    out = {"modules": [], "loaded": [], "blocked": {}}
    for package in packages.split(","):
        pkg = importlib.import_module(package)
        out["modules"].append(package)
        for m in pkgutil.walk_packages(getattr(pkg, "__path__", []), package + "."):
            out["modules"].append(m.name)
    for name in out["modules"]:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if mode != "block" or not exc.name or not is_forbidden(exc.name):
                raise
            out["blocked"][name] = exc.name
    out["loaded"] = sorted(m for m in sys.modules if is_forbidden(m))
    print(json.dumps(out))
""")


def _probe(mode: str, *packages: str) -> dict[str, object]:
    r = subprocess.run([sys.executable, "-c", _PROBE, mode, ",".join(FORBIDDEN),
                        ",".join(packages)],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    result: dict[str, object] = json.loads(r.stdout)
    return result


def test_every_library_module_imports_no_storage_services_or_web() -> None:
    found = _probe("import", *LIBRARIES)
    modules = found["modules"]
    assert isinstance(modules, list)
    assert len(modules) > 60, "the walk found too few modules"
    if found["loaded"]:
        # Name each library module that needs a forbidden one (and which it needs).
        blocked = _probe("block", *LIBRARIES)["blocked"]
        raise AssertionError(f"the libraries loaded {found['loaded'][:8]}...; "
                             f"modules that cannot import without them: {blocked}")


def test_the_offline_verifier_alone_loads_none_of_them() -> None:
    found = _probe("import", "anxin.evidence.offline")
    assert found["loaded"] == [], found["loaded"]

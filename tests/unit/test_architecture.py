"""The import-linter contracts of pyproject.toml (docs/architecture.md) hold, and they
would catch the breaks they are there for: a library reaching storage, the offline
verifier reaching a database, a cycle, a module placed in no layer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(config), "--no-cache"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_contracts_hold() -> None:
    out = _lint(ROOT / "src", ROOT / "pyproject.toml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "5 kept, 0 broken" in out.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("arch")
    shutil.copytree(ROOT / "src" / "anxin", root / "src" / "anxin",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


PLANTED = {
    "a library reaching storage": ("ledger/planted.py",
                                   "from anxin.storage.database import Database\n",
                                   "anxin.ledger is not allowed to import anxin.storage"),
    "the offline verifier reaching a database": (
        "evidence/planted.py", "import sqlalchemy\n", "anxin.evidence is not allowed"),
    "a cycle between two libraries": ("pki/planted.py", "import anxin.letters.render\n",
                                      None),
    "a module in no layer": ("../anxin/planted_top.py", "X = 1\n", "anxin.planted_top"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_break_is_caught(tree: Path, case: str, tmp_path: Path) -> None:
    rel, code, expected = PLANTED[case]
    work = tmp_path / "tree"
    shutil.copytree(tree, work)
    target = (work / "src" / "anxin" / rel).resolve()
    target.write_text(code)
    if case.startswith("a cycle"):  # letters → pki, and the planted pki → letters
        (work / "src" / "anxin" / "letters" / "planted.py").write_text(
            "import anxin.pki.planted\n")
    out = _lint(work / "src", work / "pyproject.toml")
    assert out.returncode != 0, out.stdout
    if expected is not None:
        assert expected in out.stdout, out.stdout

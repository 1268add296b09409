"""The README's own commands, run as written against ``make run``'s server.

Which blocks run: every fenced ``sh``/``bash`` block of README.md directly preceded by the
line ``<!-- journey: run -->`` (invisible on GitHub). They run in order, in one
``bash -euo pipefail`` — one terminal session, as a reader would type them — in the
directory where ``make run`` serves (its data directory is ``anxin-data/``), with ``anxin``
on the PATH (the ``.venv/bin`` of ``make run``).

Only two things are filled in, the ones a reader fills in too:

* a placeholder line ``NAME=…...`` (``KEY=anx_...``) gets what ``make run``
  printed (``KEY``: the demo API key); a placeholder the test does not know fails it;
* ``http://localhost:8000`` becomes the test server's address (a free port).

What they must achieve: the shell exits 0 (``anxin verify`` exits 0 only on
TOTAL_PASSED); every concrete field of the README's ``# → …`` expected-output comments
(``"status": "pending"``, ``"uses_remaining": 0``, ``"code": "authorization_exhausted"``)
appears in the output, in that order; and afterwards, seen through the API, the
authorization is signed and exhausted with one granted and one refused use, and the
files the README writes (evidence.zip, report.pdf, report.xml) are there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.journeys.conftest import ROOT, Served

MARKER = "<!-- journey: run -->"
PLACEHOLDER = re.compile(r"^(?P<name>[A-Z_]+)=(?P<value>\S*\.\.\.)(?P<rest>\s+#.*)?$", re.M)
BLOCK = re.compile(r"^" + re.escape(MARKER) + r"\n```(?:sh|bash)\n(?P<body>.*?)^```$",
                   re.M | re.S)
EXPECTED = re.compile(r"^# → (?P<what>.*)$", re.M)
PAIR = re.compile(r'"(?P<k>\w+)":\s*(?P<v>"[^"…]*"|-?\d+|true|false|null)(?=\s*[,}])')


def readme_blocks(text: str) -> list[str]:
    blocks = [m.group("body") for m in BLOCK.finditer(text)]
    fences = len(re.findall(r"^" + re.escape(MARKER) + r"$", text, re.M))
    assert fences == len(blocks), f"a {MARKER} marker is not followed by a sh/bash block"
    return blocks


def fill_in(script: str, values: dict[str, str], base_url: str) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group("name")
        assert name in values, f"README placeholder {name}={m.group('value')}: unknown to " \
                               "the test (fill it in the README or teach the test)"
        return f"{name}={values[name]}"
    return PLACEHOLDER.sub(value, script).replace("http://localhost:8000", base_url)


def expected_fields(script: str) -> list[str]:
    """``"k":v`` (compact, as the API answers) for each concrete field of ``# →`` lines."""
    out = []
    for line in EXPECTED.finditer(script):
        out += [f'"{m.group("k")}":{m.group("v")}' for m in PAIR.finditer(line.group("what"))]
    return out


def test_the_readme_block_extraction_sees_the_walk_through() -> None:
    blocks = readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2, "README lost its marked walk-through blocks"
    script = "\n".join(blocks)
    assert "KEY=anx_..." in script
    assert expected_fields(script) == ['"status":"pending"', '"uses_remaining":0',
                                       '"code":"authorization_exhausted"']


def test_the_readme_walk_through_runs_as_written(served: Served, tmp_path: Path) -> None:
    script = fill_in("\n".join(readme_blocks((ROOT / "README.md").read_text("utf-8"))),
                     {"KEY": served.demo_key}, served.base_url)
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "anxin").write_text(f'#!/bin/sh\nexec {sys.executable} -m anxin "$@"\n')
    (shim / "anxin").chmod(0o755)
    env = {**served.env, "PATH": f"{shim}:{served.env.get('PATH', '/usr/bin:/bin')}"}
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=served.workdir,
                         env=env, capture_output=True, text=True, timeout=300)
    shown = f"--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
    assert run.returncode == 0, f"the README's commands failed (exit {run.returncode})\n{shown}"
    assert "otp_invalid" not in run.stdout, shown

    at = 0
    for field in expected_fields(script):
        found = run.stdout.find(field, at)
        assert found >= 0, f"README promises {field} (a '# →' line); not in the output\n{shown}"
        at = found + len(field)

    made = served.api.get("/v1/authorizations", params={"reference": "CARD-APP-42"}).json()[
        "items"]
    assert len(made) == 1, made
    record = served.api.get(f"/v1/authorizations/{made[0]['id']}").json()
    assert record["status"] == "exhausted", record
    assert record["signed_at"] is not None
    assert [u["granted"] for u in record["uses_log"]] == [True, False], record["uses_log"]
    assert record["uses_log"][1]["code"] == "authorization_exhausted"

    for name in ("root.crt", "evidence.zip", "report.pdf", "report.xml"):
        assert (served.workdir / name).stat().st_size > 0, name
    assert (served.workdir / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "TOTAL_PASSED" in run.stdout, shown


@pytest.mark.parametrize("line", ["KEY=anx_...                       # the demo API key",
                                  "TOKEN=..."])
def test_placeholders_are_recognised(line: str) -> None:
    assert PLACEHOLDER.fullmatch(line)

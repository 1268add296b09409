"""The README's own commands, run as written against ``make run``'s server.

Which blocks run: every fenced ``sh``/``bash`` block of README.md directly preceded by the
line ``<!-- journey: run -->`` (invisible on GitHub). They run in order, in one
``bash -euo pipefail`` — one terminal session, as a reader would type them — in the
directory where ``make run`` serves (its data directory is ``anxin-data/``), with ``anxin``
where ``make run`` installs it, ``.venv/bin/anxin``, and NOT on the PATH: the README's
own commands must find it (issue 16: "``anxin verify`` fails with not found").

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

import os
import re
import shlex
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
    # make run's .venv/bin/anxin, in the directory make run serves from; no other anxin
    # on the PATH.
    venv_bin = served.workdir / ".venv" / "bin"
    venv_bin.mkdir(parents=True, exist_ok=True)
    (venv_bin / "anxin").write_text(f'#!/bin/sh\nexec {sys.executable} -m anxin "$@"\n')
    (venv_bin / "anxin").chmod(0o755)
    path = [d for d in served.env.get("PATH", "/usr/bin:/bin").split(os.pathsep)
            if d and not (Path(d) / "anxin").exists()]
    env = {**served.env, "PATH": os.pathsep.join(path)}
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


MAKE_RUN = re.compile(r"`(make run(?: [A-Z]+=\S+)+)`")


def test_the_readmes_make_run_port_and_host_reach_anxin_serve() -> None:
    """``make run PORT=… HOST=…`` as the README writes them: the Makefile passes them to
    ``anxin serve`` (``make -n`` prints the command without running it); without them
    the server's own settings apply (no --port, no --host)."""
    commands = MAKE_RUN.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert any("PORT=" in c for c in commands), "the README no longer says how to change " \
                                                "the port"
    for command in commands:
        args = shlex.split(command)[2:]
        shown = subprocess.run(["make", "-n", "-C", str(ROOT), "run", *args],
                               capture_output=True, text=True, timeout=60, check=True)
        serve = [ln for ln in shown.stdout.splitlines() if "anxin serve" in ln]
        assert serve, shown.stdout
        values = dict(a.split("=", 1) for a in args)
        served_args = shlex.split(serve[-1])
        for name, flag in (("PORT", "--port"), ("HOST", "--host")):
            if name in values:
                assert served_args[served_args.index(flag) + 1] == values[name], serve[-1]
    plain = subprocess.run(["make", "-n", "-C", str(ROOT), "run"], capture_output=True,
                           text=True, timeout=60, check=True).stdout
    line = next(ln for ln in plain.splitlines() if "anxin serve" in ln)
    assert "--port" not in line
    assert "--host" not in line

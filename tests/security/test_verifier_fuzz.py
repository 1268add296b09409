"""Issue 12 item 11: the offline verifier on hostile input. A COSE key of 50,000 nested
arrays crashed ``anxin verify`` with a RecursionError traceback. Every malformed package
or letter must give one of the documented outcomes -- a report (TOTAL_PASSED,
TOTAL_FAILED naming the check, INDETERMINATE) or ``unreadable_input`` (exit 3) -- and the
CLI never prints a traceback. Hypothesis mutates real packages (byte flips, truncations,
member deletions and duplications, nested JSON, huge numbers, CBOR bombs); the run is
bounded (``max_examples``, derandomised) for CI."""

# ruff: noqa: F811 - `world` is the imported module fixture, taken as an argument
from __future__ import annotations

import base64
import contextlib
import io
import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from anxin.errors import AnxinError
from anxin.evidence.offline import verify_bytes
from anxin.evidence.report import FAILED, INDETERMINATE, PASSED
from tests.integration.test_evidence import rezip, unzip, world  # noqa: F401 - fixture


class _World(dict[str, Any]):
    """The evidence world with a short repr (Hypothesis prints its arguments)."""

    def __repr__(self) -> str:
        return "<evidence world>"


@pytest.fixture(scope="module")
def short_world(world: dict[str, Any]) -> _World:
    return _World(world)


OUTCOMES = {"TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"}
NESTED_COSE = b"\x81" * 50_000 + b"\x00"  # 50,000 nested one-element arrays


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _with_cose(files: dict[str, bytes], cose: bytes) -> dict[str, bytes]:
    ev = json.loads(files["identity/passkey.json"])
    ev["public_key_cose"] = _b64url(cose)
    return {**files, "identity/passkey.json": json.dumps(ev).encode()}


def _verify(world: dict[str, Any], data: bytes) -> str:
    """The documented outcome of verifying ``data``; anything else propagates."""
    try:
        report = verify_bytes(data, "fuzz.zip", [world["root"]], "test root")
    except AnxinError as exc:
        assert exc.code == "unreadable_input", (exc.code, exc.detail)  # noqa: PT017
        return "unreadable"
    assert report.indication in OUTCOMES
    for check in report.checks:
        assert check.result in (PASSED, FAILED, INDETERMINATE)
    if report.indication == "TOTAL_FAILED":
        assert report.failed_checks, "TOTAL_FAILED names the failed check"
    return str(report.indication)


def test_deeply_nested_cose_key_fails_the_passkey_check(world):
    files = unzip(world["packages"][2][1])
    data = rezip(_with_cose(files, NESTED_COSE))
    report = verify_bytes(data, "p.zip", [world["root"]], "test root")
    assert report.indication == "TOTAL_FAILED"
    assert "passkey_assertion" in report.failed_checks


def _cli(world: dict[str, Any], tmp_path: Path, data: bytes) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "input.zip"
    f.write_bytes(data)
    return subprocess.run([sys.executable, "-m", "anxin", "verify", str(f), "--trust",
                           str(world["settings"].keys_dir / "root.crt"), "--json"],
                          capture_output=True, text=True, check=False, timeout=300)


def _nested_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


CLI_CASES = {
    "nested-cose": lambda f: _with_cose(f, NESTED_COSE),
    "nested-json-record": lambda f: {**f, "authorization.json": _nested_json(100_000)},
    "nested-json-passkey": lambda f: {**f, "identity/passkey.json": _nested_json(100_000)},
    "huge-number-entries": lambda f: {**f, "ledger/entries.json": b"9" * 100_000},
    "nested-json-manifest": lambda f: {**f, "manifest.json": _nested_json(50_000)},
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_never_prints_a_traceback(world, tmp_path, case):
    files = CLI_CASES[case](unzip(world["packages"][2][1]))
    r = _cli(world, tmp_path, rezip(files))
    assert r.returncode in (1, 2, 3), r.stdout + r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    if r.returncode in (1, 2):
        assert json.loads(r.stdout)["indication"] in OUTCOMES


def _cbor_bomb(kind: int, n: int) -> bytes:
    if kind == 0:
        return b"\xa1\x01" * n + b"\x00"  # nested maps
    if kind == 1:
        return b"\x9b" + (2**63).to_bytes(8, "big")  # an array claiming 2^63 items
    if kind == 2:
        return b"\x5b" + (2**62).to_bytes(8, "big") + b"x"  # a byte string of 2^62 bytes
    return b"\x9f" * n  # indefinite arrays


OPS = ("flip", "truncate", "delete", "duplicate", "nested", "huge", "cbor", "json-value")
HUGE = (b"9" * 50_000, b"1e999999", b"-" + b"9" * 5000, b'{"entries": [' + b"9" * 20_000 + b"]}")
VALUES = (None, [], {}, "", 10**400, -1, "x" * 10_000, [[[[[]]]]], True, 1.5e308)
# One mutation: (operation, which member, where, which variant). Every draw has a fixed
# shape and is read modulo the sizes at hand, so generation never depends on state.
MUTATION = st.tuples(st.sampled_from(OPS), st.integers(0, 10**6), st.integers(0, 10**9),
                     st.integers(0, 10**6))


def _mutate(files: dict[str, bytes], mutation: tuple[str, int, int, int]) -> dict[str, bytes]:
    op, which, where, variant = mutation
    names = sorted(files)
    if not names:
        return files
    name = names[which % len(names)]
    body = files[name]
    out = dict(files)
    if op == "flip" and body:
        i = where % len(body)
        out[name] = body[:i] + bytes([body[i] ^ (1 + variant % 255)]) + body[i + 1:]
    elif op == "truncate":
        out[name] = body[:where % (len(body) + 1)]
    elif op == "delete":
        del out[name]
    elif op == "duplicate":
        out[name + ".copy"] = body  # an unlisted member
    elif op == "nested":
        out[name] = _nested_json((1_000, 5_000, 200_000)[variant % 3])
    elif op == "huge":
        out[name] = HUGE[variant % len(HUGE)]
    elif op == "cbor" and "identity/passkey.json" in out:
        # (skipped when the passkey evidence was already mutated past reading)
        with contextlib.suppress(ValueError, KeyError, TypeError):
            out = _with_cose(out, _cbor_bomb(variant % 4, (10, 1000, 60_000)[where % 3]))
    elif op == "json-value" and name.endswith(".json"):
        try:
            doc = json.loads(body)
        except ValueError:
            return out
        if isinstance(doc, dict) and doc:
            doc[sorted(doc)[where % len(doc)]] = VALUES[variant % len(VALUES)]
            out[name] = json.dumps(doc).encode()
    return out


def _duplicate_member(data: bytes, name: str) -> bytes:
    buf = io.BytesIO(data)
    try:
        with warnings.catch_warnings(), zipfile.ZipFile(buf, "a") as z:
            warnings.simplefilter("ignore")  # "Duplicate name": the point of this input
            z.writestr(name, b"{}")
    except (zipfile.BadZipFile, ValueError):
        return data
    return buf.getvalue()


# Bounded for CI: a package takes about a second to verify, so few examples, no shrinking
# (a failure prints its mutations, which reproduce it: the run is derandomised).
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(which=st.sampled_from([0, 2]), mutations=st.lists(MUTATION, min_size=1, max_size=3),
       cut=st.one_of(st.none(), st.integers(0, 10**9)), dup=st.integers(0, 9))
def test_mutated_packages_give_only_documented_outcomes(short_world, which, mutations, cut,
                                                        dup):
    world = short_world
    files = unzip(world["packages"][which][1])  # an SMS-signed and a passkey-signed one
    for m in mutations:
        files = _mutate(files, m)
    data = rezip(files)
    if dup == 0 and files:
        data = _duplicate_member(data, sorted(files)[0])
    if cut is not None:
        data = data[:cut % (len(data) + 1)]  # a truncated archive
    _verify(world, data)


@FUZZ
@given(op=st.sampled_from(["flip", "truncate", "splice"]), where=st.integers(0, 10**9))
def test_mutated_letters_give_only_documented_outcomes(short_world, op, where):
    world = short_world
    letter = unzip(world["packages"][2][1])["letter.pdf"]
    i = 5 + where % (len(letter) - 5)
    if op == "flip":
        letter = letter[:i] + bytes([letter[i] ^ 0xFF]) + letter[i + 1:]
    elif op == "truncate":
        letter = letter[:i]
    else:
        letter = letter[:i] + _nested_json(5_000) + letter[i:]
    try:
        report = verify_bytes(letter, "fuzz.pdf", [world["root"]], "test root")
    except AnxinError as exc:
        assert exc.code == "unreadable_input", (exc.code, exc.detail)  # noqa: PT017
        return
    assert report.indication in OUTCOMES

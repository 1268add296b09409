"""Evidence that lasts: a letter and its package verify offline for twelve years.

The clock is moved by libfaketime (Debian ``faketime``) for each command, and the network is
cut (``unshare -n``, as root) so nothing can be fetched. The schedule of issue 11, with the
TSA certificate living five years and the issuing CA ten:

- sign now; verify at +1 h, +25 h, +1 year and +4 years (the package and the letter
  with ``anxin verify``, the letter with pyHanko's ``adesverify``);
- at +4 years rotate the TSA (``anxin keys rotate --leaves``), ``anxin archive renew``,
  and refresh the held package from a running server (``anxin archive renew FILE.zip
  --server``); verify the new one at +6 years; the never-renewed letter is INDETERMINATE
  at +6 years with OUT_OF_BOUNDS_NO_POE, neither a pass nor a failure;
- at +8 years rotate the issuing CA and the TSA, renew, refresh; verify at +12 years.

pyHanko 0.38's ``adesverify`` judges the letter at the *current* time less far than the
evidence allows, for three reasons in its AdES code (each traced here; docs/verification.md
gives the procedure that works around them): it never gives the signature timestamp a
proof of existence (``ades.py`` looks for the attribute ``signature_time_stamp``, which
asn1crypto names ``signature_time_stamp_token``), so after the signature TSA's five years
it cannot judge that token; it does not update a token's status after a past validation;
and it reports a chain whose issuing CA has expired as CERTIFICATE_CHAIN_GENERAL_FAILURE,
which its past validation never retries. So the test asks pyHanko, at each time, for what
it can show: up to +4 years INTACT:TRUSTED at the current time; at +6 years the
archive-timestamp chain validating at the current time; at +6 and +12 years INTACT:TRUSTED
with a trusted timestamp at the time of the newest archive timestamp made while the
signature TSA was valid (``--validation-time``); that the chain of archive timestamps
carries that time to the present is what ``anxin verify`` checks at the current time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.letters.timestamps import timestamp_certificates
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.serve import wait_until_healthy

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
OFFLINE = ["unshare", "-n"] if os.geteuid() == 0 and shutil.which("unshare") else []


def at(offset: str, *cmd: str | Path, check: bool = False,
       offline: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with the clock at now + ``offset`` (and no network)."""
    prefix = ["faketime", "-f", offset, *(OFFLINE if offline else [])]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*prefix, *map(str, cmd)], capture_output=True, text=True,
                          check=check, env=env, timeout=300)


def anxin_verify(offset: str, path: Path, root: Path) -> dict[str, object]:
    out = at(offset, BIN / "anxin", "verify", path, "--trust", root, "--json")
    assert out.returncode in (0, 1, 2), out.stderr
    report: dict[str, object] = json.loads(out.stdout)
    report["exit"] = out.returncode
    return report


def adesverify(offset: str, letter: Path, root: Path,
               *extra: str) -> tuple[str, str]:
    """pyHanko's summary line for the letter's signature, and its log (stderr)."""
    out = at(offset, BIN / "pyhanko", "sign", "adesverify", "--trust", root,
             "--trust-replace", *extra, letter)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("AnxinSignature:")]
    assert lines, out.stdout + out.stderr
    return lines[0], out.stderr


def pyhanko_judging_time(letter: bytes) -> str:
    """Where pyHanko can judge the whole letter: just after the newest archive timestamp
    made while the signature timestamp's TSA certificate was still valid."""
    tsa_certs, _ = timestamp_certificates(letter)
    signature_tsa_expiry = tsa_certs[0].not_valid_after_utc
    reader = PdfFileReader(io.BytesIO(letter))
    times = sorted(s.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
                   for s in reader.embedded_timestamp_signatures)
    when = max(t for t in times if t < signature_tsa_expiry)
    return str((when + dt.timedelta(seconds=30)).isoformat())


def assert_lasts(offset: str, package: Path, root: Path, tmp: Path, *,
                 pyhanko_now: str = "trusted") -> None:
    """``anxin verify`` passes the package and its letter at ``offset``; pyHanko's
    ``adesverify`` shows, at the current time, ``pyhanko_now``: "trusted" (all of it),
    "chain" (the archive-timestamp chain validates), or "intact" (only the signature's
    integrity); short of "trusted", it is TRUSTED at :func:`pyhanko_judging_time`."""
    report = anxin_verify(offset, package, root)
    failing = [c for c in report["checks"] if c["result"] != "PASSED"]  # type: ignore[union-attr]
    assert report["indication"] == "TOTAL_PASSED", (offset, failing)
    letter = tmp / f"letter{offset}.pdf"
    with zipfile.ZipFile(package) as z:
        letter.write_bytes(z.read("letter.pdf"))
    assert anxin_verify(offset, letter, root)["indication"] == "TOTAL_PASSED", offset
    line, log = adesverify(offset, letter, root)
    assert ":INTACT:" in line, (offset, line)
    assert "EXTENDED_WITH_LTA_UPDATES" in line, (offset, line)
    if pyhanko_now in ("trusted", "chain"):
        assert "Document timestamp chain failed" not in log, (offset, log)
    if pyhanko_now == "trusted":
        assert ":INTACT:TRUSTED," in line, (offset, line)
        assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in line, (offset, line)
        return
    line, _ = adesverify(offset, letter, root, "--validation-time",
                         pyhanko_judging_time(letter.read_bytes()))
    assert ":INTACT:TRUSTED," in line, (offset, line)
    assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in line, (offset, line)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refresh_from_server(offset: str, data_dir: Path, held: Path, api_key: str) -> None:
    """`anxin serve` at ``offset``, then `anxin archive renew FILE --server` against it."""
    port = _free_port()
    server = subprocess.Popen(
        ["faketime", "-f", offset, BIN / "anxin", "serve", "--data-dir", data_dir,
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "ANXIN_ARCHIVE_RENEW_INTERVAL_SECONDS": "0"},
        start_new_session=True)  # faketime forks the server: stop the whole group
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, timeout=60)
        before = held.read_bytes()
        out = at(offset, BIN / "anxin", "archive", "renew", held, "--server", base,
                 "--api-key", api_key, offline=False)
        assert out.returncode == 0, out.stdout + out.stderr
        assert held.with_name(held.stem + ".previous.zip").read_bytes() == before
        with zipfile.ZipFile(io.BytesIO(before)) as old, zipfile.ZipFile(held) as new:
            assert new.read("letter.pdf").startswith(old.read("letter.pdf"))
            assert len(new.read("letter.pdf")) > len(old.read("letter.pdf"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(20)


@pytest.fixture(scope="module", autouse=True)
def _faketime() -> None:
    """libfaketime is installed by scripts/system-deps.sh (`make test`): never skipped."""
    if shutil.which("faketime") is None:
        pytest.fail("needs libfaketime (Debian package faketime): run `make install-test`")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("ltv")
    data = tmp / "data"
    initialise(load_settings(data_dir=data))
    settings = load_settings(data_dir=data)
    ctx = build_services(settings, background_workers=False)
    with TestClient(create_app(settings, ctx)) as client:
        inst = add_institution(ctx, "Long Term Bank")
        api = Api(client, inst.api_key, inst.id)
        api.template(max_uses=3)
        auth = api.request(seq=1)
        sign(client, settings.outbox_path, auth)
        assert api.use(auth["id"]).status_code == 201
        package = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
        assert package.status_code == 200, package.text
    ctx.close()
    (tmp / "p0.zip").write_bytes(package.content)
    shutil.copy(settings.keys_dir / "root.crt", tmp / "root.crt")
    return {"tmp": tmp, "data": data, "api_key": inst.api_key}


def test_twelve_years_offline(signed: dict[str, object]) -> None:
    tmp, data = Path(str(signed["tmp"])), Path(str(signed["data"]))
    root, p0 = tmp / "root.crt", tmp / "p0.zip"
    for offset in ("+1h", "+25h", "+1y", "+4y"):
        assert_lasts(offset, p0, root, tmp)

    # +4 years: a new TSA (the old one would age out at +5), every letter renewed.
    at("+4y", BIN / "anxin", "keys", "rotate", "--leaves", "--yes", "--data-dir", data,
       check=True)
    renewed = at("+4y", BIN / "anxin", "archive", "renew", "--data-dir", data, check=True)
    assert "renewed 1 letter(s)" in renewed.stdout
    again = at("+4y", BIN / "anxin", "archive", "renew", "--due", "--data-dir", data,
               check=True)
    assert "renewed 0 letter(s)" in again.stdout  # nothing is due twice
    p1 = tmp / "p1.zip"
    shutil.copy(p0, p1)
    refresh_from_server("+4y", data, p1, str(signed["api_key"]))
    assert_lasts("+6y", p1, root, tmp, pyhanko_now="chain")

    # The letter as it was before renewal: after its TSA expired, not provable any more.
    old_letter = tmp / "never-renewed.pdf"
    with zipfile.ZipFile(p0) as z:
        old_letter.write_bytes(z.read("letter.pdf"))
    lapsed = anxin_verify("+6y", old_letter, root)
    assert (lapsed["indication"], lapsed["sub_indication"], lapsed["exit"]) == \
        ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE", 2)
    assert anxin_verify("+6y", p0, root)["indication"] == "INDETERMINATE"

    # +8 years: a new issuing CA (the old ends at +10) and TSA; renew; refresh.
    # (a full rotation is a root operation: the offline root key is passed explicitly)
    at("+8y", BIN / "anxin", "keys", "rotate", "--yes", "--data-dir", data,
       "--root-key", data / "offline" / "root.key", check=True)
    at("+8y", BIN / "anxin", "archive", "renew", "--data-dir", data, check=True)
    p2 = tmp / "p2.zip"
    shutil.copy(p1, p2)
    refresh_from_server("+8y", data, p2, str(signed["api_key"]))
    assert_lasts("+12y", p2, root, tmp, pyhanko_now="intact")
    with zipfile.ZipFile(p2) as z:
        stamps = PdfFileReader(io.BytesIO(z.read("letter.pdf"))).embedded_timestamp_signatures
    assert [s.field_name for s in stamps] == [  # signing, +4 y, +8 y: kept, none replaced
        "AnxinArchiveTimestamp", "AnxinArchiveTimestamp2", "AnxinArchiveTimestamp3"]

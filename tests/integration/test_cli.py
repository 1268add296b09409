"""The command line: init (idempotent), institution add, serve, and `make run`."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ANXIN = [sys.executable, "-m", "anxin"]


def run(*args, env=None, check=True):
    return subprocess.run([*ANXIN, *args], capture_output=True, text=True, check=check,
                          env={**os.environ, **(env or {})}, timeout=120)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_init_twice_changes_nothing_the_second_time(tmp_path):
    d = tmp_path / "data"
    first = run("init", "--data-dir", str(d))
    assert "created" in first.stdout
    files = {p: p.read_bytes() for p in d.rglob("*") if p.is_file() and "anxin.db" not in p.name}
    assert (d / "anxin.toml").is_file()
    assert (d / "keys" / "master.key").is_file()
    second = run("init", "--data-dir", str(d))
    assert "nothing changed" in second.stdout
    assert {p: p.read_bytes() for p in files} == files


def test_data_dir_from_the_environment(tmp_path):
    d = tmp_path / "envdata"
    run("init", env={"ANXIN_DATA_DIR": str(d)})
    assert (d / "keys" / "master.key").is_file()


def test_institution_add_json(tmp_path):
    d = tmp_path / "data"
    run("init", "--data-dir", str(d))
    out = json.loads(run("institution", "add", "Bank of Tests", "--json",
                         "--data-dir", str(d)).stdout)
    assert set(out) == {"id", "api_key", "webhook_secret", "test_api_key"}
    assert out["api_key"].startswith("anx_")
    assert not out["api_key"].startswith("anx_test_")
    assert out["test_api_key"].startswith("anx_test_")  # test mode (docs/api.md)
    assert out["webhook_secret"].startswith("whsec_")
    # The keys are stored only as hashes, the webhook secret only encrypted.
    assert out["api_key"].encode() not in (d / "anxin.db").read_bytes()
    assert out["test_api_key"].encode() not in (d / "anxin.db").read_bytes()
    assert out["webhook_secret"].encode() not in (d / "anxin.db").read_bytes()


def test_commands_have_help():
    for args in (["--help"], ["init", "--help"], ["serve", "--help"],
                 ["institution", "add", "--help"], ["verify", "--help"]):
        assert "Usage" in run(*args).stdout


def test_institution_add_without_init_says_what_to_do(tmp_path):
    r = run("institution", "add", "X", "--data-dir", str(tmp_path / "none"), check=False)
    assert r.returncode == 1
    assert "anxin init" in r.stderr


def _wait_health(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read()}")
        try:
            r = httpx.get(url + "/healthz", timeout=1)
            if r.status_code == 200:
                return r
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became healthy")


@pytest.mark.slow
def test_make_run_starts_with_demo_data(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["make", "-s", "run", f"DATA_DIR={tmp_path / 'data'}"], cwd=ROOT,
                            env={**os.environ, "ANXIN_PORT": str(port)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        base = f"http://localhost:{port}"
        r = _wait_health(base, proc)
        assert r.json() == {"status": "ok"}
        out = ""
        while "Demo signing link" not in out:
            out += proc.stdout.readline()
        key = re.search(r"API key:\s+(\S+)", out).group(1)
        link = re.search(r"signing link:\s+(\S+)", out).group(1)
        assert link.startswith(base + "/s/")
        assert httpx.get(link).status_code == 200
        listed = httpx.get(base + "/v1/authorizations",
                           headers={"Authorization": f"Bearer {key}"}).json()
        assert listed["total"] >= 1
        assert httpx.get(base + "/docs").status_code == 200
        assert "anxin_http_requests" in httpx.get(base + "/metrics").text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        proc.stdout.close()


def test_init_profile_is_fixed_and_another_is_refused_naming_both(tmp_path):
    d = tmp_path / "data"
    run("init", "--data-dir", str(d), "--profile", "dual")
    assert (d / "keys" / "profile").read_text() == "dual\n"
    files = {p: p.read_bytes() for p in d.rglob("*") if p.is_file() and "anxin.db" not in p.name}
    refused = run("init", "--data-dir", str(d), "--profile", "sm", check=False)
    assert refused.returncode != 0
    assert "'dual'" in refused.stderr
    assert "'sm'" in refused.stderr
    assert "profile_mismatch" in refused.stderr
    assert {p: p.read_bytes() for p in files} == files
    assert run("init", "--data-dir", str(d), "--profile", "dual").returncode == 0
    served = run("serve", "--data-dir", str(d), "--port", str(free_port()),
                 env={"ANXIN_PROFILE": "intl"}, check=False)
    assert served.returncode != 0
    assert "'intl'" in served.stderr
    assert "'dual'" in served.stderr


def test_init_profile_unknown_is_a_usage_error(tmp_path):
    refused = run("init", "--data-dir", str(tmp_path / "d"), "--profile", "gm", check=False)
    assert refused.returncode == 2
    assert "intl" in refused.stderr
    assert not (tmp_path / "d" / "keys").exists()

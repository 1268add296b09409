"""``anxin init`` and ``anxin serve`` stop on a configuration mistake before doing
anything, with one line naming the key (issue 13: ``Settings(extra="forbid")``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def anxin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    clean["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return subprocess.run([sys.executable, "-m", "anxin", *args], env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["init", "serve"])
def test_a_typo_in_anxin_toml_stops_the_command_naming_the_key(tmp_path: Path,
                                                               command: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "anxin.toml").write_text('sms = "outbox"\nsms_limit_per_ipp = 40\n')
    out = anxin(command, "--data-dir", str(data), *(["--port", "1"] if command == "serve"
                                                    else []))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert (f"error: {data / 'anxin.toml'}: unknown setting 'sms_limit_per_ipp' "
            "(did you mean 'sms_limit_per_ip'?) [configuration_error]") in out.stderr
    assert sorted(p.name for p in data.iterdir()) == ["anxin.toml"], "it went on regardless"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("ANXIN_SMS", "outbx", "error: ANXIN_SMS: must be 'outbox' or 'webhook:<url>', not 'outbx'"),
    ("ANXIN_REALNAME", "webhook:", "error: ANXIN_REALNAME: webhook:<url> needs an http(s) URL"),
])
def test_a_bad_provider_choice_stops_serve_naming_the_allowed_values(
        tmp_path: Path, name: str, value: str, message: str) -> None:
    out = anxin("serve", "--data-dir", str(tmp_path / "data"), "--port", "1",
                env={name: value})
    assert out.returncode == 1, out.stdout + out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "data").exists(), "it initialised before checking its settings"


def test_unknown_anxin_environment_variables_do_not_stop_init(tmp_path: Path) -> None:
    out = anxin("init", "--data-dir", str(tmp_path / "data"),
                env={"ANXIN_NOT_A_SETTING": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "data" / "anxin.toml").is_file()

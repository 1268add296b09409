"""docs/operations.md, "Multi-node deployment", stays true: its HAProxy configuration is
one HAProxy accepts (``haproxy -c``, with a throwaway certificate in place of the
deployment's), it checks the nodes' ``/healthz``, and every setting its table names is
one the product reads."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from anxin.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert "\n## Multi-node deployment\n" in text
    return text.split("\n## Multi-node deployment\n", 1)[1].split("\n## ", 1)[0]


def _haproxy_config() -> str:
    part = _section().split("### Load balancer (HAProxy)", 1)[1]
    blocks = re.findall(r"```\n(.*?)```", part, flags=re.S)
    assert blocks, "no configuration block under the HAProxy heading"
    return blocks[0]


def _pem(tmp: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "anxin.example.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    path = tmp / "anxin.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return path


def test_the_documented_haproxy_configuration_is_valid(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if haproxy is None:
        pytest.fail("haproxy is not installed: scripts/system-deps.sh installs it")
    config = _haproxy_config()
    assert "option httpchk GET /healthz" in config
    assert "http-check expect status 200" in config
    assert "/etc/haproxy/anxin.pem" in config
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(config.replace("/etc/haproxy/anxin.pem", str(_pem(tmp_path))),
                   encoding="utf-8")
    done = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Configuration file is valid" in done.stdout + done.stderr


def test_every_setting_the_section_names_is_read_by_the_product() -> None:
    named = set(re.findall(r"`ANXIN_([A-Z_]+)`", _section()))
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "DATABASE_REPLICA_WAIT_MS"} <= named
    unknown = {n for n in named if n.lower() not in Settings.model_fields}
    assert not unknown, f"the section names settings that do not exist: {sorted(unknown)}"

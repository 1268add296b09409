"""An SM2 test root and TSA certificates made with the ``openssl`` command alone, so the SM2
TSA's tests depend neither on Anxin's SM2 PKI nor on its key generation.

``make_sm2_tsa_ca(folder)`` writes (PEM) ``root.key``/``root.pem`` (``req -x509 -sm3
-sigopt distid:…``), ``tsa.key``/``tsa.pem`` (extendedKeyUsage=critical,timeStamping, signed
with ``-sm3 -sigopt distid:… -vfyopt distid:…``) and two faulty TSA certificates for the
same key: ``tsa-noncritical.pem`` (the EKU not critical) and ``tsa-noeku.pem`` (no EKU).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem

from anxin.pki import sm2
from tests.common.openssl_cli import DISTID
from tests.common.openssl_cli import ok as openssl

__all__ = ["DISTID", "Sm2TsaCa", "der_of", "make_sm2_tsa_ca", "openssl"]

_TSA_EXT = ("basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,nonRepudiation\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
_EKU = {"tsa": "extendedKeyUsage=critical,timeStamping\n",
        "tsa-noncritical": "extendedKeyUsage=timeStamping\n",
        "tsa-noeku": ""}


def der_of(path: Path) -> bytes:
    return bytes(pem.unarmor(path.read_bytes())[2])


@dataclass(frozen=True)
class Sm2TsaCa:
    folder: Path
    key: sm2.SM2PrivateKey
    """The TSA's key, read from the file ``openssl genpkey`` wrote."""

    def path(self, name: str) -> Path:
        return self.folder / name

    def der(self, name: str) -> bytes:
        return der_of(self.folder / name)

    @property
    def cert(self) -> bytes:
        return self.der("tsa.pem")

    @property
    def root(self) -> bytes:
        return self.der("root.pem")


def make_sm2_tsa_ca(folder: Path) -> Sm2TsaCa:
    folder.mkdir(parents=True, exist_ok=True)
    root_key, root, tsa_key = folder / "root.key", folder / "root.pem", folder / "tsa.key"
    for key in (root_key, tsa_key):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2",
                "-out", key)
    openssl("req", "-x509", "-new", "-key", root_key, "-sm3", "-sigopt", DISTID,
            "-subj", "/CN=Anxin test SM2 root/O=Anxin tests", "-days", "3650",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", root)
    csr = folder / "tsa.csr"
    openssl("req", "-new", "-key", tsa_key, "-sm3", "-sigopt", DISTID,
            "-subj", "/CN=Anxin test SM2 TSA/O=Anxin tests", "-out", csr)
    for serial, (name, eku) in enumerate(_EKU.items(), start=1):
        ext = folder / f"{name}.ext"
        ext.write_text(_TSA_EXT + eku)
        openssl("x509", "-req", "-in", csr, "-CA", root, "-CAkey", root_key,
                "-set_serial", str(0x5A00 + serial), "-sm3", "-sigopt", DISTID,
                "-vfyopt", DISTID, "-days", "365", "-extfile", ext,
                "-out", folder / f"{name}.pem")
    return Sm2TsaCa(folder, sm2.SM2PrivateKey.from_pem(tsa_key.read_bytes()))

"""A throwaway SM2 PKI made with the ``openssl`` command (GM/T 0015 style: SM2 keys,
SM2-with-SM3 signatures, user id 1234567812345678), so the SM2 CMS and letter tests do not
depend on Anxin's own SM2 CA. OpenSSL 3.0 needs ``-sigopt distid:`` to sign and ``-vfyopt
distid:`` to check the CSR's self-signature (FACTS.md)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem

from anxin.pki import sm2

DISTID = "distid:1234567812345678"


def openssl(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, input=stdin,
                          check=False, timeout=60)


def openssl_ok(*args: str | Path, stdin: bytes | None = None) -> bytes:
    done = openssl(*args, stdin=stdin)
    assert done.returncode == 0, (f"openssl {' '.join(map(str, args))} failed:\n"
                                  f"{(done.stdout + done.stderr).decode(errors='replace')}")
    return done.stdout


def _der(pem_path: Path) -> bytes:
    _, _, der = pem.unarmor(pem_path.read_bytes())
    return bytes(der)


@dataclass(frozen=True)
class Sm2TestPki:
    """A root and an issuing CA; :meth:`issue` makes a leaf (event, TSA) under the issuer."""

    __test__ = False

    folder: Path
    root_pem: Path
    issuing_pem: Path
    issuing_key: Path

    @property
    def root(self) -> bytes:
        return _der(self.root_pem)

    @property
    def issuing(self) -> bytes:
        return _der(self.issuing_pem)

    @property
    def chain(self) -> list[bytes]:
        return [self.issuing, self.root]

    def issue(self, name: str, common_name: str, *, tsa: bool = False,
              ) -> tuple[sm2.SM2PrivateKey, bytes, Path]:
        """A fresh SM2 key (ours) and its certificate from the issuing CA (openssl's)."""
        key = sm2.generate_private_key()
        key_path = self.folder / f"{name}.key"
        key_path.write_bytes(key.to_pem(None))
        csr = self.folder / f"{name}.csr"
        openssl_ok("req", "-new", "-key", key_path, "-sm3", "-sigopt", DISTID, "-utf8",
                   "-subj", f"/CN={common_name}", "-out", csr)
        ext = self.folder / f"{name}.ext"
        usage = ("extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature,"
                 "nonRepudiation\n" if tsa else
                 "keyUsage=critical,digitalSignature,nonRepudiation\n")
        ext.write_text("basicConstraints=critical,CA:FALSE\n" + usage)
        cert = self.folder / f"{name}.pem"
        openssl_ok("x509", "-req", "-in", csr, "-CA", self.issuing_pem, "-CAkey",
                   self.issuing_key, "-CAcreateserial", "-sm3", "-sigopt", DISTID,
                   "-vfyopt", DISTID, "-days", "2", "-extfile", ext, "-out", cert)
        return key, _der(cert), cert


def build_sm2_test_pki(folder: Path, name: str = "Test") -> Sm2TestPki:
    """Root (self-signed) and issuing CA, both SM2 with SM3, made by ``openssl``."""
    folder.mkdir(parents=True, exist_ok=True)
    root_key, root_pem = folder / "root.key", folder / "root.pem"
    openssl_ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2",
               "-out", root_key)
    openssl_ok("req", "-x509", "-new", "-key", root_key, "-sm3", "-sigopt", DISTID,
               "-subj", f"/CN={name} SM2 Root", "-days", "30", "-out", root_pem,
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    issuing_key, issuing_csr = folder / "issuing.key", folder / "issuing.csr"
    issuing_pem, ext = folder / "issuing.pem", folder / "issuing.ext"
    openssl_ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2",
               "-out", issuing_key)
    openssl_ok("req", "-new", "-key", issuing_key, "-sm3", "-sigopt", DISTID,
               "-subj", f"/CN={name} SM2 Issuing CA", "-out", issuing_csr)
    ext.write_text("basicConstraints=critical,CA:TRUE,pathlen:0\n"
                   "keyUsage=critical,keyCertSign,cRLSign,digitalSignature\n")
    openssl_ok("x509", "-req", "-in", issuing_csr, "-CA", root_pem, "-CAkey", root_key,
               "-CAcreateserial", "-sm3", "-sigopt", DISTID, "-vfyopt", DISTID,
               "-days", "20", "-extfile", ext, "-out", issuing_pem)
    return Sm2TestPki(folder, root_pem, issuing_pem, issuing_key)


def sm2_timestamp_token(imprint: bytes, *, tsa_key: sm2.SM2PrivateKey, tsa_cert: bytes,
                        chain: list[bytes], serial: int = 1) -> bytes:
    """An RFC 3161 token (DER ContentInfo) with an SM3 imprint, signed SM2 by our own
    encapsulated SignedData: a stand-in for the product's SM2 TSA in these tests."""
    import datetime as dt

    from asn1crypto import tsp

    from anxin.pki import sm2_cms

    tst_info = tsp.TSTInfo({
        "version": "v1", "policy": "1.2.156.10197.6.1.4.99",  # a test policy
        "message_imprint": {"hash_algorithm": {"algorithm": "sm3"},
                            "hashed_message": imprint},
        "serial_number": serial,
        "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
    })
    return sm2_cms.sign_encapsulated(bytes(tst_info.dump()), content_type=sm2_cms.OID_TST_INFO,
                                     signer_key=tsa_key, signer_cert=tsa_cert, chain=chain)

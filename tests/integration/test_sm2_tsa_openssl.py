"""The SM2 TSA against OpenSSL 3.0 (``openssl ts -query -sm3`` → our TSA → OpenSSL), with
the commands docs/pki.md "SM2 time-stamps" gives an auditor: what works, and what does not here.

Works: ``ts -query -sm3``, ``ts -reply -text``, ``ts -reply -token_out``, ``pkcs7
-print_certs``, ``verify -vfyopt distid:…`` of the TSA chain, ``asn1parse -strparse`` to
cut out the TSTInfo, signed attributes and signature, ``dgst -sm3`` of the TSTInfo against
messageDigest, ``pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:…`` of the signature.
Does not: ``ts -verify`` (no way to give it the SM2 id for the chain, and its PKCS#7 code
does not verify an SM2 signature with the Z value either): the tests pin both failures, so
a future OpenSSL that accepts the token is noticed and the docs updated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from anxin.pki import sm2
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.sm2_tsa import SM2_TSA_POLICY_OID, Sm2TimestampAuthority, token_of_reply
from anxin.pki.sm2_tsa_verify import Sm2TokenCheck, Sm2TokenInvalid, verify_sm2_token
from tests.common.openssl_cli import run
from tests.common.sm2_tsa_ca import DISTID, Sm2TsaCa, der_of, make_sm2_tsa_ca, openssl

DATA = "一份授权书 / an authorization letter\n".encode()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Sm2TsaCa:
    ca = make_sm2_tsa_ca(tmp_path_factory.mktemp("sm2-tsa-openssl"))
    ca.path("data.txt").write_bytes(DATA)
    return ca


@pytest.fixture(scope="module")
def tsa(ca: Sm2TsaCa) -> Sm2TimestampAuthority:
    return Sm2TimestampAuthority(ca.key, ca.cert, [ca.root], InMemorySerialSource())


def _reply(ca: Sm2TsaCa, tsa: Sm2TimestampAuthority, *flags: str) -> Path:
    query = ca.path("query.tsq")
    openssl("ts", "-query", "-data", ca.path("data.txt"), *flags, "-out", query)
    reply = ca.path("reply.tsr")
    reply.write_bytes(tsa.respond(query.read_bytes()))
    return reply


@pytest.mark.parametrize("flags", [("-sm3", "-cert"), ("-sm3", "-cert", "-no_nonce"),
                                   ("-sm3",), ("-sm3", "-cert", "-tspolicy",
                                               SM2_TSA_POLICY_OID)])
def test_openssl_queries_are_answered_and_read_back(ca: Sm2TsaCa, tsa: Sm2TimestampAuthority,
                                                    flags: tuple[str, ...]) -> None:
    reply = _reply(ca, tsa, *flags)
    text = openssl("ts", "-reply", "-in", reply, "-text")
    assert "Status: Granted." in text
    assert "Hash Algorithm: sm3" in text
    assert f"Policy OID: {SM2_TSA_POLICY_OID}" in text
    assert "Accuracy: 0x01 seconds" in text
    assert "Ordering: no" in text
    assert "TSA: DirName:/CN=Anxin test SM2 TSA/O=Anxin tests" in text
    query_text = openssl("ts", "-query", "-in", ca.path("query.tsq"), "-text")
    nonce = re.search(r"Nonce: (\S+)", query_text)
    assert nonce is not None
    assert f"Nonce: {nonce.group(1)}" in text  # echoed, or "unspecified" for -no_nonce
    # and our verifier agrees with OpenSSL's imprint of the data
    token = token_of_reply(reply.read_bytes())
    info = verify_sm2_token(token, digest=sm2.sm3(DATA),
                            certificates=[] if "-cert" in flags else [ca.cert])
    assert info.tsa_certificate == ca.cert


@pytest.mark.parametrize("flags", [("-sha256", "-cert"), ("-sha1",), ("-sm3", "-tspolicy",
                                                                       "1.2.3.4")])
def test_openssl_queries_we_refuse(ca: Sm2TsaCa, tsa: Sm2TimestampAuthority,
                                   flags: tuple[str, ...]) -> None:
    text = openssl("ts", "-reply", "-in", _reply(ca, tsa, *flags), "-text")
    assert "Status: Rejected." in text
    assert ("unrecognized or unsupported algorithm" in text if "-tspolicy" not in flags
            else "the requested TSA policy is not supported" in text)


def _asn1(path: Path) -> list[tuple[int, int, int, int, str]]:
    """``openssl asn1parse`` as (offset, depth, header length, length, rest) rows."""
    rows = []
    for line in openssl("asn1parse", "-inform", "DER", "-in", path).splitlines():
        found = re.match(r"\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(.*)", line)
        if found:
            offset, depth, header, length = map(int, found.groups()[:4])
            rows.append((offset, depth, header, length, found.group(5)))
    return rows


def test_the_auditor_checks_a_token_with_openssl_alone(ca: Sm2TsaCa,
                                                       tsa: Sm2TimestampAuthority) -> None:
    """Exactly the steps of docs/pki.md "SM2 time-stamps", offsets read from ``asn1parse``."""
    reply = _reply(ca, tsa, "-sm3", "-cert")
    token, certs = ca.path("token.der"), ca.path("certs.pem")
    openssl("ts", "-reply", "-in", reply, "-token_out", "-out", token)
    # 1. the certificates in the token, and the TSA's chain (with the SM2 id)
    openssl("pkcs7", "-inform", "DER", "-in", token, "-print_certs", "-out", certs)
    tsa_pem = ca.path("token-tsa.pem")
    tsa_pem.write_text(certs.read_text().split("\n\n")[0] + "\n")
    assert "CN = Anxin test SM2 TSA" in openssl("x509", "-in", tsa_pem, "-noout", "-subject")
    assert "critical" in openssl("x509", "-in", tsa_pem, "-noout", "-ext",
                                 "extendedKeyUsage")
    assert "OK" in openssl("verify", "-vfyopt", DISTID, "-CAfile", ca.path("root.pem"),
                           tsa_pem)
    # 2. cut out the TSTInfo, the signed attributes and the signature
    rows = _asn1(token)
    tst_at = next(r[0] for r in rows if r[1] == 5 and "OCTET STRING" in r[4])
    attrs_at, attrs_hl, attrs_l, _ = next(
        (r[0], r[2], r[3], r) for r in reversed(rows) if r[1] == 5 and "cont [ 0 ]" in r[4])
    sig_at = next(r[0] for r in reversed(rows) if r[1] == 5 and "OCTET STRING" in r[4])
    tst, attrs_a0, sig = ca.path("tst.der"), ca.path("attrs-a0.der"), ca.path("sig.der")
    for at, out in ((tst_at, tst), (attrs_at, attrs_a0), (sig_at, sig)):
        openssl("asn1parse", "-inform", "DER", "-in", token, "-strparse", str(at),
                "-noout", "-out", out)
    attrs = ca.path("attrs.der")
    attrs.write_bytes(b"\x31" + attrs_a0.read_bytes()[1:])  # [0] IMPLICIT → SET OF
    assert len(attrs.read_bytes()) == attrs_hl + attrs_l
    # 3. messageDigest is SM3 of the TSTInfo; the imprint is SM3 of the data
    tst_sm3 = openssl("dgst", "-sm3", "-r", tst).split()[0].upper()
    assert f"[HEX DUMP]:{tst_sm3}" in openssl("asn1parse", "-inform", "DER", "-in", attrs)
    data_sm3 = openssl("dgst", "-sm3", "-r", ca.path("data.txt")).split()[0].upper()
    assert f"[HEX DUMP]:{data_sm3}" in openssl("asn1parse", "-inform", "DER", "-in", tst)
    # 4. the SM2 signature over the signed attributes, with the default id
    pub = ca.path("tsa-pub.pem")
    pub.write_text(openssl("x509", "-in", tsa_pem, "-noout", "-pubkey"))
    verified = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest",
                       "sm3", "-pkeyopt", DISTID, "-in", attrs, "-sigfile", sig)
    assert "Signature Verified Successfully" in verified
    # ... and not with one byte of the signed attributes changed
    changed = bytearray(attrs.read_bytes())
    changed[-1] ^= 0x01
    attrs.write_bytes(bytes(changed))
    code, output = run("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest",
                       "sm3", "-pkeyopt", DISTID, "-in", attrs, "-sigfile", sig)
    assert code != 0
    assert "Signature Verification Failure" in output


def test_openssl_ts_verify_cannot_check_an_sm2_token_here(ca: Sm2TsaCa,
                                                          tsa: Sm2TimestampAuthority,
                                                          tmp_path: Path) -> None:
    """Pinned limitation of OpenSSL 3.0: ``ts -verify`` fails an SM2 chain (no -vfyopt),
    and, given a chain it can check (an ECDSA root over the same SM2 TSA key), fails the
    SM2 signature itself (PKCS#7 verification without the SM2 user id)."""
    reply = _reply(ca, tsa, "-sm3", "-cert")
    code, output = run("ts", "-verify", "-data", ca.path("data.txt"), "-in", reply,
                       "-CAfile", ca.path("root.pem"), "-untrusted", ca.path("tsa.pem"))
    assert code != 0
    assert "certificate signature failure" in output
    ec_root, ec_key, ec_tsa = tmp_path / "ec-root.pem", tmp_path / "ec.key", tmp_path / "t.pem"
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec_key)
    openssl("req", "-x509", "-new", "-key", ec_key, "-sha256", "-subj", "/CN=EC root",
            "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-out", ec_root)
    openssl("x509", "-req", "-in", ca.path("tsa.csr"), "-CA", ec_root, "-CAkey", ec_key,
            "-set_serial", "7", "-sha256", "-vfyopt", DISTID, "-days", "30",
            "-extfile", ca.path("tsa.ext"), "-out", ec_tsa)
    ec_tsa_authority = Sm2TimestampAuthority(ca.key, der_of(ec_tsa), [der_of(ec_root)],
                                             InMemorySerialSource())
    reply = _reply(ca, ec_tsa_authority, "-sm3", "-cert")
    code, output = run("ts", "-verify", "-data", ca.path("data.txt"), "-in", reply,
                       "-CAfile", ec_root, "-untrusted", ec_tsa)
    assert code != 0
    assert "PKCS7_signatureVerify:signature failure" in output
    # while our verifier, given the same token, checks the signature
    token = token_of_reply(reply.read_bytes())
    assert verify_sm2_token(token, digest=sm2.sm3(DATA)).tsa_certificate == der_of(ec_tsa)
    with pytest.raises(Sm2TokenInvalid) as caught:
        verify_sm2_token(token, digest=sm2.sm3(b"another letter"))
    assert caught.value.check is Sm2TokenCheck.IMPRINT_MISMATCH

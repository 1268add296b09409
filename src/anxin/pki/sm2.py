"""SM2 signatures and SM3 digests (GB/T 32918, GB/T 32905; issue 14, national profile): the
primitives the SM2 certificates, TSA, letter CMS, receipts and checkpoints will call.

Nothing here does SM2 or SM3 arithmetic. SM3 is ``cryptography``'s; SM2 key generation,
signing and verifying are OpenSSL 3's own (the system ``libcrypto.so.3``, the library of
the ``openssl`` command) through the small ctypes binding :mod:`anxin.pki.libcrypto`.
This module adds what the product needs around them: the encodings (PKCS#8 and
SubjectPublicKeyInfo with id-ecPublicKey and the SM2 curve OID, as OpenSSL writes and
reads them; DER signatures, the ``SEQUENCE { r, s }`` of GM/T 0009 and CMS), passphrase
encryption of private keys (PBES2 like the other key files), and verify-or-raise with a
typed error.

Why OpenSSL (``taskset -c 1 python bench/sm2.py --seconds 3``: one core of this 2-CPU
machine, 1 KiB messages, through Python, 2026-12-01):

==================================  ========  ==========
implementation                      sign/s    verify/s
==================================  ========  ==========
OpenSSL 3.0.19 by ctypes (chosen)   3,817     3,725
``openssl speed sm2`` (C only)      4,328     4,490
tongsuopy 1.0.1 (bundled Tongsuo)   3,882     4,238
gmssl-fast 0.1.0 (GmSSL, static)    1,270     711
gmssl 3.2.2 (pure Python)           113       78
==================================  ========  ==========

OpenSSL is 3× faster to sign and 5× faster to verify than gmssl-fast, the binding costs
little over OpenSSL's own C loop (12–17 %), and OpenSSL takes any user id, writes DER
signatures and PKCS#8 keys natively and reports failures in its error queue; it is the
system's library, so it gets the distribution's security updates. tongsuopy is as fast
but its last release is of 2023-02 and bundles a Tongsuo that reports itself as "OpenSSL
1.1.1h 22 Sep 2020", and it takes the default id only. gmssl-fast is a first
release of an unknown maintainer, takes only the default id and raw ``r ‖ s``, and its
GmSSL prints a C stack trace to stderr on every failed verification (a log any caller
could fill). gmssl-python needs a GmSSL shared library that Debian does not package. The
cost of the choice: the binding is ours (:mod:`anxin.pki.libcrypto`, tested for its
error queue, leaks and threads in tests/unit/pki/test_libcrypto.py), and it needs an
OpenSSL 3 built with SM2 (Debian's is; some distributions' OpenSSL omit SM2).

The user id is the default ``1234567812345678`` (GM/T 0009; CONTRACT §8) unless a caller
passes another; OpenSSL computes the Z value from it. Both are cross-verified, both ways,
with the ``openssl`` command (``pkeyutl -rawin -digest sm3 -pkeyopt distid:…``,
tests/integration/test_sm2_openssl.py) and with two implementations Anxin does not sign
with: the pure-Python ``gmssl`` (Z recomputed by the test itself) and gmssl-fast's GmSSL
(tests/unit/pki/test_sm2.py).

The GB/T 32918 signature example (its own test curve, user id ``ALICE123@YAHOO.COM``, a
fixed k) cannot run here: the binding makes keys on the recommended curve only and
OpenSSL draws k at random.
It runs in the tests on ``gmssl``, which takes curve parameters, to vouch for the
verifier; on the recommended curve the signatures are cross-verified instead.

>>> sm3(b"abc").hex()[:16]
'66c7f0f462eeedd9'
>>> key = generate_private_key()
>>> verify(key.public_key(), b"letter", sign(key, b"letter"))
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Final, Literal

from asn1crypto import algos, core, keys, pem
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers import algorithms as ciphers
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import libcrypto

# --- object identifiers (GM/T 0006) -------------------------------------------------------

OID_SM2_CURVE: Final = "1.2.156.10197.1.301"
"""sm2p256v1, the SM2 recommended curve: the namedCurve of an SM2 key's id-ecPublicKey."""
OID_SM2_SIGN: Final = "1.2.156.10197.1.301.1"
"""sm2-1, the SM2 digital-signature algorithm."""
OID_SM2_EXCHANGE: Final = "1.2.156.10197.1.301.2"
OID_SM2_ENCRYPT: Final = "1.2.156.10197.1.301.3"
OID_SM2_WITH_SM3: Final = "1.2.156.10197.1.501"
"""SM2-with-SM3: the signatureAlgorithm of SM2 certificates, CRLs, OCSP and CMS signers."""
OID_SM3: Final = "1.2.156.10197.1.401"
"""The SM3 hash (a CMS digestAlgorithm, an RFC 3161 imprint's hashAlgorithm)."""
OID_SM4: Final = "1.2.156.10197.1.104"
OID_EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
"""id-ecPublicKey (RFC 5480): SM2 keys use it with the SM2 curve as parameters."""
# GM/T 0010 (the SM2 cryptographic message syntax, GB/T 35275) content types.
OID_GM_DATA: Final = "1.2.156.10197.6.1.4.2.1"
OID_GM_SIGNED_DATA: Final = "1.2.156.10197.6.1.4.2.2"

DEFAULT_USER_ID: Final = b"1234567812345678"
"""The signer's distinguishing identifier when none is agreed (GM/T 0009)."""

ORDER: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
"""n, the order of the SM2 curve's base point (GB/T 32918.5): bounds r and s."""

PBKDF2_ITERATIONS: Final = 2048
"""As ``cryptography``'s ``BestAvailableEncryption`` encrypts the other keys (PBES2,
PBKDF2-HMAC-SHA256, AES-256-CBC), so every key file of the keys directory reads alike."""

KeyCipher = Literal["aes", "sm4"]
KEY_CIPHERS: Final[dict[str, tuple[str, int]]] = {"aes": ("aes256_cbc", 32),
                                                  "sm4": ("sm4_cbc", 16)}
"""The PBES2 ciphers of key files: AES-256-CBC, or SM4-CBC (GB/T 32907, OID
1.2.156.10197.1.104.2) for the ``sm`` profile. The PRF stays HMAC-SHA256 in both: OpenSSL
3.0 knows no hmacWithSM3 PRF (``openssl pkcs8 -v2prf hmacWithSM3`` answers "Unknown PRF
algorithm"), and a key file ``openssl pkey`` cannot open would be a worse trade."""
OID_SM4_CBC: Final = "1.2.156.10197.1.104.2"

if OID_SM2_CURVE not in keys.NamedCurve._map:  # teach asn1crypto the curve's name
    keys.NamedCurve.register("sm2p256v1", OID_SM2_CURVE, 32)


def _teach_asn1crypto(cls: type[core.ObjectIdentifier], oid: str, name: str) -> None:
    """Give an OID a name in one of asn1crypto's maps, before or after its first use (the
    reverse map is built lazily on first use, so both maps are kept in step)."""
    if cls._map.get(oid) == name:
        return
    cls._map[oid] = name
    if getattr(cls, "_reverse_map", None) is not None:
        cls._reverse_map[name] = oid


# The one place SM names enter asn1crypto (every SM2 module imports this one): SM3 as a
# digest algorithm (CMS digestAlgorithms, RFC 3161 imprints, ESS certificate ids) and
# SM2-with-SM3 as a signature algorithm (certificates, CRLs, OCSP, CMS signerInfos).
_teach_asn1crypto(algos.DigestAlgorithmId, OID_SM3, "sm3")
_teach_asn1crypto(algos.SignedDigestAlgorithmId, OID_SM2_WITH_SM3, "sm2_sm3")
_teach_asn1crypto(algos.SignedDigestAlgorithmId, OID_SM2_SIGN, "sm2")
_teach_asn1crypto(algos.EncryptionAlgorithmId, OID_SM4_CBC, "sm4_cbc")


class SM2SignatureInvalid(IntegrityFailure):
    """An SM2 signature is malformed or does not verify for this key, data and user id."""

    code = Code.SM2_SIGNATURE_INVALID


class SM2KeyInvalid(IntegrityFailure):
    """An SM2 key's encoding is malformed, not an SM2 key, or its passphrase is wrong."""

    code = Code.SM2_KEY_INVALID


def sm3(data: bytes) -> bytes:
    """The SM3 digest (32 bytes) of ``data``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


# --- keys ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SM2PublicKey:
    """A point of the SM2 curve; OpenSSL checks it when the key is made (``from_point``)."""

    x: int
    y: int
    _handle: list[libcrypto.Key] = field(default_factory=list, compare=False, repr=False)

    @property
    def point(self) -> bytes:
        """The uncompressed point ``04 ‖ x ‖ y`` (65 bytes)."""
        return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    def handle(self) -> libcrypto.Key:
        """OpenSSL's parsed key, made once (OpenSSL checks that the point is on the curve)."""
        if not self._handle:
            try:
                self._handle.append(libcrypto.public_key(self.to_der()))
            except libcrypto.LibcryptoError as exc:
                raise SM2KeyInvalid(f"not a point of the SM2 curve: {exc}") from None
        return self._handle[0]

    def to_der(self) -> bytes:
        """SubjectPublicKeyInfo: id-ecPublicKey, namedCurve sm2p256v1, the point."""
        return bytes(_spki(self.point).dump())

    def to_pem(self) -> bytes:
        return bytes(pem.armor("PUBLIC KEY", self.to_der()))

    @classmethod
    def from_point(cls, point: bytes, *, check: bool = True) -> SM2PublicKey:
        """The key of an uncompressed point; OpenSSL checks it is on the curve unless
        ``check`` is False (for a point something else has already proved)."""
        if len(point) != 65 or point[0] != 4:
            raise SM2KeyInvalid("an SM2 public key is an uncompressed point of 65 bytes")
        key = cls(int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big"))
        if check:
            key.handle()
        return key

    @classmethod
    def from_der(cls, der: bytes) -> SM2PublicKey:
        try:
            info = keys.PublicKeyInfo.load(der, strict=True)
            algorithm = info["algorithm"]
            oid = algorithm["algorithm"].dotted
            curve = algorithm["parameters"].chosen.dotted if oid == OID_EC_PUBLIC_KEY else ""
            point = info["public_key"].contents[1:]  # past the bit string's unused-bits byte
        except (ValueError, TypeError, AttributeError) as exc:
            raise SM2KeyInvalid(f"not a SubjectPublicKeyInfo: {exc}") from None
        if curve != OID_SM2_CURVE:
            raise SM2KeyInvalid(f"not an SM2 public key (algorithm {oid}, curve {curve or '-'})")
        return cls.from_point(point)

    @classmethod
    def from_pem(cls, data: bytes) -> SM2PublicKey:
        return cls.from_der(_unarmor(data, "PUBLIC KEY"))


@dataclass(frozen=True, slots=True)
class SM2PrivateKey:
    """An SM2 private scalar with its public point (a key file always carries both)."""

    d: int = field(repr=False)
    public: SM2PublicKey
    _handle: list[libcrypto.Key] = field(default_factory=list, compare=False, repr=False)

    def public_key(self) -> SM2PublicKey:
        return self.public

    def handle(self) -> libcrypto.Key:
        """OpenSSL's parsed key, made once (checked: the point is d·G)."""
        if not self._handle:
            try:
                self._handle.append(libcrypto.private_key(self.to_der()))
            except libcrypto.LibcryptoError as exc:
                raise SM2KeyInvalid(f"not an SM2 key pair: {exc}") from None
        return self._handle[0]

    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 PrivateKeyInfo, as ``openssl genpkey`` writes an SM2 key."""
        ec_key = keys.ECPrivateKey({
            "version": "ecPrivkeyVer1",
            "private_key": self.d,
            "public_key": self.public.point,
        })
        info = keys.PrivateKeyInfo({
            "version": 0,
            "private_key_algorithm": keys.PrivateKeyAlgorithm({
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="named", value=OID_SM2_CURVE),
            }),
            "private_key": ec_key,
        })
        return bytes(info.dump())

    def to_pem(self, passphrase: str | None, *, cipher: KeyCipher = "aes") -> bytes:
        """PKCS#8 PEM, encrypted (PBES2) when a passphrase is given, as the other keys;
        ``cipher="sm4"`` wraps it with SM4-CBC instead of AES-256-CBC (the ``sm``
        profile; see :data:`KEY_CIPHERS`)."""
        if not passphrase:
            return bytes(pem.armor("PRIVATE KEY", self.to_der()))
        return bytes(pem.armor("ENCRYPTED PRIVATE KEY",
                               _encrypt_pkcs8(self.to_der(), passphrase, cipher)))

    @classmethod
    def from_der(cls, der: bytes) -> SM2PrivateKey:
        try:
            info = keys.PrivateKeyInfo.load(der, strict=True)
            algorithm = info["private_key_algorithm"]
            oid = algorithm["algorithm"].dotted
            curve = algorithm["parameters"].chosen.dotted if oid == OID_EC_PUBLIC_KEY else ""
            if curve != OID_SM2_CURVE:
                raise SM2KeyInvalid(
                    f"not an SM2 private key (algorithm {oid}, curve {curve or '-'})")
            ec_key = info["private_key"].parsed
            d = ec_key["private_key"].native
            point = ec_key["public_key"]
            point_bytes = None if isinstance(point, core.Void) else point.contents[1:]
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise SM2KeyInvalid(f"not a PKCS#8 private key: {exc}") from None
        if not point_bytes:
            raise SM2KeyInvalid("the SM2 private key carries no public key")
        key = cls(d, SM2PublicKey.from_point(point_bytes))
        key.handle()
        return key

    @classmethod
    def from_pem(cls, data: bytes, passphrase: str | None = None) -> SM2PrivateKey:
        """Read PKCS#8 PEM, encrypted or not (``ENCRYPTED PRIVATE KEY`` needs the
        passphrase)."""
        try:
            kind, _, der = pem.unarmor(data)
        except ValueError as exc:
            raise SM2KeyInvalid(f"not PEM: {exc}") from None
        if kind == "ENCRYPTED PRIVATE KEY":
            if not passphrase:
                raise SM2KeyInvalid("the SM2 key is encrypted: a passphrase is needed")
            return cls.from_der(_decrypt_pkcs8(der, passphrase))
        if kind != "PRIVATE KEY":
            raise SM2KeyInvalid(f"a PKCS#8 PRIVATE KEY is expected, not {kind}")
        return cls.from_der(der)


def generate_private_key() -> SM2PrivateKey:
    """A new SM2 key pair (OpenSSL's generator)."""
    sec1 = keys.ECPrivateKey.load(libcrypto.generate_sm2())
    # The public half's own OpenSSL handle is made when first used (a signer's rarely
    # is): the pair's check below (d·G = Q) already proves the point is on the curve.
    public = SM2PublicKey.from_point(sec1["public_key"].contents[1:], check=False)
    key = SM2PrivateKey(sec1["private_key"].native, public)
    key.handle()
    return key


# --- signatures ----------------------------------------------------------------------------

def sign(key: SM2PrivateKey, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """The SM2 signature of ``data`` (SM3 of Z ‖ data, GB/T 32918.2), DER-encoded."""
    _check_user_id(user_id)
    try:
        return libcrypto.sign(key.handle(), data, user_id)
    except libcrypto.LibcryptoError as exc:
        raise SM2KeyInvalid(f"cannot sign with this SM2 key: {exc}") from None


def verify(public: SM2PublicKey, data: bytes, signature: bytes,
           user_id: bytes = DEFAULT_USER_ID) -> None:
    """Verify or raise :class:`SM2SignatureInvalid`."""
    _check_user_id(user_id)
    decode_signature(signature)
    try:
        ok = libcrypto.verify(public.handle(), data, signature, user_id)
    except libcrypto.LibcryptoError as exc:
        raise SM2KeyInvalid(f"cannot verify with this SM2 key: {exc}") from None
    if not ok:
        raise SM2SignatureInvalid(
            "the SM2 signature does not verify for this key, data and user id")


def encode_signature(r: int, s: int) -> bytes:
    """``SEQUENCE { r INTEGER, s INTEGER }`` (GM/T 0009 SM2Signature)."""
    return bytes(algos.DSASignature({"r": r, "s": s}).dump())


def decode_signature(signature: bytes) -> tuple[int, int]:
    """(r, s) of a DER SM2 signature; refuses anything but canonical DER with
    1 ≤ r, s < n."""
    try:
        parsed = algos.DSASignature.load(signature, strict=True)
        r, s = parsed["r"].native, parsed["s"].native
    except (ValueError, TypeError) as exc:
        raise SM2SignatureInvalid(f"the SM2 signature is not DER: {exc}") from None
    if not (isinstance(r, int) and isinstance(s, int) and 0 < r < ORDER and 0 < s < ORDER):
        raise SM2SignatureInvalid("the SM2 signature's r or s is out of range")
    if encode_signature(r, s) != signature:
        raise SM2SignatureInvalid("the SM2 signature is not canonical DER")
    return r, s


def _check_user_id(user_id: bytes) -> None:
    """ENTL, the id's length in bits, is two bytes (GB/T 32918.2 §5.5)."""
    if not 0 < len(user_id) < 8192:
        raise ValueError("an SM2 user id is 1 to 8191 bytes")


# --- encodings -----------------------------------------------------------------------------

def _spki(point: bytes) -> keys.PublicKeyInfo:
    return keys.PublicKeyInfo({
        "algorithm": keys.PublicKeyAlgorithm({
            "algorithm": "ec",
            "parameters": keys.ECDomainParameters(name="named", value=OID_SM2_CURVE),
        }),
        "public_key": point,
    })


def _unarmor(data: bytes, kind: str) -> bytes:
    try:
        found, _, der = pem.unarmor(data)
    except ValueError as exc:
        raise SM2KeyInvalid(f"not PEM: {exc}") from None
    if found != kind:
        raise SM2KeyInvalid(f"a {kind} is expected, not {found}")
    return bytes(der)


def _kek(passphrase: str, salt: bytes, iterations: int, length: int) -> bytes:
    return PBKDF2HMAC(hashes.SHA256(), length, salt, iterations).derive(passphrase.encode())


def _encrypt_pkcs8(der: bytes, passphrase: str, cipher: KeyCipher = "aes") -> bytes:
    if cipher not in KEY_CIPHERS:
        raise ValueError(f"unknown key cipher {cipher!r}: one of {', '.join(KEY_CIPHERS)}")
    name, length = KEY_CIPHERS[cipher]
    salt, iv = os.urandom(16), os.urandom(16)
    kek = _kek(passphrase, salt, PBKDF2_ITERATIONS, length)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(der) + padder.finalize()
    encryptor = Cipher(_block_cipher(name, kek), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    info = keys.EncryptedPrivateKeyInfo({
        "encryption_algorithm": {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {
                    "algorithm": "pbkdf2",
                    "parameters": {"salt": algos.Pbkdf2Salt(name="specified", value=salt),
                                   "iteration_count": PBKDF2_ITERATIONS,
                                   "prf": {"algorithm": "sha256"}},
                },
                "encryption_scheme": {"algorithm": name,
                                      "parameters": core.OctetString(iv)},
            },
        },
        "encrypted_data": encrypted,
    })
    return bytes(info.dump())


_KEY_BYTES: Final = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32, "sm4_cbc": 16}


def _block_cipher(name: str, kek: bytes) -> ciphers.AES | ciphers.SM4:
    return ciphers.SM4(kek) if name == "sm4_cbc" else ciphers.AES(kek)


def _decrypt_pkcs8(der: bytes, passphrase: str) -> bytes:
    """PBES2 with PBKDF2-HMAC-SHA256 and AES-CBC or SM4-CBC (ours, and
    ``openssl pkcs8 -topk8 -v2 aes-256-cbc|sm4-cbc``'s)."""
    try:
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        scheme = info["encryption_algorithm"]
        params = scheme["parameters"]
        kdf = params["key_derivation_func"]
        kdf_params = kdf["parameters"]
        cipher = params["encryption_scheme"]
        name = cipher["algorithm"].native
        supported = (scheme["algorithm"].native == "pbes2"
                     and kdf["algorithm"].native == "pbkdf2"
                     and kdf_params["prf"]["algorithm"].native == "sha256"
                     and name in _KEY_BYTES)
        if not supported:
            raise SM2KeyInvalid("the SM2 key's encryption is not PBES2/PBKDF2-SHA256 with "
                                "AES-CBC or SM4-CBC")
        kek = _kek(passphrase, kdf_params["salt"].native, kdf_params["iteration_count"].native,
                   _KEY_BYTES[name])
        iv = cipher["parameters"]
        iv_bytes = iv.native if isinstance(iv, core.OctetString) else core.OctetString.load(
            iv.dump()).native
        decryptor = Cipher(_block_cipher(name, kek), modes.CBC(iv_bytes)).decryptor()
        padded = decryptor.update(info["encrypted_data"].native) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except SM2KeyInvalid:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise SM2KeyInvalid(f"cannot decrypt the SM2 key (wrong passphrase?): {exc}") from None

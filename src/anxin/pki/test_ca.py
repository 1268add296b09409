"""The test CA of test mode: a PKI of its own, for the letters of test authorizations only.

Test authorizations (made with an institution's ``anx_test_…`` key) are signed, stamped
and sealed by this PKI, never by the platform's: its root is a separate self-signed
certificate (``CN=Anxin TEST Root CA …``) that does not chain to, and is not chained to
by, the production root. So a test letter can never verify ``TOTAL_PASSED`` against the
production root: test mode cannot mint real-looking consent.

Layout of ``<data dir>/keys/test`` (0700, private keys 0600), the same as ``keys/``::

    root.crt  root.crl         test root CA, EC P-384; its key exists only while
                               `anxin init` makes the test CA, then is dropped
    issuing.key issuing.crt    test issuing CA: test event certificates, CRL, OCSP
    tsa.key   tsa.crt          test TSA (the built-in one; test letters never use
                               ANXIN_TSA_URL)
    seal.key  seal.crt         test seal: the manifests and reports of test packages

Every name carries ``TEST``. Published at ``/pki/test/root.crt`` (and ``issuing.crt``,
``tsa.crt``, ``seal.crt``, ``root.crl``). No test certificate is ever used for a live
authorization: :class:`anxin.services.letter_signing.PkiLetterSigner` refuses a letter
whose test mark is not its own (fail closed).

Example::

    ensure_test_pki(settings)            # in anxin init (idempotent)
    test_pki = load_test_pki(settings)   # once per process
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from anxin.config import Settings
from anxin.pki import profiles
from anxin.pki.authority import Pki, build_root_crl, issue_generation, load_pki
from anxin.pki.keyfiles import load_certificate, write_certificates
from anxin.pki.profiles import PkiUrls
from anxin.private_files import private_dir

TEST_LABEL = "TEST "
TEST_PREFIX = "/pki/test"
TEST_FILES = ("root.crt", "root.crl", "issuing.crt", "issuing.key", "tsa.crt", "tsa.key",
              "seal.crt", "seal.key")


def test_keys_dir(settings: Settings) -> Path:
    return settings.keys_dir / "test"


def test_urls(settings: Settings) -> PkiUrls:
    return PkiUrls(settings.effective_base_url, TEST_PREFIX)


# Named for test mode, not tests: pytest collects src/ (for the doctests) and must not
# take these for test functions.
test_keys_dir.__test__ = False  # type: ignore[attr-defined]
test_urls.__test__ = False  # type: ignore[attr-defined]


def ensure_test_pki(settings: Settings, *, now: dt.datetime | None = None) -> bool:
    """Create the test CA if any part is missing; True if something was made. The test
    root's key signs the test issuing CA and the test root CRL, then is dropped (a new
    test issuing CA means a new test CA: delete ``keys/test`` and run ``anxin init``)."""
    now = now or dt.datetime.now(dt.UTC)
    keys_dir = private_dir(test_keys_dir(settings))
    if all((keys_dir / name).exists() for name in TEST_FILES):
        return False
    root_path = keys_dir / "root.crt"
    root_key: ec.EllipticCurvePrivateKey | None = None
    if root_path.exists() and not (keys_dir / "issuing.crt").exists():
        # Interrupted before the issuing CA: the root key is gone, start the CA afresh.
        root_path.unlink()
        (keys_dir / "root.crl").unlink(missing_ok=True)
    if not root_path.exists():
        root_key = ec.generate_private_key(ec.SECP384R1())
        root_cert = profiles.sign(profiles.root_ca_builder(root_key.public_key(), now,
                                                           label=TEST_LABEL), root_key)
        write_certificates(root_path, [root_cert])
    else:
        root_cert = load_certificate(root_path)
    issue_generation(keys_dir, settings, root_cert, root_key, now, urls=test_urls(settings),
                     label=TEST_LABEL)
    if not (keys_dir / "root.crl").exists() and root_key is not None:
        issuing = load_certificate(keys_dir / "issuing.crt")
        (keys_dir / "root.crl").write_bytes(build_root_crl(
            root_cert, root_key, now, until=issuing.not_valid_after_utc))
    del root_key
    return True


def has_test_pki(settings: Settings) -> bool:
    return all((test_keys_dir(settings) / name).is_file() for name in TEST_FILES)


def load_test_pki(settings: Settings) -> Pki:
    """The loaded test CA (same checks as the platform PKI's)."""
    return load_pki(settings, keys_dir=test_keys_dir(settings), urls=test_urls(settings))


__all__ = ["TEST_LABEL", "TEST_PREFIX", "ensure_test_pki", "has_test_pki", "load_test_pki",
           "test_keys_dir", "test_urls"]

"""The use receipts of an evidence package, verified against the seal certificates it holds.

Every granted use in ``authorization.json``'s ``uses_log`` carries the receipt the gate
answered (CONTRACT §2, §8; issue 14). What each signature profile writes, and so what
this module expects (the profile is ``manifest.json``'s ``"profile"``, sealed with it):

============  =====================================  =====================================
profile       ``receipt``                            ``receipt_sm2``
============  =====================================  =====================================
intl          ES256, ``certificates/seal.crt``       none
dual          ES256, ``certificates/seal.crt``       SM2SM3, ``sm2/certificates/seal.crt``,
                                                     the same payload as ``receipt``
sm            SM2SM3, ``sm2/certificates/seal.crt``  none
(none given)  by its ``alg``: either of the above    verified where present
============  =====================================  =====================================

Two checks, each naming the use and the receipt that failed:

- ``use_receipts``: each granted use's ``receipt`` is a compact JWS of the profile's
  algorithm whose signature verifies with the packaged seal certificate's key, and whose
  payload names that use (``use_id``, ``authorization_id``, ``purpose``, ``data_item``).
- ``use_receipts_sm2`` (dual, or wherever a ``receipt_sm2`` is present): each
  ``receipt_sm2`` is an ``SM2SM3`` JWS verifying with the SM2 seal certificate's key, over
  exactly the payload of ``receipt``.

The seal certificates themselves are vouched for by the manifest's seals (``manifest.p7s``
and ``manifest.sm2.p7s`` are signed by the same certificates); the receipts' keyed
commitments and the ledger's ``receipt_sha256`` / ``receipt_sm2_sha256`` are checked by
``ledger_commitments`` (:mod:`anxin.evidence.ledger_completeness`), which calls
:func:`add_receipt_checks`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from anxin import untrusted_json
from anxin.errors import AnxinError
from anxin.evidence.report import FAILED, FORMAT_FAILURE, PASSED, SIG_CRYPTO_FAILURE, Report
from anxin.pki import seal_sm2, sm2, sm2_x509
from anxin.seal import verify_jws

INTL_SEAL_FILE = "certificates/seal.crt"
SM2_SEAL_FILE = "sm2/certificates/seal.crt"
ES256, SM2SM3 = "ES256", seal_sm2.ALG

# The receipt algorithm each profile writes; receipt_sm2 is written by dual only.
PRIMARY_ALG = {"intl": ES256, "dual": ES256, "sm": SM2SM3}
_NAMED = ("use_id", "purpose", "data_item")

Verifier = Callable[[str], dict[str, Any]]


class _Problem(Exception):
    """One receipt's failure, with the report's sub-indication."""

    def __init__(self, detail: str, sub: str = SIG_CRYPTO_FAILURE) -> None:
        super().__init__(detail)
        self.detail, self.sub = detail, sub


@dataclass(frozen=True, slots=True)
class _Seals:
    """The package's seal keys, read lazily (a package without SM2 needs no SM2 file)."""

    files: dict[str, bytes]

    def verifier(self, alg: str) -> Verifier:
        if alg == ES256:
            key = self._intl_key()
            return lambda token: verify_jws(token, key)
        if alg == SM2SM3:
            sm2_key = self._sm2_key()
            return lambda token: seal_sm2.verify_sm2_jws(token, sm2_key)
        raise _Problem(f"alg {alg!r} is neither ES256 nor {SM2SM3}", FORMAT_FAILURE)

    def _intl_key(self) -> ec.EllipticCurvePublicKey:
        try:
            key = x509.load_pem_x509_certificate(self.files[INTL_SEAL_FILE]).public_key()
        except (KeyError, ValueError):
            raise _Problem(f"{INTL_SEAL_FILE} is missing or unreadable",
                           FORMAT_FAILURE) from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise _Problem(f"{INTL_SEAL_FILE} holds no EC key", FORMAT_FAILURE)
        return key

    def _sm2_key(self) -> sm2.SM2PublicKey:
        try:
            return sm2_x509.public_key_of(sm2_x509.load_certificate(self.files[SM2_SEAL_FILE]))
        except KeyError:
            raise _Problem(f"{SM2_SEAL_FILE} is missing", FORMAT_FAILURE) from None
        except AnxinError as exc:
            raise _Problem(f"{SM2_SEAL_FILE}: {exc.detail}", FORMAT_FAILURE) from None


def package_profile(files: dict[str, bytes]) -> str | None:
    """``manifest.json``'s ``"profile"`` (intl, sm, dual), or None where it names none."""
    try:
        value = untrusted_json.load_object(files["manifest.json"]).get("profile")
    except (KeyError, ValueError):
        return None
    return value if value in PRIMARY_ALG else None


def jws_alg(token: str) -> str:
    """The ``alg`` of a compact JWS header, unverified (to choose the key)."""
    try:
        part = token.split(".")[0]
        header = untrusted_json.load_object(
            base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, IndexError):
        raise _Problem("not a compact JWS", FORMAT_FAILURE) from None
    return str(header.get("alg"))


def _verified(seals: _Seals, token: Any, name: str, want: str | None) -> dict[str, Any]:
    """The payload of one receipt, verified with the seal its algorithm names."""
    if not isinstance(token, str):
        raise _Problem(f"{name} is missing", FORMAT_FAILURE)
    alg = jws_alg(token)
    if want is not None and alg != want:
        raise _Problem(f"{name} is alg {alg!r}; this profile's is {want}", FORMAT_FAILURE)
    try:
        return seals.verifier(alg)(token)
    except AnxinError as exc:
        raise _Problem(f"{name} ({alg}) does not verify with the seal certificate: "
                       f"{exc.detail}") from None


def _names_the_use(payload: dict[str, Any], use: dict[str, Any], auth_id: Any,
                   name: str) -> None:
    wrong = [k for k in _NAMED if payload.get(k) != use.get(k)]
    if payload.get("authorization_id") != auth_id:
        wrong.append("authorization_id")
    if wrong:
        raise _Problem(f"{name} names another {', '.join(wrong)} than the use record's")


def add_receipt_checks(report: Report, files: dict[str, bytes],
                       record: dict[str, Any]) -> None:
    """``use_receipts`` and, where SM2 receipts are expected or present,
    ``use_receipts_sm2`` (see the module's table). Adds nothing for a record with no
    granted use."""
    granted = [u for u in record.get("uses_log") or []
               if isinstance(u, dict) and u.get("granted")]
    if not granted:
        return
    profile = package_profile(files)
    seals = _Seals(files)
    want = PRIMARY_ALG.get(profile) if profile else None
    sm2_wanted = profile == "dual" or any("receipt_sm2" in u for u in granted)
    problems: list[tuple[str, str]] = []
    problems_sm2: list[tuple[str, str]] = []
    algs: set[str] = set()
    for use in granted:
        where = f"use {use.get('use_id')}"
        try:
            payload = _verified(seals, use.get("receipt"), "receipt", want)
            _names_the_use(payload, use, record.get("id"), "receipt")
            algs.add(jws_alg(use["receipt"]))
        except _Problem as p:
            problems.append((f"{where}: {p.detail}", p.sub))
            payload = None
        if not sm2_wanted:
            continue
        try:
            if profile in ("intl", "sm") and "receipt_sm2" in use:
                raise _Problem(f"receipt_sm2 is present, but the {profile} profile writes "
                               "none", FORMAT_FAILURE)
            payload_sm2 = _verified(seals, use.get("receipt_sm2"), "receipt_sm2", SM2SM3)
            _names_the_use(payload_sm2, use, record.get("id"), "receipt_sm2")
            if payload is not None and payload_sm2 != payload:
                raise _Problem("receipt_sm2's payload differs from receipt's")
        except _Problem as p:
            problems_sm2.append((f"{where}: {p.detail}", p.sub))
    n = len(granted)
    _report(report, "use_receipts", "Use receipts (each granted use's signed receipt)",
            problems, f"{n} receipts, {' and '.join(sorted(algs)) or '-'}, each verified with "
            f"the packaged seal certificate ({_seal_files(algs)}) and naming its use"
            + (f" (profile {profile})" if profile else ""), receipts=n)
    if sm2_wanted:
        _report(report, "use_receipts_sm2",
                "SM2 use receipts (receipt_sm2: SM2 with SM3 by the SM2 seal)", problems_sm2,
                f"{n} receipt_sm2, {SM2SM3}, each verified with {SM2_SEAL_FILE} (SM2 user id "
                "1234567812345678) over the same payload as its receipt", receipts=n)


def _seal_files(algs: set[str]) -> str:
    return ", ".join(f for a, f in ((ES256, INTL_SEAL_FILE), (SM2SM3, SM2_SEAL_FILE))
                     if a in algs) or "-"


def _report(report: Report, check: str, title: str, problems: list[tuple[str, str]],
            passed: str, **data: Any) -> None:
    if problems:
        report.add(check, title, FAILED, "; ".join(d for d, _ in problems), problems[0][1])
    else:
        report.add(check, title, PASSED, passed, **data)


# The same verification for the package's other JWS (the consent receipt,
# :mod:`anxin.evidence.consent_receipt_check`): one implementation for every receipt.
ReceiptProblem = _Problem


def verify_with_packaged_seal(files: dict[str, bytes], token: Any, name: str,
                              want: str | None) -> dict[str, Any]:
    """The payload of the compact JWS ``token``, verified with the packaged seal
    certificate its ``alg`` names (``want``: the only alg accepted, or None for either);
    raises :class:`ReceiptProblem` naming ``name``."""
    return _verified(_Seals(files), token, name, want)

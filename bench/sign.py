"""Signed letters per second: the product's signer per signature profile, and Anxin's
signing path against a plain pyHanko baseline.

**Per profile** (``--profile intl|sm|dual|all``, default ``all``): the product's own
:class:`anxin.services.letter_signing.PkiLetterSigner` as the signing use case calls it
(render + event certificate(s) + signatures + timestamps + validation data read from a
database snapshot + DSS + archive timestamp), each profile with a data directory of its
own made by ``anxin init --profile`` (SQLite, built-in TSAs). The profiles run in the same
run, interleaved in one-second slices, so a machine's drift hits them alike; the ratios
sm/intl and dual/intl are printed against the goals (sm >= 0.5x, dual >= 0.4x of intl).
``--cprofile`` profiles 30 letters of each selected profile instead.

**Library rows** (``--library``): one letter (the zh-CN test letter), one in-process TSA
object for every path, every row rendering the letter with the product's renderer
(:func:`anxin.letters.render.render_letter_pdf`) first:

* ``baseline``   the issue's baseline: render the letter, then plain pyHanko — fresh event
                 key and certificate, ``SimpleSigner`` + ``PdfSigner.sign_pdf`` at default
                 settings (size estimation by a dry run, no ``bytes_reserved``) with the
                 same TSA object;
* ``ours B-T``   render + fresh P-256 event key and certificate + PAdES B-T
                 (:func:`anxin.letters.sign.sign_letter`);
* ``ours B-LTA`` the same + an OCSP response for the event certificate + the B-LTA upgrade
                 (DSS + document timestamp, :func:`anxin.letters.sign.upgrade_to_lta`).

The ratios against the goals (B-T >= 5x, B-LTA >= 3x the baseline) are of those three
rows. Extra information, not the goal's figures: rendering alone, and the same three paths
on the already rendered letter (``*_sign_only``), and plain pyHanko with its stock
DummyTimeStamper. All rows run in the same process, interleaved in one-second slices, so
that the load of a shared machine hits them alike.

The TSA is a parameter (``--tsa``): ``loaded`` (default) is pyHanko's DummyTimeStamper
with its RSA key loaded once (the same object serves every path); ``stock`` is the
DummyTimeStamper as shipped, which re-parses its key for every token. When the pki
package's in-process ECDSA TSA is merged, pass it through :func:`run` instead.

    PYTHONPATH=src python bench/sign.py [--seconds 4] [--profile all|intl|sm|dual]
                                        [--cprofile] [--library [--tsa loaded|stock]]

The last line is JSON: {"intl_per_s": .., "sm_per_s": .., "dual_per_s": ..,
"sm_vs_intl": .., "dual_vs_intl": ..} (with ``--library`` also "baseline_per_s",
"bt_per_s", "lta_per_s", "bt_vs_baseline", "lta_vs_baseline", "render_per_s",
"pyhanko_default_per_s").
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.common.* helpers

from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import (
    as_signing_certificate,
    get_pyca_cryptography_hash,
    simple_cms_attribute,
)
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from tests.common.letters import letter_spec
from tests.common.test_ca import TestPKI, _asn1_key, build_test_pki, to_asn1

from anxin import der
from anxin.letters import cms_der
from anxin.letters.render import render_letter_pdf
from anxin.letters.sign import sign_letter, upgrade_to_lta


class LoadedKeyTimeStamper(DummyTimeStamper):  # type: ignore[misc]
    """pyHanko's in-process test TSA, with its RSA key parsed once instead of per token."""

    def __init__(self, pki: TestPKI) -> None:
        super().__init__(tsa_cert=to_asn1(pki.tsa_cert), tsa_key=_asn1_key(pki.tsa_key),
                         certs_to_embed=[to_asn1(pki.issuing_cert), to_asn1(pki.root_cert)])
        self._loaded_key = pki.tsa_key
        self._signing_certificate = as_signing_certificate(self.tsa_cert)

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str,
                       gen_time: dt.datetime) -> tuple[bytes, Any]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        attributes = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time)})),
            simple_cms_attribute("signing_certificate", self._signing_certificate),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._loaded_key.sign(attributes.dump(), PKCS1v15(),
                                          get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, attributes


class DirectTimeStamper(TimeStamper):  # type: ignore[misc]
    """An in-process RFC 3161 TSA writing its tokens directly in DER (bench stand-in for
    the product's built-in TSA): TSTInfo with policy, SHA-256 imprint, unique serial,
    microsecond genTime and the requester's nonce-free request semantics of an in-process
    call; SignedData with signingCertificateV2 and the TSA chain; RSA key loaded once."""

    _TST_INFO = "1.2.840.113549.1.9.16.1.4"

    def __init__(self, pki: TestPKI) -> None:
        super().__init__(include_nonce=False)
        self._key = pki.tsa_key
        self._cert_der = pki.tsa_cert.public_bytes(Encoding.DER)
        self._issuer = pki.tsa_cert.issuer.public_bytes()
        self._serial = pki.tsa_cert.serial_number
        self._chain = [self._cert_der, *(c.public_bytes(Encoding.DER) for c in pki.chain)]
        self._policy = der.der_oid("1.3.6.1.4.1.99999.1.1")
        self._counter = itertools.count(int(time.time() * 1000) << 16)

    def _tst_info(self, message_digest: bytes) -> bytes:
        now = dt.datetime.now(dt.UTC)
        stamp = now.strftime("%Y%m%d%H%M%S") + (f".{now.microsecond:06d}".rstrip("0")
                                               .rstrip(".")) + "Z"
        imprint = der.tlv(0x30, der.tlv(0x30, der.der_oid("2.16.840.1.101.3.4.2.1"))
                              + der.tlv(0x04, message_digest))
        return der.tlv(0x30, der.der_integer(1) + self._policy + imprint
                           + der.der_integer(next(self._counter))
                           + der.tlv(0x18, stamp.encode()))

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        if md_algorithm != "sha256":
            raise ValueError("this bench TSA stamps SHA-256 imprints")
        tst_info = self._tst_info(message_digest)
        attributes = cms_der.signed_attributes(
            hashlib.sha256(tst_info).digest(), signer_cert_der=self._cert_der,
            issuer_name_der=self._issuer, serial_number=self._serial,
            content_type=self._TST_INFO)
        signature = self._key.sign(cms_der.signed_attributes_for_signing(attributes),
                                   PKCS1v15(), hashes.SHA256())
        sha256 = der.tlv(0x30, der.der_oid("2.16.840.1.101.3.4.2.1"))
        signer_info = der.tlv(0x30, b"".join((
            der.der_integer(1), cms_der.issuer_and_serial(self._issuer, self._serial),
            sha256, der.tlv(0xA0, attributes),
            der.tlv(0x30, der.der_oid("1.2.840.113549.1.1.11") + b"\x05\x00"),
            der.tlv(0x04, signature))))
        content = der.tlv(0x30, b"".join((
            der.der_integer(3), der.tlv(0x31, sha256),
            der.tlv(0x30, der.der_oid(self._TST_INFO)
                        + der.tlv(0xA0, der.tlv(0x04, tst_info))),
            der.tlv(0xA0, b"".join(self._chain)),
            der.tlv(0x31, signer_info))))
        return cms.ContentInfo.load(der.tlv(
            0x30, der.der_oid("1.2.840.113549.1.7.2") + der.tlv(0xA0, content)))


def product_timestamper() -> Any:
    """The product's own built-in TSA (ECDSA, anxin.pki.tsa), in process, with in-memory
    serial numbers (storage is excluded from this benchmark)."""
    import tempfile
    from pathlib import Path

    from anxin.config import load_settings
    from anxin.pki.authority import ensure_pki, load_pki
    from anxin.pki.serials import InMemorySerialSource
    from anxin.pki.tsa import InProcessTimeStamper, TimestampAuthority
    from anxin.seal import create_seal_key
    settings = load_settings(data_dir=Path(tempfile.mkdtemp()))
    settings.keys_dir.mkdir(parents=True)
    create_seal_key(settings.keys_dir / "seal.key", None)
    ensure_pki(settings)
    return InProcessTimeStamper(TimestampAuthority(load_pki(settings), InMemorySerialSource()))


def make_timestamper(kind: str, pki: TestPKI) -> Any:
    if kind == "product":
        return product_timestamper()
    if kind == "direct":
        return DirectTimeStamper(pki)
    if kind == "loaded":
        return LoadedKeyTimeStamper(pki)
    return pki.timestamper()


def our_bt(pki: TestPKI, tsa: Any, rendered: bytes | None = None) -> tuple[bytes, Any]:
    """Our B-T path; renders the letter unless ``rendered`` is given."""
    spec = letter_spec("zh-CN")
    pdf = rendered if rendered is not None else render_letter_pdf(spec)
    key, cert = pki.issue_event_cert(spec.subject_name)
    signed = sign_letter(pdf, signer_key=key, signer_cert=cert, chain=pki.chain,
                         timestamper=tsa, signer_name=spec.subject_name,
                         method_label="短信验证", reason="个人信息查询授权", location="Anxin",
                         signing_time=dt.datetime.now(dt.UTC))
    del key  # the event key is used once and dropped
    return signed, cert


def our_lta(pki: TestPKI, tsa: Any, crl_der: bytes, rendered: bytes | None = None) -> bytes:
    """Our B-T path + an OCSP response for the event certificate + the B-LTA upgrade."""
    signed, cert = our_bt(pki, tsa, rendered)
    return upgrade_to_lta(signed, certificates=[cert, *pki.chain, pki.tsa_cert],
                          crls=[crl_der], ocsp_responses=[pki.ocsp_response(cert)],
                          timestamper=tsa)


def baseline(pki: TestPKI, tsa: Any, rendered: bytes | None = None) -> bytes:
    """Plain pyHanko at default settings; renders the letter unless ``rendered`` is given."""
    pdf = rendered if rendered is not None else render_letter_pdf(letter_spec("zh-CN"))
    key, cert = pki.issue_event_cert("张三")
    signer = signers.SimpleSigner(
        signing_cert=to_asn1(cert), signing_key=_asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in pki.chain]))
    meta = signers.PdfSignatureMetadata(field_name="Signature1",
                                        subfilter=SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, signer, timestamper=tsa).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return bytes(out.getvalue())


def run(pki: TestPKI, tsa: Any, seconds: float) -> dict[str, float]:
    """Every figure, all with the same ``tsa`` (plus the stock-TSA reference baseline),
    measured interleaved (:func:`run_profiles`)."""
    rendered = render_letter_pdf(letter_spec("zh-CN"))
    crl_der = pki.issuing_crl()  # the product refreshes its CRL periodically, not per letter
    stock = pki.timestamper()
    works: dict[str, Callable[[], object]] = {
        "render": lambda: render_letter_pdf(letter_spec("zh-CN")),
        "baseline": lambda: baseline(pki, tsa),
        "bt": lambda: our_bt(pki, tsa),
        "lta": lambda: our_lta(pki, tsa, crl_der),
        "baseline_sign_only": lambda: baseline(pki, tsa, rendered),
        "baseline_stock_tsa_sign_only": lambda: baseline(pki, stock, rendered),
        "bt_sign_only": lambda: our_bt(pki, tsa, rendered),
        "lta_sign_only": lambda: our_lta(pki, tsa, crl_der, rendered),
    }
    return {f"{name}_per_s": value for name, value in run_profiles(works, seconds).items()}


def report(figures: dict[str, float], tsa_kind: str) -> None:
    base, base_sign = figures["baseline_per_s"], figures["baseline_sign_only_per_s"]
    stock = figures["baseline_stock_tsa_sign_only_per_s"]
    rows = [
        ("render only (cached face, own subsetter)", figures["render_per_s"], None),
        ("baseline: render + cert + plain pyHanko B-T", base, None),
        ("ours:     render + cert + B-T", figures["bt_per_s"], base),
        ("ours:     render + cert + B-T + OCSP + B-LTA", figures["lta_per_s"], base),
        ("baseline: cert + plain pyHanko B-T (pre-rendered)", base_sign, None),
        ("ours:     cert + B-T (pre-rendered)", figures["bt_sign_only_per_s"], base_sign),
        ("ours:     cert + B-T + OCSP + B-LTA (pre-rendered)", figures["lta_sign_only_per_s"],
         base_sign),
        ("reference: plain pyHanko, stock DummyTimeStamper (pre-rendered)", stock, None),
        ("ours B-T (render incl.) vs that stock-TSA reference", figures["bt_per_s"], stock),
        ("ours B-LTA (render incl.) vs that stock-TSA reference", figures["lta_per_s"], stock),
    ]
    print(f"TSA for every row except the reference: {tsa_kind}; letter: zh-CN test letter")
    for label, value, against in rows:
        ratio = f"  {value / against:5.1f}x" if against else ""
        print(f"  {label:<66} {value:7.1f} /s{ratio}")
    for name, label, goal in (("bt", "B-T", 5.0), ("lta", "B-LTA", 3.0)):
        ratio = figures[f"{name}_per_s"] / base
        print(f"  goal {label} >= {goal:.0f}x baseline: {ratio:.2f}x "
              f"({'met' if ratio >= goal else 'MISSED'})")


PROFILES = ("intl", "sm", "dual")
GOALS = {"sm": 0.5, "dual": 0.4}


class ProductSigner:
    """One profile's data directory (``anxin init --profile``), its context, and the
    call the signing use case makes: ``ctx.letter_signer(letter, SnapshotStatus(...))``."""

    def __init__(self, profile: str, root: Path) -> None:
        from anxin.bootstrap import build_services
        from anxin.config import load_settings
        from anxin.services.letter_signing import SnapshotStatus
        from anxin.services.setup import initialise

        data = root / profile
        initialise(load_settings(data_dir=data, profile=profile))  # type: ignore[arg-type]
        self.ctx = build_services(load_settings(data_dir=data), background_workers=False,
                                  ledger_checkpoints=False)
        ctx = self.ctx
        self.status = SnapshotStatus(ctx.db, ctx.pki, ctx.sm2.pki if ctx.sm2 else None)
        self.letter = product_letter()

    def __call__(self) -> bytes:
        now = dt.datetime.now(dt.UTC)
        outcome = self.ctx.letter_signer(dataclasses.replace(self.letter, now=now),
                                         self.status)
        return outcome.pdf

    def close(self) -> None:
        self.ctx.close()


def product_letter() -> Any:
    """The zh-CN test letter as the signing use case hands it to the signer."""
    from anxin.services.ports import LetterToSign
    spec = letter_spec("zh-CN")
    return LetterToSign(
        authorization_id="0b9f6c1e-2f3a-4c5d-8e7f-9a0b1c2d3e4f", letter_sha256=spec.letter_sha256,
        letter_text=spec.letter_text, locale="zh-CN", title=spec.title,
        institution_name=spec.institution_name, purpose="loan_approval",
        data_scope=("credit_report", "credit_score"), valid_from=spec.valid_from,
        valid_until=spec.valid_until, max_uses=spec.max_uses, reference=spec.reference,
        subject_name=spec.subject_name, subject_id_number="11010519491231002X",
        subject_id_masked=spec.subject_id_masked, method="sms", passkey_evidence=None,
        now=dt.datetime.now(dt.UTC))


def run_profiles(signers: dict[str, Callable[[], object]], seconds: float,
                 slice_seconds: float = 1.0) -> dict[str, float]:
    """Letters per second of each signer (any callable), measured in interleaved slices
    until each had ``seconds`` (at least 5 letters each)."""
    for work in signers.values():
        work()  # warm-up: the font is parsed, the caches filled, once per process
    counts = dict.fromkeys(signers, 0)
    spent = dict.fromkeys(signers, 0.0)
    while min(spent.values()) < seconds or min(counts.values()) < 5:
        for name, work in signers.items():
            started = time.perf_counter()
            while (elapsed := time.perf_counter() - started) < slice_seconds:
                work()
                counts[name] += 1
            spent[name] += elapsed
    return {name: counts[name] / spent[name] for name in signers}


def report_profiles(figures: dict[str, float]) -> dict[str, float]:
    print("the product's signer per profile (render + certificates + signatures + "
          "timestamps + validation data + DSS + archive timestamp), zh-CN letter, SQLite")
    for name, value in figures.items():
        print(f"  {name:<5} {value:7.1f} letters/s")
    out = {f"{name}_per_s": round(value, 1) for name, value in figures.items()}
    intl = figures.get("intl")
    for name, goal in GOALS.items():
        if intl and name in figures:
            ratio = figures[name] / intl
            verdict = "met" if ratio >= goal else "MISSED"
            print(f"  {name}/intl {ratio:5.2f}x  (goal >= {goal}x: {verdict})")
            out[f"{name}_vs_intl"] = round(ratio, 2)
    return out


def cprofile_profiles(signers: dict[str, ProductSigner], letters: int = 30) -> None:
    for name, work in signers.items():
        work()
        profiler = cProfile.Profile()
        profiler.runcall(lambda work=work: [work() for _ in range(letters)])
        print(f"=== cProfile: {letters} letters, profile {name} ===")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def library_rows(seconds: float, tsa_kind: str) -> dict[str, float]:
    pki = build_test_pki("Anxin Bench")
    tsa = make_timestamper(tsa_kind, pki)
    figures = run(pki, tsa, seconds)
    report(figures, tsa_kind)
    # "baseline_per_s" is the issue's baseline (render + plain pyHanko with the same TSA
    # object); "pyhanko_default_per_s" plain sign_pdf with pyHanko's stock timestamper on
    # the already rendered letter (extra information).
    out = {key: round(figures[key], 1)
           for key in ("baseline_per_s", "bt_per_s", "lta_per_s", "render_per_s")}
    out["bt_vs_baseline"] = round(figures["bt_per_s"] / figures["baseline_per_s"], 2)
    out["lta_vs_baseline"] = round(figures["lta_per_s"] / figures["baseline_per_s"], 2)
    out["pyhanko_default_per_s"] = round(figures["baseline_stock_tsa_sign_only_per_s"], 1)
    return out


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="time per measurement (per profile)")
    parser.add_argument("--profile", choices=(*PROFILES, "all"), default="all",
                        help="the signature profile(s) whose product signer is measured")
    parser.add_argument("--cprofile", action="store_true",
                        help="cProfile the product signer of the selected profile(s)")
    parser.add_argument("--library", action="store_true",
                        help="also the library rows (ours vs plain pyHanko)")
    parser.add_argument("--tsa", choices=("direct", "product", "loaded", "stock"),
                        default="direct", help="the TSA of the library rows")
    args = parser.parse_args()
    chosen = PROFILES if args.profile == "all" else (args.profile,)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="anxin-bench-") as root:
        signers = {name: ProductSigner(name, Path(root)) for name in chosen}
        try:
            if args.cprofile:
                cprofile_profiles(signers)
            else:
                out.update(report_profiles(run_profiles(signers, args.seconds)))
        finally:
            for signer in signers.values():
                signer.close()
    if args.library:
        out.update(library_rows(args.seconds, args.tsa))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

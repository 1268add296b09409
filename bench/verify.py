"""Evidence packages verified per second offline, against pyHanko validating the letter alone.

One run builds one real package the way the integration tests do (a temporary data
directory, ``initialise``, an institution, a template, an authorization signed by SMS with
one granted and one refused use, ``GET /v1/authorizations/{id}/evidence.zip``), then times:

* ``package``  :func:`anxin.evidence.offline.verify_bytes` on the ZIP with the root: every
               check (manifest + seal, letter AdES-LTA, timestamps, event certificate,
               passkey, ledger proofs, SMS record); it must come out TOTAL_PASSED;
* ``adesverify`` the baseline (issue 18): pyHanko validating the package's ``letter.pdf``
               alone with its AdES past validation, as ``pyhanko sign adesverify`` does:
               parse the PDF, then ``ades_lta_validation`` (EN 319 102-1 §5.6.3, which
               runs ``ades_past_signature_validation`` on the document timestamps' chain)
               with the CLI's policy: trust the root, revocation data required
               (``REQUIRE_REVINFO``, freshness by the issuer's window), the default diff
               policy, now as the validation time; fetching nothing (``LOCAL_ONLY``: the
               letter is B-LTA, its DSS carries what is needed, and no test traffic leaves
               the machine). Built per letter, as a verifier of one file would;
* ``pyhanko``  the old baseline (issue 6), kept as extra information: parse the PDF, then
               plain ``validate_pdf_signature`` with a ValidationContext trusting the root
               and fetching nothing.

The three are timed in alternating rounds (machine load hits them alike). ``--clock cpu``
times them by this process's CPU time instead of the wall clock (the same calls, the same
rounds): on a shared machine under heavy load (other jobs on its 2 cores) a wall-clock
round holds one call of a second or more and the ratio is noise; the CPU time each path
spends is what the load does not add to.
Goal (issue 18): ``packages_per_s >= 1.0 * adesverify_letters_per_s``.

    PYTHONPATH=src python bench/verify.py [--seconds 4] [--profile] [--clock wall|cpu]
                                          [--package P.zip --trust ROOT.crt] [--save DIR]

A fresh package's event certificate is still valid; ten minutes later it has expired and
the verifier also proves it valid at the timestamped signature time (one more signature
validation). ``--save DIR`` keeps the built package and root; ``--package``/``--trust``
time an existing one instead of building one (e.g. a saved one, once expired).

The last line is JSON: {"packages_per_s": .., "adesverify_letters_per_s": ..,
"pyhanko_letters_per_s": .., "ratio": .., "clock": "wall" | "cpu"}.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.common.* helpers

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from tests.common.factories import Api, sign

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.evidence.offline import verify_bytes
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app


def build_package(workdir: Path) -> tuple[bytes, x509.Certificate]:
    """One evidence package (SQLite platform in ``workdir``) and the platform's root."""
    data_dir = workdir / "data"
    initialise(load_settings(data_dir=data_dir))
    settings = load_settings(data_dir=data_dir)
    ctx = build_services(settings, background_workers=False, ledger_checkpoints=False)
    try:
        with TestClient(create_app(settings, ctx)) as client:
            inst = add_institution(ctx, "Bench Bank")
            api = Api(client, inst.api_key, inst.id)
            api.template(max_uses=2)
            auth = api.request(seq=1)
            sign(client, settings.outbox_path, auth)
            granted = api.use(auth["id"])
            refused = api.use(auth["id"], purpose="account_opening")
            if (granted.status_code, refused.status_code) != (201, 403):
                raise SystemExit(f"uses: {granted.status_code}, {refused.status_code}")
            r = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
            if r.status_code != 200:
                raise SystemExit(f"evidence.zip: {r.status_code} {r.text}")
            package = bytes(r.content)
    finally:
        ctx.close()
    root = x509.load_pem_x509_certificate((settings.keys_dir / "root.crt").read_bytes())
    return package, root


def rates(seconds: float, paths: dict[str, Callable[[], None]],
          clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Calls per second of each path, timed in alternating rounds of ~0.25 s so that a
    change in machine load during the run weighs on every path alike; ``clock`` the wall
    clock or this process's CPU time (``time.process_time``)."""
    done = dict.fromkeys(paths, 0)
    spent = dict.fromkeys(paths, 0.0)
    for once in paths.values():
        once()  # warm-up: imports, per-process caches
    while min(spent.values()) < seconds:
        for label, once in paths.items():
            start = clock()
            while (elapsed := clock() - start) < 0.25:
                once()
                done[label] += 1
            spent[label] += elapsed
    out = {}
    for label in paths:
        out[label] = per_s = done[label] / spent[label]
        print(f"{label:<10} {per_s:8.1f}/s  ({1000 / per_s:6.1f} ms each, "
              f"{done[label]} in {spent[label]:.1f} s)")
    return out


def adesverify_spec(root: asn1_x509.Certificate) -> PdfSignatureValidationSpec:
    """The policy of ``pyhanko sign adesverify --trust ROOT`` (pyhanko/cli/commands/
    validation/validate.py), fetching nothing."""
    revocation = CertRevTrustPolicy(
        REQUIRE_REVINFO, freshness=None,
        freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION)
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=[root]),
                revinfo_policy=revocation),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)),
        diff_policy=DEFAULT_DIFF_POLICY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--profile", action="store_true", help="cProfile the package path")
    parser.add_argument("--package", type=Path, help="an existing evidence.zip to time")
    parser.add_argument("--trust", type=Path, help="its root certificate (PEM)")
    parser.add_argument("--save", type=Path, help="keep the built package and root here")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time by the wall clock (default) or by this process's CPU time")
    args = parser.parse_args()

    if args.package is not None:
        if args.trust is None:
            raise SystemExit("--package needs --trust")
        package = args.package.read_bytes()
        root = x509.load_pem_x509_certificate(args.trust.read_bytes())
    else:
        with tempfile.TemporaryDirectory(prefix="anxin-bench-verify-") as tmp:
            package, root = build_package(Path(tmp))
        if args.save is not None:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / "evidence.zip").write_bytes(package)
            (args.save / "root.crt").write_bytes(root.public_bytes(Encoding.PEM))
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        letter = z.read("letter.pdf")
    root_asn1 = asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))
    print(f"package {len(package)} bytes, letter.pdf {len(letter)} bytes")

    def package_once() -> None:
        report = verify_bytes(package, "evidence.zip", [root], "bench root")
        if report.indication != "TOTAL_PASSED":
            raise SystemExit("\n".join(report.summary_lines()))

    root_der = root.public_bytes(Encoding.DER)
    verdicts: set[str] = set()  # adesverify's AdES indication on this letter (printed)

    def adesverify_once() -> None:
        sig = PdfFileReader(io.BytesIO(letter), strict=False).embedded_regular_signatures[0]
        spec = adesverify_spec(asn1_x509.Certificate.load(root_der))
        result = asyncio.run(ades_lta_validation(sig, spec,
                                                 timing_info=ValidationTimingInfo.now()))
        sub = result.ades_subindic
        verdicts.add(sub.status.name if sub.status.name == "PASSED"
                     else f"{sub.status.name} {sub.standard_name}")

    def pyhanko_once() -> None:
        sig = PdfFileReader(io.BytesIO(letter), strict=False).embedded_regular_signatures[0]
        vc = ValidationContext(trust_roots=[root_asn1], allow_fetching=False)
        status = validate_pdf_signature(sig, signer_validation_context=vc)
        if not (status.intact and status.valid):
            raise SystemExit(f"pyHanko: {status.summary()}")

    if args.profile:
        package_once()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            package_once()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)

    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    measured = rates(args.seconds, {"package": package_once, "adesverify": adesverify_once,
                                    "pyhanko": pyhanko_once}, clock)
    print(f"clock: {args.clock}")
    packages, ades, plain = measured["package"], measured["adesverify"], measured["pyhanko"]
    print(f"adesverify's indication on the letter: {', '.join(sorted(verdicts))}")
    ratio = packages / ades
    print(f"packages/s ÷ adesverify letters/s = {ratio:.2f} (goal ≥ 1.0: "
          f"{'met' if ratio >= 1.0 else 'NOT met'}); "
          f"÷ plain validate_pdf_signature letters/s = {packages / plain:.2f}")
    print(json.dumps({"packages_per_s": round(packages, 1),
                      "adesverify_letters_per_s": round(ades, 1),
                      "pyhanko_letters_per_s": round(plain, 1), "ratio": round(ratio, 2),
                      "clock": args.clock}))


if __name__ == "__main__":
    main()

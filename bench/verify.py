"""Evidence packages verified per second offline, against pyHanko validating the letter alone.

One run builds one real package the way the integration tests do (a temporary data
directory, ``initialise``, an institution, a template, an authorization signed by SMS with
one granted and one refused use, ``GET /v1/authorizations/{id}/evidence.zip``), then times:

* ``package``  :func:`anxin.evidence.offline.verify_bytes` on the ZIP with the root: every
               check (manifest + seal, letter AdES-LTA, timestamps, event certificate,
               passkey, ledger proofs, SMS record); it must come out TOTAL_PASSED;
* ``pyhanko``  plain pyHanko on the package's ``letter.pdf``: parse the PDF, then
               ``validate_pdf_signature`` with a ValidationContext trusting the root and
               fetching nothing (both built per letter, as a verifier of one file would).

The two are timed in alternating rounds (machine load hits both alike).
Goal (issue 6): ``packages_per_s >= 0.5 * pyhanko_letters_per_s``.

    PYTHONPATH=src python bench/verify.py [--seconds 4] [--profile]
                                          [--package P.zip --trust ROOT.crt] [--save DIR]

A fresh package's event certificate is still valid; ten minutes later it has expired and
the verifier also proves it valid at the timestamped signature time (one more signature
validation). ``--save DIR`` keeps the built package and root; ``--package``/``--trust``
time an existing one instead of building one (e.g. a saved one, once expired).

The last line is JSON: {"packages_per_s": .., "pyhanko_letters_per_s": ..}.
"""

from __future__ import annotations

import argparse
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
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
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


def rates(seconds: float, paths: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Calls per second of each path, timed in alternating rounds of ~0.25 s so that a
    change in machine load during the run weighs on every path alike."""
    done = dict.fromkeys(paths, 0)
    spent = dict.fromkeys(paths, 0.0)
    for once in paths.values():
        once()  # warm-up: imports, per-process caches
    while min(spent.values()) < seconds:
        for label, once in paths.items():
            start = time.perf_counter()
            while (elapsed := time.perf_counter() - start) < 0.25:
                once()
                done[label] += 1
            spent[label] += elapsed
    out = {}
    for label in paths:
        out[label] = per_s = done[label] / spent[label]
        print(f"{label:<9} {per_s:8.1f}/s  ({1000 / per_s:6.1f} ms each, "
              f"{done[label]} in {spent[label]:.1f} s)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--profile", action="store_true", help="cProfile the package path")
    parser.add_argument("--package", type=Path, help="an existing evidence.zip to time")
    parser.add_argument("--trust", type=Path, help="its root certificate (PEM)")
    parser.add_argument("--save", type=Path, help="keep the built package and root here")
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

    measured = rates(args.seconds, {"package": package_once, "pyhanko": pyhanko_once})
    packages, letters = measured["package"], measured["pyhanko"]
    ratio = packages / letters
    print(f"packages/s ÷ pyHanko letters/s = {ratio:.2f} (goal ≥ 0.50: "
          f"{'met' if ratio >= 0.5 else 'NOT met'})")
    print(json.dumps({"packages_per_s": round(packages, 1),
                      "pyhanko_letters_per_s": round(letters, 1)}))


if __name__ == "__main__":
    main()

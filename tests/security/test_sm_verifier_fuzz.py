"""The SM checks on hostile input (issue 14): Hypothesis mutates the SM files of an sm
package (byte flips, truncations, deletions, random bytes, a few JSON shapes) and the
verifier must answer with the typed report only — every check PASSED, FAILED or
INDETERMINATE, a TOTAL_FAILED naming its check — never an exception. Bounded and
derandomised for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from anxin.evidence.anchors import TrustAnchor
from anxin.evidence.package_verify import verify_files
from anxin.evidence.report import FAILED, INDETERMINATE, PASSED, Report
from anxin.evidence.sm_checks import TITLES, add_sm_checks
from anxin.pki.signature_profile import Profile
from tests.common.sm2_package import SmPackage, build_sm_files

SM_FILES = ("letter.pdf", "manifest.json", "manifest.sm2.p7s", "sm2/certificates/root.crt",
            "sm2/certificates/issuing.crt", "sm2/certificates/tsa.crt",
            "sm2/certificates/event.crt", "sm2/revocation/crl-0.crl",
            "sm2/revocation/ocsp-0.der", "sm2/timestamps/signature.tst",
            "sm2/ledger/verifier-key.txt", "sm2/ledger/leaves-sm3.json",
            "ledger/checkpoint.txt", "ledger/checkpoint.tst", "ledger/entries.json",
            "identity/id-commitment.json", "authorization.json")
JSON_SHAPES = (b"[]", b"{}", b"null", b'{"files_sm3": 5, "files": []}',
               b'{"entries": [{"index": -1, "data": 7}]}', b'{"leaves": [{"index": "x"}]}',
               b"[" * 5000 + b"]" * 5000, b'{"profile": "sm", "files_sm3": {"a": 1}}')


class _Package(SmPackage):
    def __repr__(self) -> str:
        return "<sm package>"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> SmPackage:
    built = build_sm_files(Path(tmp_path_factory.mktemp("smfuzz")))
    return _Package(built.pki, built.tsa, built.files, built.event_cert)


@st.composite
def mutation(draw: st.DrawFn, files: dict[str, bytes]) -> dict[str, bytes]:
    out = dict(files)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(SM_FILES))
        data = out.get(name, b"")
        kind = draw(st.sampled_from(["flip", "truncate", "delete", "random", "json"]))
        if kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            out[name] = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + \
                data[at + 1:]
        elif kind == "truncate":
            out[name] = data[:draw(st.integers(0, max(0, len(data) - 1)))]
        elif kind == "delete":
            out.pop(name, None)
        elif kind == "random":
            out[name] = draw(st.binary(max_size=300))
        else:
            out[name] = draw(st.sampled_from(JSON_SHAPES))
    return out


def _typed(report: Report) -> None:
    for check in report.checks:
        assert check.result in (PASSED, FAILED, INDETERMINATE)
    if report.indication == "TOTAL_FAILED":
        assert report.failed_checks


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(data=st.data())
def test_mutated_sm_files_give_a_typed_report_from_the_sm_checks(package, data):
    files = data.draw(mutation(package.files))
    report = Report(subject="fuzz.zip", trust_anchor=TrustAnchor((), "fuzz"))
    record = json.loads(package.files["authorization.json"])
    add_sm_checks(report, files, profile=Profile.SM, roots=[package.pki.root_cert],
                  record=record)
    _typed(report)
    assert {c.id for c in report.checks} == set(TITLES)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_sm_packages_give_a_typed_report_from_verify_files(package, data):
    files = data.draw(mutation(package.files))
    files.setdefault("manifest.json", b"{}")
    report = verify_files(files, "fuzz.zip", [package.root], "fuzz")
    _typed(report)
    assert report.indication in ("TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE")

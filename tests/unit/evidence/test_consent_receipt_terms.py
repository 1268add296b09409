"""The consent receipt serialises the terms generically: terms added later (issue 17's
frequency, data_range, data_life_days) flow from the record into the receipt unchanged,
validate against the published schema, and the package check compares them."""

from __future__ import annotations

import dataclasses

import jsonschema

from anxin.evidence.consent_receipt import (
    build_receipt,
    example_facts,
    receipt_document,
    receipt_terms,
    schema,
)
from anxin.evidence.consent_receipt_check import _terms_mismatches

V2 = {"frequency": {"max_uses": 1, "per": "month"}, "data_range": {"lookback_months": 24},
      "data_life_days": 30}


def _record(**terms: object) -> dict[str, object]:
    return {"id": "a1", "purpose": "loan_approval", "data_scope": ["credit_report"],
            "valid_from": "2026-12-01T09:30:00+00:00",
            "valid_until": "2026-12-31T09:30:00+00:00", "max_uses": 12, "uses": 4,
            "status": "active", "subject": {"id_number": "110101********1234"},
            "terms": terms}


def test_terms_of_a_record_take_every_term_it_has() -> None:
    terms = receipt_terms(_record(**V2))
    assert terms == {"purpose": "loan_approval", "data_scope": ["credit_report"],
                     "valid_from": "2026-12-01T09:30:00+00:00",
                     "valid_until": "2026-12-31T09:30:00+00:00", "max_uses": 12, **V2}
    # State is not a term.
    assert "uses" not in terms
    assert "status" not in terms
    # A term nobody knows yet flows as well.
    assert receipt_terms(_record(new_rule={"x": 1}))["new_rule"] == {"x": 1}


def test_a_receipt_with_v2_terms_validates_and_the_check_compares_them() -> None:
    record = _record(**V2)
    facts = dataclasses.replace(example_facts(), terms=receipt_terms(record))
    receipt = build_receipt(facts)
    assert receipt["terms"]["frequency"] == {"max_uses": 1, "per": "month"}
    doc = receipt_document(receipt, "e30.e30.c2ln", base_url="https://anxin.example")
    import json
    jsonschema.Draft202012Validator(schema()).validate(json.loads(doc))
    assert _terms_mismatches(receipt["terms"], record) == []
    wider = _record(**(V2 | {"frequency": {"max_uses": 5, "per": "month"}}))
    assert _terms_mismatches(receipt["terms"], wider) == ["term frequency"]


def test_the_schema_refuses_a_full_id_number_and_a_salt() -> None:
    receipt = build_receipt(example_facts())
    validator = jsonschema.Draft202012Validator(schema())
    import json
    ok = json.loads(receipt_document(receipt, "e30.e30.c2ln", base_url="https://x.example"))
    validator.validate(ok)
    bad = json.loads(json.dumps(ok))
    bad["receipt"]["dataSubject"]["idNumber"] = "110101199001011234"
    assert not validator.is_valid(bad)
    bad = json.loads(json.dumps(ok))
    bad["receipt"]["dataSubject"]["idNumberCommitment"]["salt"] = "00" * 16
    assert not validator.is_valid(bad)
    bad = json.loads(json.dumps(ok))
    del bad["receipt"]["terms"]["max_uses"]
    assert not validator.is_valid(bad)

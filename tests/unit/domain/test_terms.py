import datetime as dt

import pytest

from anxin.domain.terms import (
    check_ceiling,
    check_purpose_and_scope,
    resolve_max_uses,
    resolve_validity,
)
from anxin.errors import ValidationFailed

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_validity_defaults_to_the_template_and_never_exceeds_it():
    default = resolve_validity(now=NOW, template_days=30, requested_until=None)
    assert default == NOW + dt.timedelta(30)
    shorter = NOW + dt.timedelta(days=3)
    assert resolve_validity(now=NOW, template_days=30, requested_until=shorter) == shorter
    with pytest.raises(ValidationFailed) as exc:
        resolve_validity(now=NOW, template_days=30, requested_until=NOW + dt.timedelta(31))
    assert (exc.value.field, exc.value.code) == ("valid_until", "validity_exceeds_template")
    with pytest.raises(ValidationFailed):
        resolve_validity(now=NOW, template_days=30, requested_until=NOW - dt.timedelta(1))


def test_max_uses_never_above_the_template():
    assert resolve_max_uses(template_max=3, requested=None) == 3
    assert resolve_max_uses(template_max=3, requested=2) == 2
    with pytest.raises(ValidationFailed) as exc:
        resolve_max_uses(template_max=3, requested=4)
    assert exc.value.field == "max_uses"


def test_ceiling_names_the_rule():
    ceilings = {"loan_approval": {"max_validity_days": 30, "max_uses": 1}}
    check_ceiling("loan_approval", validity_days=30, max_uses=1, ceilings=ceilings)
    check_ceiling("account_opening", validity_days=999, max_uses=9, ceilings=ceilings)
    with pytest.raises(ValidationFailed) as exc:
        check_ceiling("loan_approval", validity_days=31, max_uses=1, ceilings=ceilings)
    assert exc.value.extra["rule"] == "loan_approval.max_validity_days"
    with pytest.raises(ValidationFailed) as exc:
        check_ceiling("loan_approval", validity_days=3, max_uses=2, ceilings=ceilings)
    assert exc.value.extra["rule"] == "loan_approval.max_uses"


def test_purpose_and_scope_vocabulary():
    check_purpose_and_scope("loan_approval", ["credit_report"], purposes=["loan_approval"],
                            categories=["credit_report"])
    with pytest.raises(ValidationFailed) as exc:
        check_purpose_and_scope("x", ["credit_report"], purposes=["loan_approval"],
                                categories=["credit_report"])
    assert exc.value.field == "purpose"
    with pytest.raises(ValidationFailed) as exc:
        check_purpose_and_scope("loan_approval", ["credit_report", "dna"],
                                purposes=["loan_approval"], categories=["credit_report"])
    assert exc.value.field == "data_scope[1]"

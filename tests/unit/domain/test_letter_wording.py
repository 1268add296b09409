"""The template lint (issue 15): wording that contradicts revocability or a finite
number of uses is refused, naming the rule; honest wording passes."""

import pytest

from anxin.domain.letter_wording import check_wording
from anxin.errors import ValidationFailed
from anxin.services.demo import DEMO_BODY_ZH


@pytest.mark.parametrize(("body", "rule"), [
    ("本人不可撤销地授权{{ institution }}查询", "irrevocable"),
    ("本授权一经签署不得撤回。", "irrevocable"),
    ("I irrevocably authorize {{ institution }}.", "irrevocable"),
    ("This authorization cannot be revoked.", "irrevocable"),
    ("This is a non-revocable consent.", "irrevocable"),
    ("查询次数不限。", "unlimited_uses"),
    ("可无限次查询本人信息", "unlimited_uses"),
    ("{{ institution }} may query my data an unlimited number of times.", "unlimited_uses"),
    ("...any number of times.", "unlimited_uses"),
])
def test_contradicting_wording_is_refused_naming_the_rule(body, rule):
    with pytest.raises(ValidationFailed) as e:
        check_wording(body, max_uses=3)
    assert e.value.code == "letter_contradicts_terms"
    assert (e.value.extra["rule"], e.value.extra["field"]) == (rule, "body")


def test_the_title_is_linted_too():
    with pytest.raises(ValidationFailed) as e:
        check_wording("{{ subject_name }}", title="不可撤销授权书", max_uses=1)
    assert e.value.extra["field"] == "title"


@pytest.mark.parametrize("body", [
    DEMO_BODY_ZH,
    "本人可以随时撤销本授权，撤销不影响撤销前已进行的查询的效力。授权使用次数：{{ max_uses }}次。",
    "I may revoke it at any time; revocation does not undo earlier queries. "
    "At most {{ max_uses }} time(s).",
])
def test_honest_wording_passes(body):
    check_wording(body, max_uses=1)


def test_the_demo_letter_says_revocable_and_not_retroactive():
    assert "不可撤销" not in DEMO_BODY_ZH
    assert "随时通过安心授权撤销" in DEMO_BODY_ZH
    assert "不影响撤销前" in DEMO_BODY_ZH

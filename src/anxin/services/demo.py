"""Demo data for ``make run``: a demo institution, a template, and a fresh request."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from anxin.domain.subject import Subject
from anxin.keys import hash_api_key
from anxin.services import authorizations, templates
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef, add_institution
from anxin.storage.models import Institution

DEMO_BODY_ZH = """本人{{ subject_name }}（{{ subject_id_type }}号码：{{ subject_id_number }}）\
授权{{ institution }}，仅为{{ purpose }}之目的，查询、使用本人的{{ scope }}。

授权期限：自{{ valid_from }}起至{{ valid_until }}止；授权使用次数：{{ max_uses }}次。\
超出上述目的、范围、期限或次数的查询与使用，均未获本人授权。

本人已知悉：上述信息可能包含对本人不利的信息；本人可以随时通过安心授权撤销本授权，\
撤销自撤销时起生效，不影响撤销前已进行的查询的效力。

业务编号：{{ reference }}"""


@dataclass(frozen=True, slots=True)
class Demo:
    institution_id: str
    api_key: str
    signing_url: str
    authorization_id: str


def seed_demo(ctx: Context) -> Demo:
    """Idempotent: reuses the demo institution (its key kept in ``demo.json``)."""
    path = ctx.settings.data_dir / "demo.json"
    inst: InstitutionRef | None = None
    api_key = ""
    if path.is_file():
        saved = json.loads(path.read_text())
        with ctx.db.transaction() as s:
            row = s.scalars(select(Institution).where(
                Institution.id == saved["institution_id"],
                Institution.api_key_hash == hash_api_key(saved["api_key"]))).first()
            if row is not None:
                inst, api_key = InstitutionRef(row.id, row.name), saved["api_key"]
    if inst is None:
        new = add_institution(ctx, "示例银行 Demo Bank", "91110000100000000X")
        inst, api_key = InstitutionRef(new.id, new.name), new.api_key
        path.write_text(json.dumps({"institution_id": new.id, "api_key": new.api_key}))
        path.chmod(0o600)
    templates.put_template(ctx, inst, templates.TemplateSpec(
        code="credit-check", title="个人征信查询授权书", purpose="loan_approval",
        data_scope=("credit_report",), body=DEMO_BODY_ZH, locale="zh-CN", validity_days=30,
        max_uses=1))
    _, auth = authorizations.request_authorization(
        ctx, inst, authorizations.AuthorizationRequest(
            template="credit-check",
            subject=Subject.parse("张三", "resident_id", "11010519491231002X", "13800138000"),
            reference="DEMO-LOAN-0001"),
        idempotency_key=None, body_for_digest=None)
    return Demo(inst.id, api_key, auth["signing_url"], auth["id"])

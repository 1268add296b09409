"""The template lint: wording of a letter that contradicts the terms the product enforces.

A letter is what the person signs, so it must not promise what the platform does not do.
Every authorization can be revoked at any time (the portal's one-step revoke; revocation
is not retroactive), and every authorization has a finite number of uses (``max_uses``,
enforced at the gate). A template whose text says otherwise is refused with 422
``letter_contradicts_terms`` naming the ``rule``:

- ``irrevocable``: "irrevocable", "cannot be revoked", "不可撤销", "不得撤回"...;
- ``unlimited_uses``: "unlimited", "any number of times", "不限次数", "无限次"...

Example::

    check_wording("本人不可撤销地授权……", title="授权书", max_uses=1)  # raises
"""

from __future__ import annotations

import re

from anxin.error_codes import Code
from anxin.errors import ValidationFailed

_IRREVOCABLE = re.compile(
    r"irrevocabl|non-?revocable|(?:cannot|can ?not|may not|shall not|will not) be "
    r"(?:revoked|withdrawn|cancell?ed)"
    r"|(?:不可|不能|不得|无法|不会被?)(?:撤销|撤回|撤消|收回|取消)", re.IGNORECASE)
_UNLIMITED = re.compile(
    r"unlimited|without (?:any )?limit|any number of times|as (?:many|often) as"
    r"|不限次|次数不限|无限次|次数无限|不限制次数|无次数限制", re.IGNORECASE)


def _found(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(re.sub(r"\s+", " ", text))
    return m.group(0) if m else None


def check_wording(body: str, *, title: str = "", max_uses: int) -> None:
    """Raise :class:`ValidationFailed` (``letter_contradicts_terms``) when the body or
    title contradicts revocability or the finite ``max_uses``."""
    for text, field in ((body, "body"), (title, "title")):
        if (said := _found(_IRREVOCABLE, text)) is not None:
            raise ValidationFailed(
                f"the {field} says {said!r}, but every authorization can be revoked at any "
                "time: say that it is revocable (and that revocation is not retroactive)",
                field=field, code=Code.LETTER_CONTRADICTS_TERMS, rule="irrevocable")
        if max_uses >= 1 and (said := _found(_UNLIMITED, text)) is not None:
            raise ValidationFailed(
                f"the {field} says {said!r}, but the terms allow at most {max_uses} use(s): "
                "say the number (the max_uses placeholder)",
                field=field, code=Code.LETTER_CONTRADICTS_TERMS, rule="unlimited_uses")

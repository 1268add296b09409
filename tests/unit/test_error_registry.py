"""The error-code registry is the one source of codes, statuses and exit codes.

- docs/api.md's table is what the registry generates;
- no error code in ``src/`` is a string literal: every one is a ``Code`` member (scanned
  with ``ast``: ``code=`` arguments, error classes' ``code``, the gate's refusals, the
  problem helpers' code arguments, the routes' documented ``problems(...)``, rate
  limits' codes, comparisons with ``….code``);
- the codes and statuses the contract and the docs promised before the registry existed
  are unchanged;
- the edges take status, title and exit code from the registry.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import anxin
from anxin.domain.states import Action, InvalidTransition, Status
from anxin.error_codes import (
    BEGIN,
    END,
    EXIT_FAILURE,
    EXIT_UNREADABLE,
    REGISTRY,
    Code,
    markdown_table,
    render_doc,
    spec,
)
from anxin.errors import AnxinError, NotFound, TooManyRequests, ValidationFailed

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "anxin"
API_MD = ROOT / "docs" / "api.md"

# The table docs/api.md carried (and CONTRACT.md's examples) before the registry: these
# codes keep these statuses.
PROMISED: dict[int, tuple[str, ...]] = {
    400: ("malformed_body", "bad_request"),
    401: ("missing_api_key", "invalid_api_key", "institution_suspended"),
    403: ("purpose_mismatch", "scope_mismatch", "cross_site_request", "form_token_invalid"),
    404: ("authorization_not_found", "template_not_found", "document_not_found",
          "signing_link_invalid", "not_found"),
    405: ("method_not_allowed",),
    409: ("authorization_not_active", "authorization_exhausted", "authorization_expired",
          "authorization_revoked", "authorization_not_pending", "otp_locked"),
    413: ("payload_too_large",),
    422: ("validation_failed", "invalid_id_number", "invalid_mobile", "unknown_template",
          "unknown_purpose", "unknown_data_category", "validity_exceeds_template",
          "max_uses_exceeds_template", "policy_ceiling_exceeded", "idempotency_key_reused",
          "otp_invalid", "read_not_confirmed", "passkey_required", "realname_mismatch",
          "outbound_refused", "sms_country_not_allowed", "letter_too_long"),
    429: ("otp_rate_limited", "otp_send_limit", "sms_ip_limit", "sms_session_limit",
          "sms_global_limit"),
    503: ("database_unavailable",),
}

# Calls that take a ``code=`` keyword that is not an error code (a template's code).
NOT_ERROR_CODES = {"TemplateSpec", "Template", "Institution", "add_institution"}
# Helpers whose argument at this position (or ``code=``) is an error code.
PROBLEM_HELPERS = {"problem": 0, "problem_response": 1, "problem_or_page": 2,
                   "problem_for": 3, "UseRefused": 0}


# --- the registry and its documentation ---------------------------------------------------

def test_every_code_is_registered_once() -> None:
    assert set(REGISTRY) == set(Code)
    assert len({c.value for c in Code}) == len(Code)
    for code, entry in REGISTRY.items():
        assert code.value == code.value.lower()
        assert " " not in code.value
        assert 400 <= entry.status <= 599, code
        assert entry.exit in (EXIT_FAILURE, EXIT_UNREADABLE), code
        assert entry.meaning
        assert "\n" not in entry.meaning
        assert "|" not in entry.meaning
        assert entry.title


def test_the_promised_codes_keep_their_statuses() -> None:
    for status, codes in PROMISED.items():
        for code in codes:
            assert spec(code).status == status, code


def test_contract_examples_hold() -> None:
    contract = (ROOT.parent / "shared" / "CONTRACT.md")
    if contract.is_file():  # the lead's copy; the promised table above is its content
        text = contract.read_text(encoding="utf-8")
        assert '"status": 409, "code": "authorization_exhausted"' in text
        assert spec("authorization_exhausted").status == 409
        assert "422 `otp_invalid`" in text
        assert spec("otp_invalid").status == 422
        assert "413 problem+json (`code` = `payload_too_large`)" in text
        assert spec("payload_too_large").status == 413


def test_docs_api_md_is_what_the_registry_generates() -> None:
    text = API_MD.read_text(encoding="utf-8")
    assert BEGIN in text
    assert END in text
    assert render_doc(text) == text, (
        "docs/api.md's error-code table differs from anxin.error_codes: run "
        "`python -m anxin.error_codes`")
    for code in Code:
        assert f"| `{code.value}` |" in markdown_table()


def test_the_generator_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    from anxin.error_codes import main
    page = tmp_path / "api.md"
    page.write_text(f"before\n{BEGIN}\n| stale |\n{END}\nafter\n", encoding="utf-8")
    assert main(["--check", str(page)]) == 1
    assert main([str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"before\n{BEGIN}\n| status | code | exit | meaning |")
    assert text.endswith(f"{END}\nafter\n")
    assert main(["--check", str(page)]) == 0
    bare = tmp_path / "bare.md"
    bare.write_text("no markers\n", encoding="utf-8")
    assert main([str(bare)]) == 2
    assert bare.read_text(encoding="utf-8") == "no markers\n"


# --- no literal codes in src/ -----------------------------------------------------------

def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in SRC.rglob("*.py")}


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of every AnxinError subclass defined in src/ (by name, transitively)."""
    bases: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    found = {"AnxinError"}
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in found and any(p in found for p in parents):
                found.add(name)
                changed = True
    return found


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _problem(where: str, node: ast.expr) -> str | None:
    """Why ``node`` is not a registry code expression, or None. Literals are refused
    (member or not); ``Code.X`` must name a member; other expressions (a variable holding
    a code, ``exc.code``) are checked by mypy's types."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        verdict = "a registry member" if node.value in Code._value2member_map_ else \
            "NOT a registry member"
        return f"{where}: the literal {node.value!r} ({verdict}); use Code.X"
    if isinstance(node, ast.JoinedStr):
        return f"{where}: an f-string code; use Code(...) so that it is checked"
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "Code" and node.attr not in Code.__members__):
        return f"{where}: Code.{node.attr} is not a registry member"
    return None


def _scan() -> list[str]:
    trees = _trees()
    errors = _error_classes(trees)
    out: list[str] = []
    for path, tree in trees.items():
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for stmt in node.body:
                    target = (stmt.targets[0] if isinstance(stmt, ast.Assign) and stmt.targets
                              else stmt.target if isinstance(stmt, ast.AnnAssign) else None)
                    value = getattr(stmt, "value", None)
                    if (isinstance(target, ast.Name) and target.id == "code"
                            and value is not None):
                        out.append(_problem(f"{rel}:{stmt.lineno}", value) or "")
                        if not (isinstance(value, ast.Attribute)
                                and isinstance(value.value, ast.Name)
                                and value.value.id == "Code"):
                            out.append(f"{rel}:{stmt.lineno}: {node.name}.code is not Code.X")
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            for kw in node.keywords:
                if kw.arg == "code" and name not in NOT_ERROR_CODES:
                    out.append(_problem(where, kw.value) or "")
                if (kw.arg == "code" and name in NOT_ERROR_CODES
                        and isinstance(kw.value, ast.Constant)
                        and kw.value.value in Code._value2member_map_):
                    out.append(f"{where}: {name}(code={kw.value.value!r}) looks like an "
                               "error code")
            if name in PROBLEM_HELPERS and len(node.args) > PROBLEM_HELPERS[name]:
                out.append(_problem(where, node.args[PROBLEM_HELPERS[name]]) or "")
            if name == "problems":
                for kw in node.keywords:
                    if isinstance(kw.value, ast.List):
                        out += [_problem(where, e) or "" for e in kw.value.elts]
                    elif kw.arg is not None:
                        out.append(f"{where}: problems({kw.arg}=...) is not a list of codes")
            if name == "Limit" and len(node.args) > 3:
                out.append(_problem(where, node.args[3]) or "")
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):  # exc.code == "otp_locked"
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
                    out += [_problem(f"{rel}:{node.lineno}", s) or "" for s in sides
                            if isinstance(s, ast.Constant)]
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "Code" and node.attr not in Code.__members__
                    and not node.attr.startswith("_")):
                out.append(f"{rel}:{node.lineno}: Code.{node.attr} is not a registry member")
    return [line for line in out if line]


def test_no_error_code_in_src_is_a_literal() -> None:
    found = _scan()
    assert not found, "error codes must come from anxin.error_codes.Code:\n" + "\n".join(found)


def test_the_scan_sees_literals(tmp_path: Path) -> None:
    """The scanner itself: a literal, an unknown member and an f-string are each found."""
    sample = ('raise NotFound("x", code="authorization_not_found")\n'
              'raise Conflict("x", code="no_such_code")\n'
              'raise Conflict("x", code=Code.NO_SUCH)\n'
              'raise Conflict("x", code=f"authorization_{s}")\n'
              'raise Conflict("x", code=Code.OTP_LOCKED)\n')
    tree = ast.parse(sample)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    verdicts = [_problem("t", kw.value) for c in calls for kw in c.keywords]
    assert [v is not None for v in verdicts] == [True, True, True, True, False]
    assert "NOT a registry member" in str(verdicts[1])


# --- every error class and raised code is the registry's ----------------------------------

def _all_modules() -> None:
    for info in pkgutil.walk_packages(anxin.__path__, "anxin."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)


def _subclasses(cls: type[AnxinError]) -> list[type[AnxinError]]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def test_every_error_class_has_a_registry_code_and_its_status() -> None:
    _all_modules()
    classes = [AnxinError, *_subclasses(AnxinError)]
    assert len(classes) > 20
    for cls in classes:
        assert isinstance(cls.code, Code), cls
        own = vars(cls).get("status")
        if isinstance(own, int):  # a class that still names one must agree
            assert own == spec(cls.code).status, cls


def test_every_state_refusal_is_a_registry_code() -> None:
    for status in Status:
        for action in Action:
            try:
                exc = InvalidTransition(status, action)
            except ValueError as bad:  # Code(...) refused the name
                pytest.fail(f"{status} + {action}: {bad}")
            assert isinstance(exc.code, Code)
            assert exc.status == 409


# --- the edges read the registry ----------------------------------------------------------

def _problem_of(exc: AnxinError) -> tuple[int, dict[str, object], dict[str, str]]:
    from anxin.web.problems import anxin_error_handler
    response = asyncio.run(anxin_error_handler(None, exc))  # type: ignore[arg-type]
    return response.status_code, json.loads(response.body), dict(response.headers)


@pytest.mark.parametrize("code", list(Code))
def test_the_web_edge_answers_the_registry_status_and_title(code: Code) -> None:
    status, body, _ = _problem_of(AnxinError("something", code=code))
    assert status == spec(code).status == body["status"]
    assert body["code"] == code.value
    assert body["title"] == spec(code).title
    assert body["type"] == f"https://anxin.dev/problems/{code.value}"


def test_a_subclass_default_and_an_override_both_map_through_the_registry() -> None:
    assert _problem_of(NotFound("gone"))[0] == 404
    status, body, _ = _problem_of(ValidationFailed("bad", field="x", code=Code.OTP_INVALID,
                                                   tries_left=2))
    assert (status, body["code"], body["field"], body["tries_left"]) == (
        422, "otp_invalid", "x", 2)
    status, body, headers = _problem_of(TooManyRequests("slow", retry_after=2.5,
                                                        code=Code.SMS_IP_LIMIT))
    assert (status, body["retry_after"], headers["retry-after"]) == (429, 3, "3")


def test_a_status_that_disagrees_with_the_registry_is_refused() -> None:
    from anxin.web.edge_errors import problem_for
    from anxin.web.problems import problem, problem_response, problems
    with pytest.raises(AssertionError):
        problem(Code.OTP_INVALID, "x", status=400)
    with pytest.raises(AssertionError):
        problem_response(404, Code.OTP_INVALID, "Not found", "x")
    with pytest.raises(AssertionError):
        problem_for("", "/v1/x", 403, Code.OTP_INVALID, "Forbidden", "x")
    with pytest.raises(AssertionError):
        problems(s409=[Code.OTP_INVALID])
    exc = AnxinError("x", code=Code.OTP_LOCKED)
    assert exc.status == 409
    with pytest.raises(AttributeError):  # no error names its own status any more
        exc.status = 409  # type: ignore[misc]
    with pytest.raises(AttributeError):
        exc.title = "Conflict"  # type: ignore[misc]


def test_the_cli_exit_code_is_the_registry_s() -> None:
    import typer

    from anxin.cli import _fail
    for code, expected in ((Code.CONFIGURATION_ERROR, 1), (Code.UNREADABLE_INPUT, 3)):
        with pytest.raises(typer.Exit) as info:
            _fail(AnxinError("x", code=code))
        assert info.value.exit_code == expected == spec(code).exit


def test_the_registry_is_a_leaf_every_layer_may_import() -> None:
    """``anxin.error_codes`` and ``anxin.errors`` import no other part of the product (the
    libraries, the offline verifier and the edges all use them)."""
    import subprocess
    import sys
    probe = ("import sys, anxin.errors; "
             "print(sorted(m for m in sys.modules if m.startswith('anxin')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.replace("'", '"')) == ["anxin", "anxin.error_codes", "anxin.errors"]

"""Regenerate the low-level part of anxin-client from the product's OpenAPI document.

``make client`` runs it. The generated package, ``src/anxin_client/generated``, is
committed (README.md, "Generated code" says why); ``tests/journeys/test_python_client.py``
regenerates it from a live server's ``/openapi.json`` and fails when the result differs
from the committed files.

    python clients/python/regenerate.py            # this checkout's schema, built in-process
    python clients/python/regenerate.py --url http://localhost:8000/openapi.json
    python clients/python/regenerate.py --url URL --output /tmp/elsewhere

The generator is openapi-python-client at exactly the version pinned in the repository's
``pyproject.toml`` (the ``test`` extra); any other version is refused, since another
version writes other files. ``--schema-out FILE`` also writes the document the client was
generated from (the TypeScript client's input, ``make client``).

The document is made deployment-independent first (:func:`portable`): a client is built
once and talks to any deployment, so what one deployment's document says of itself is
dropped — its address (``servers``: the client takes ``base_url``) and its configured
vocabularies (the purpose codes and data categories of its ``anxin.toml``, enums marked
``x-anxin-vocabulary``: the client sends any string there and the server judges it, 422
``unknown_purpose``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = HERE / "openapi-python-client.yaml"
TARGET = HERE / "src" / "anxin_client" / "generated"
GENERATOR = "openapi-python-client"


def pinned_generator_version() -> str:
    """The ``openapi-python-client==X`` of the repository's pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'"openapi-python-client==([^"]+)"', text)
    if found is None:
        raise SystemExit("pyproject.toml does not pin openapi-python-client (==X.Y.Z)")
    return found.group(1)


def schema_in_process() -> dict[str, Any]:
    """The OpenAPI document of this checkout's app, built without serving it."""
    from anxin.config import load_settings
    from anxin.services.setup import initialise
    from anxin.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        initialise(load_settings(data_dir=data))
        app = create_app(load_settings(data_dir=data))
        return dict(app.openapi())


def schema_from(url: str) -> dict[str, Any]:
    import httpx

    answer = httpx.get(url, timeout=60)
    answer.raise_for_status()
    return dict(answer.json())


VOCABULARY_MARK = "x-anxin-vocabulary"


def portable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without what belongs to one deployment (see the module's docstring)."""
    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if not (k == "enum" and VOCABULARY_MARK in node)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    out = strip(schema)
    out.pop("servers", None)
    return dict(out)


def generate(schema: dict[str, Any], output: Path) -> None:
    """Write the generated package to ``output`` (replaced whole)."""
    want = pinned_generator_version()
    have = importlib.metadata.version(GENERATOR)
    if have != want:
        raise SystemExit(f"{GENERATOR} {have} is installed; the repository pins {want}")
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "openapi.json"
        spec.write_text(json.dumps(portable(schema), indent=1, ensure_ascii=False),
                        encoding="utf-8")
        out = Path(tmp) / "generated"
        # The post-hooks (ruff) are found next to this interpreter, as in the venv.
        env = {**os.environ, "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
        run = subprocess.run(
            [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec),
             "--meta", "none", "--output-path", str(out), "--config", str(CONFIG),
             "--fail-on-warning"],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=300, check=False)
        if run.returncode != 0 or not (out / "__init__.py").is_file():
            raise SystemExit(f"{GENERATOR} failed:\n{run.stdout}\n{run.stderr}")
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(out, output, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server's /openapi.json (default: in-process)")
    parser.add_argument("--output", type=Path, default=TARGET,
                        help=f"where the package goes (default: {TARGET.relative_to(ROOT)})")
    parser.add_argument("--schema-out", type=Path,
                        help="also write the (portable) OpenAPI document used here")
    args = parser.parse_args()
    schema = schema_from(args.url) if args.url else schema_in_process()
    generate(schema, args.output)
    if args.schema_out:
        args.schema_out.parent.mkdir(parents=True, exist_ok=True)
        args.schema_out.write_text(json.dumps(portable(schema), indent=1, ensure_ascii=False)
                                   + "\n", encoding="utf-8")
    print(f"generated {args.output}")


if __name__ == "__main__":
    main()

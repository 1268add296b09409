"""``anxin node``: bring a new node into a deployment, and show the secret it needs.

Mounted by the main CLI: ``app.add_typer(node_app, name="node")``.

    ANXIN_MASTER_KEY=… anxin node add --data-dir DIR --database-url URL
    anxin node add --data-dir DIR --database-url URL --master-key-file FILE
    anxin node secret [--data-dir DIR]        the master secret (base64), for a new node

A deployment's key material lives in its database, sealed under the master secret
(:mod:`anxin.services.deployment_keys`); the secret is the one thing a new node needs.
It is read from ``ANXIN_MASTER_KEY`` or a file, never from the command line (which other
local users can read in the process list).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from anxin.config import load_settings
from anxin.errors import AnxinError, ConfigurationError

node_app = typer.Typer(help="Nodes of one deployment (shared database and key material).",
                       no_args_is_help=True)

MASTER_ENV = "ANXIN_MASTER_KEY"


def _fail(exc: AnxinError) -> None:
    typer.echo(f"error: {exc.detail} [{exc.code}]", err=True)
    raise typer.Exit(exc.spec.exit)


def _master_secret(master_key_file: Path | None) -> bytes:
    from anxin.services.node_add import parse_master_secret
    env = os.environ.get(MASTER_ENV)
    if master_key_file is not None and env:
        raise ConfigurationError(f"give the master secret once: {MASTER_ENV} or "
                                 "--master-key-file, not both")
    if master_key_file is not None:
        return parse_master_secret(master_key_file.read_text(encoding="ascii",
                                                             errors="replace"),
                                   str(master_key_file))
    if not env:
        raise ConfigurationError(f"no master secret: set {MASTER_ENV} (base64, from `anxin "
                                 "node secret` on a node of the deployment) or pass "
                                 "--master-key-file FILE")
    return parse_master_secret(env, MASTER_ENV)


@node_app.command("add")
def add(data_dir: Annotated[Path, typer.Option(
            "--data-dir", help="The new node's data directory (created; must hold no "
                               "anxin.toml or keys/ yet).")],
        database_url: Annotated[str, typer.Option(
            "--database-url", help="The deployment's database (the URL its nodes use), "
                                   "written to the node's anxin.toml.")],
        master_key_file: Annotated[Path | None, typer.Option(
            "--master-key-file", exists=True, dir_okay=False,
            help=f"A file holding the master secret in base64 (else {MASTER_ENV}).")] = None,
        ) -> None:
    """Make DIR a node of the deployment whose database is URL: writes anxin.toml and
    the deployment's keys from the database (generates none). The secret is the output of
    `anxin node secret`, in ANXIN_MASTER_KEY or --master-key-file; private keys are
    encrypted at rest with this node's ANXIN_KEY_PASSPHRASE, as `anxin init` does. Then:
    `anxin serve --data-dir DIR` (set ANXIN_BASE_URL to the address the load balancer
    serves: every node has the same public URL). Exit 1 with a message naming the cause
    for a wrong secret, a database with no deployment, or a DIR that has keys."""
    from anxin.services.node_add import add_node
    try:
        master = _master_secret(master_key_file)
        added = add_node(data_dir, database_url, master=master,
                         passphrase=os.environ.get("ANXIN_KEY_PASSPHRASE") or None)
    except AnxinError as exc:
        _fail(exc)
    ident = added.identity
    typer.echo(f"node added in {added.data_dir}: wrote anxin.toml and {len(added.files)} "
               f"key files under {added.data_dir / 'keys'} (none generated)")
    for name in added.files:
        typer.echo(f"  keys/{name}")
    typer.echo(f"deployment: root certificate SHA-256 {ident.root_sha256}\n"
               f"            ledger key id {ident.ledger_key_id}\n"
               f"            signature profile {ident.profile}\n"
               f"            ledger origin {added.ledger_origin or '(not fixed yet)'}")
    typer.echo(f"next: anxin serve --data-dir {added.data_dir}")


@node_app.command("secret")
def secret(data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="ANXIN_DATA_DIR",
        help="Data directory (default ./anxin-data).")] = None) -> None:
    """Print the deployment's master secret (base64) for `anxin node add`. Whoever holds
    it and the database reads every personal field and every key: pass it only over a
    protected channel, never into logs or shell history."""
    import base64

    from anxin.keys import read_master_secret
    settings = load_settings(data_dir=data_dir)
    path = settings.keys_dir / "master.key"
    if not path.is_file():
        _fail(ConfigurationError(f"{settings.data_dir} is not initialised: no {path}"))
    try:
        master = read_master_secret(path, settings.key_passphrase)
    except AnxinError as exc:
        _fail(exc)
    typer.echo("WARNING: this is the deployment's master secret: with the database it "
               "opens every key and every encrypted field. Give it to a new node only "
               f"(`{MASTER_ENV}=… anxin node add …`) over a protected channel.", err=True)
    typer.echo(base64.b64encode(master).decode())

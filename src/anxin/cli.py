"""The ``anxin`` command. Only this edge prints or exits; an error's exit status is its
code's, from the registry (:mod:`anxin.error_codes`).

    anxin init [--data-dir DIR] [--root-key PATH]
    anxin serve [--host H] [--port P] [--data-dir DIR] [--demo]
    anxin institution add NAME [--code USCC] [--json]
    anxin institution test-key ID_OR_CODE [--json]
    anxin verify FILE [--trust ROOT.crt]... [--trust-fingerprint SHA256]... [--json]
                 [--report OUT.pdf] [--xml OUT.xml] [--ledger URL|DIR]
    anxin ledger verify [--data-dir DIR]
    anxin node add --data-dir DIR --database-url URL [--master-key-file F]
    anxin node secret [--data-dir DIR]
    anxin archive renew [--data-dir DIR] [--due]
    anxin archive renew FILE.zip --server URL [--api-key KEY]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from anxin.config import Settings, load_settings
from anxin.errors import AnxinError
from anxin.pki.signature_profile import Profile

if TYPE_CHECKING:
    from anxin.evidence.ledger_check import LogSource
    from anxin.evidence.report import Report

app = typer.Typer(help="Anxin: electronic authorization of personal-data use.",
                  no_args_is_help=True, add_completion=False)
institution_app = typer.Typer(help="Manage institutions.", no_args_is_help=True)
app.add_typer(institution_app, name="institution")
archive_app = typer.Typer(help="Keep signed letters verifiable for ever (archive timestamps).",
                          no_args_is_help=True)
app.add_typer(archive_app, name="archive")

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="ANXIN_DATA_DIR", help="Data directory (default ./anxin-data).")]


def _settings(data_dir: Path | None, **overrides: object) -> Settings:
    return load_settings(data_dir=data_dir, **overrides)


def _fail(exc: AnxinError) -> None:
    """Print the error and exit with its code's exit status (the registry's)."""
    typer.echo(f"error: {exc.detail} [{exc.code}]", err=True)
    raise typer.Exit(exc.spec.exit)


def _ask_root_passphrase(settings: Settings) -> Settings:
    """At the first `anxin init` in a terminal, ask for the root key's passphrase (empty:
    in clear under offline/). Never without a terminal: `make run`, CI and scripts set
    ANXIN_ROOT_KEY_PASSPHRASE or get the offline file and its warning."""
    if (settings.root_key_passphrase is not None or not sys.stdin.isatty()
            or (settings.keys_dir / "root.crt").exists()):
        return settings
    passphrase = typer.prompt(
        "Passphrase for the root CA key (empty: store it unencrypted under offline/)",
        default="", show_default=False, hide_input=True, confirmation_prompt=True)
    return settings.model_copy(update={"root_key_passphrase": passphrase or None})


def _warn_storage(settings: Settings) -> None:
    from anxin.services.setup import storage_warnings
    for line in storage_warnings(settings):
        typer.echo(line, err=True)


@app.command()
def init(data_dir: DataDir = None,
         root_key: Annotated[Path | None, typer.Option(
             "--root-key", exists=True, dir_okay=False,
             help="The root CA key file, to finish a PKI that lacks its issuing CA or root "
                  "CRL (default: <data dir>/offline/root.key if present).")] = None,
         profile: Annotated[Profile | None, typer.Option(
             "--profile",
             help="The signature profile, fixed for the data directory's life: intl "
                  "(ECDSA P-256/SHA-256, the default), sm (SM2/SM3) or dual (both).")] = None,
         ) -> None:
    """Create the configuration, the database and the key material (idempotent). The root
    CA key goes to <data dir>/offline/root.key, encrypted with ANXIN_ROOT_KEY_PASSPHRASE
    when set (asked for in a terminal): move it off the machine. The signature profile is
    fixed here: asking an existing data directory for another one fails, naming both."""
    from anxin.pki.rootkey import offline_root_key_path
    from anxin.services.setup import initialise
    settings = _ask_root_passphrase(_settings(
        data_dir, profile=profile.value if profile else None))
    if root_key is None and offline_root_key_path(settings).is_file():
        root_key = offline_root_key_path(settings)
    try:
        steps = initialise(settings, root_key_path=root_key)
    except AnxinError as exc:
        _fail(exc)
    made = [s.name for s in steps if s.created]
    if made:
        typer.echo(f"initialised {settings.data_dir}: created {', '.join(made)}")
    else:
        typer.echo(f"{settings.data_dir} is already initialised: nothing changed")
    _warn_storage(settings)


@app.command()
def serve(data_dir: DataDir = None,
          host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
          port: Annotated[int | None, typer.Option(help="Port.")] = None,
          demo: Annotated[bool, typer.Option(help="Seed and print demo data.")] = False,
          workers: Annotated[int, typer.Option(help="Worker processes.")] = 1) -> None:
    """Initialise if needed (never asking anything), then serve HTTP. Never opens the
    root CA key: it serves with the issuing CA, TSA, seal and ledger keys only."""
    import uvicorn

    from anxin.services.setup import initialise
    settings = _settings(data_dir, host=host, port=port)
    try:
        made = [s.name for s in initialise(settings) if s.created]
    except AnxinError as exc:
        _fail(exc)
    if made:
        typer.echo(f"initialised {settings.data_dir}: created {', '.join(made)}")
        settings = _settings(data_dir, host=host, port=port)  # now with the new anxin.toml
    _warn_storage(settings)
    if demo:
        from anxin.bootstrap import build_services
        from anxin.services.demo import seed_demo
        ctx = build_services(settings)
        try:
            d = seed_demo(ctx)
        finally:
            ctx.close()
        typer.echo("\n  Demo institution API key:  " + d.api_key)
        typer.echo("  Demo signing link:         " + d.signing_url)
        typer.echo("  API reference:             " + settings.effective_base_url + "/docs\n")
    # One ASGI factory per worker process; settings travel through the environment.
    import os
    os.environ["ANXIN_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["ANXIN_PORT"] = str(settings.port)
    if settings.base_url:
        os.environ["ANXIN_BASE_URL"] = settings.base_url
    uvicorn.run("anxin.web.asgi:app", factory=True, host=settings.host, port=settings.port,
                workers=workers, log_level="info", access_log=False)


@institution_app.command("add")
def institution_add(name: str, data_dir: DataDir = None,
                    code: Annotated[str | None, typer.Option(
                        help="Unified social credit code (18 characters).")] = None,
                    as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Register an institution and print its id, a new API key and its default webhook
    secret (both shown once)."""
    from anxin.bootstrap import build_services
    from anxin.services.institutions import add_institution
    settings = _settings(data_dir)
    try:
        ctx = build_services(settings)
        try:
            new = add_institution(ctx, name, code)
        finally:
            ctx.close()
    except AnxinError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"id": new.id, "api_key": new.api_key,
                               "webhook_secret": new.webhook_secret,
                               "test_api_key": new.test_api_key}))
    else:
        typer.echo(f"institution {new.id} ({new.name})\nAPI key (shown once): {new.api_key}"
                   f"\nwebhook secret (shown once): {new.webhook_secret}"
                   f"\nTest API key (test mode, shown once): {new.test_api_key}")


@institution_app.command("test-key")
def institution_test_key(institution: Annotated[str, typer.Argument(
                             metavar="ID_OR_CODE",
                             help="The institution's id or unified social credit code.")],
                         data_dir: DataDir = None,
                         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Issue the institution a new test API key (anx_test_…, shown once); the previous
    test key stops working. Test mode: docs/api.md."""
    from anxin.bootstrap import build_services
    from anxin.services.institutions import find_institution, issue_test_key
    settings = _settings(data_dir)
    try:
        ctx = build_services(settings)
        try:
            inst_id = find_institution(ctx, institution)
            key = issue_test_key(ctx, inst_id)
        finally:
            ctx.close()
    except AnxinError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"id": inst_id, "test_api_key": key}))
    else:
        typer.echo(f"institution {inst_id}\nTest API key (shown once): {key}")


@app.command()
def verify(file: Path,
           trust: Annotated[list[Path] | None, typer.Option(
               metavar="ROOT.crt",
               help="Root certificate to trust, obtained from the operator's published "
                    "source (repeatable).")] = None,
           trust_fingerprint: Annotated[list[str] | None, typer.Option(
               "--trust-fingerprint", metavar="SHA256",
               help="Trust the root whose SHA-256 (of its DER) is this; the certificate "
                    "may come from the input (repeatable).")] = None,
           as_json: Annotated[bool, typer.Option("--json")] = False,
           report: Annotated[Path | None, typer.Option(help="Write the PDF report.")] = None,
           xml: Annotated[Path | None, typer.Option(
               "--xml", metavar="OUT.xml", help="Write the ETSI TS 119 102-2 XML report.")] = None,
           data_dir: DataDir = None,
           ledger: Annotated[str | None, typer.Option(
               help="Also check the package's ledger entries against the log: its base "
                    "URL (GET <URL>/ledger/...) or a data directory.")] = None) -> None:
    """Verify a signed letter (PDF) or an evidence package (ZIP), offline.
    Without --trust or --trust-fingerprint, the local data directory's root is trusted;
    outside a data directory, trust is not judged (INDETERMINATE).
    Exit 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 unreadable input."""
    import logging

    from anxin.evidence.offline import run_verify
    # pyHanko logs every unprovable path with a traceback; the report says it plainly.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    settings = _settings(data_dir)
    code = run_verify(file, trust=trust or [], fingerprints=trust_fingerprint or [],
                      settings=settings, as_json=as_json, report=report, xml=xml,
                      echo=typer.echo, ledger=ledger, log_checks=_log_checks)
    raise typer.Exit(code)


def _log_checks(report: Report, data: bytes, where: str) -> None:
    """``--ledger WHERE``: the log's checks, a data directory read through storage."""
    from anxin.evidence.ledger_check import add_log_checks
    add_log_checks(report, data, where, open_directory=_storage_log)


def _storage_log(data_dir: Path) -> LogSource:
    """``--ledger DIR``: the data directory's log, read through storage."""
    from anxin.services.ledger import StorageLog
    return StorageLog(data_dir)


@archive_app.command("renew")
def archive_renew(
        file: Annotated[Path | None, typer.Argument(
            help="An evidence package held elsewhere, to refresh from --server.")] = None,
        server: Annotated[str | None, typer.Option(
            help="Base URL of the Anxin service that made the package.")] = None,
        api_key: Annotated[str | None, typer.Option(
            envvar="ANXIN_API_KEY", help="The institution's API key (for --server).")] = None,
        due: Annotated[bool, typer.Option(
            help="Only letters whose newest archive timestamp is not by the current TSA.")]
        = False,
        data_dir: DataDir = None) -> None:
    """Add a new document timestamp to every stored letter (keeping the old ones), or,
    with FILE and --server, replace a held package by the current one of the same
    authorization after checking that it extends it."""
    if file is not None:
        if not server:
            typer.echo("error: FILE needs --server URL (the service that made it)", err=True)
            raise typer.Exit(2)
        from anxin.evidence.renew_remote import refresh_package
        try:
            line = refresh_package(file, server, api_key)
        except AnxinError as exc:
            _fail(exc)
        typer.echo(line)
        return
    from anxin.bootstrap import build_services
    from anxin.services.archive import renew_archive, tsa_expiry_warning
    try:
        ctx = build_services(_settings(data_dir))
    except AnxinError as exc:
        _fail(exc)
    try:
        warning = tsa_expiry_warning(ctx)
        if warning:
            typer.echo(f"warning: {warning}", err=True)
        result = renew_archive(ctx, due_only=due)
    finally:
        ctx.close()
    typer.echo(f"renewed {result.renewed} letter(s), skipped {result.skipped}, "
               f"failed {len(result.failed)}")
    for auth_id, reason in result.failed:
        typer.echo(f"  {auth_id}: {reason}", err=True)
    if result.failed:
        raise typer.Exit(1)


def _mount_optional() -> None:
    from anxin.commands.keys import keys_app
    app.add_typer(keys_app, name="keys", help="The platform's keys and certificates.")
    from anxin.commands.ledger import ledger_app
    from anxin.commands.node import node_app
    app.add_typer(node_app, name="node", help="Nodes of one deployment: `node add`, "
                  "`node secret`.")
    from anxin.console.cli import operator_app
    app.add_typer(operator_app, name="operator", help="Operator accounts of the console.")
    app.add_typer(ledger_app, name="ledger", help="The tamper-evident ledger.")


_mount_optional()


def main() -> None:
    try:
        app()
    except AnxinError as exc:
        typer.echo(f"error: {exc.detail} [{exc.code}]", err=True)
        sys.exit(exc.spec.exit)

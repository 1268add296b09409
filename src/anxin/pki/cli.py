"""``anxin keys``: inspect and rotate the platform's key material.

Mounted by the main CLI: ``app.add_typer(keys_app, name="keys")``.

    anxin keys show   [--data-dir DIR]   certificates, key ids and validity
    anxin keys rotate [--data-dir DIR]   new issuing CA + TSA under the same root
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from anxin.config import load_settings
from anxin.errors import AnxinError
from anxin.pki.authority import load_pki, subject_key_id
from anxin.pki.rotation import rotate_online_keys
from anxin.storage.database import Database

keys_app = typer.Typer(help="Inspect and rotate the PKI (root, issuing CA, TSA, seal).",
                       no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="ANXIN_DATA_DIR", help="Data directory (default ./anxin-data).")]


def _describe(label: str, cert: x509.Certificate) -> str:
    return (f"{label:8} {cert.subject.rfc4514_string()}\n"
            f"         key id {subject_key_id(cert)}  serial {cert.serial_number:x}\n"
            f"         valid {cert.not_valid_before_utc:%Y-%m-%d} .. "
            f"{cert.not_valid_after_utc:%Y-%m-%d}")


@keys_app.command("show")
def show(data_dir: DataDir = None) -> None:
    """Print the current certificates and the archived generations."""
    settings = load_settings(data_dir=data_dir)
    try:
        pki = load_pki(settings)
    except AnxinError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    for label, cert in (("root", pki.root_cert), ("issuing", pki.issuing_cert),
                        ("tsa", pki.tsa_cert), ("seal", pki.seal_cert)):
        typer.echo(_describe(label, cert))
    typer.echo(f"archived certificates: {len(pki.archived_certs)}")


@keys_app.command("rotate")
def rotate(data_dir: DataDir = None,
           yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]
           = False,
           leaves: Annotated[bool, typer.Option(
               "--leaves", help="Only a new TSA key and a re-certified seal, under the "
               "current issuing CA (no root key needed).")] = False) -> None:
    """Retire the issuing CA and TSA keys and issue new ones under the same root.

    Earlier signatures and time-stamps stay valid: their certificates are archived and the
    retiring CA signs a last CRL. Restart running servers afterwards, then run
    `anxin archive renew` so that every letter gets a document timestamp by the new TSA.
    """
    settings = load_settings(data_dir=data_dir)
    if not yes:
        what = "TSA key" if leaves else "issuing CA and TSA keys"
        typer.confirm(f"Rotate the {what} now?", abort=True)
    db = Database.connect(settings.effective_database_url)
    try:
        result = rotate_online_keys(settings, db, leaves_only=leaves)
    except AnxinError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if leaves:
        typer.echo(f"new TSA {result.new_tsa_key_id[:8]} under issuing CA "
                   f"{result.new_issuing_key_id[:8]}; seal re-certified")
    else:
        typer.echo(f"issuing CA {result.old_issuing_key_id[:8]} retired -> "
                   f"{result.new_issuing_key_id[:8]}; new TSA {result.new_tsa_key_id[:8]}")
    typer.echo(f"archived in {result.archive_dir}")
    typer.echo("restart running `anxin serve` processes to use the new keys, then run "
               "`anxin archive renew`")

"""``anxin keys``: inspect and rotate the platform's key material.

Mounted by the main CLI: ``app.add_typer(keys_app, name="keys")``.

    anxin keys show   [--data-dir DIR]                    certificates, key ids, validity
    anxin keys rotate --root-key PATH [--data-dir DIR]    new issuing CA + TSA, same root
    anxin keys rotate --leaves [--data-dir DIR]           new TSA, re-certified seal
    anxin keys root-crl --root-key PATH [--data-dir DIR]  re-sign the root CRL

The root key is offline (:mod:`anxin.pki.rootkey`): root operations take its file with
``--root-key``; an encrypted one opens with ``ANXIN_ROOT_KEY_PASSPHRASE`` (asked for when
unset and a terminal is attached).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from anxin.config import Settings, load_settings
from anxin.errors import AnxinError
from anxin.pki.authority import load_pki, subject_key_id
from anxin.pki.keyfiles import is_encrypted_key
from anxin.services.key_rotation import resign_root_crl, rotate_online_keys
from anxin.storage.database import Database

keys_app = typer.Typer(help="Inspect and rotate the PKI (root, issuing CA, TSA, seal).",
                       no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="ANXIN_DATA_DIR", help="Data directory (default ./anxin-data).")]


RootKey = Annotated[Path | None, typer.Option(
    "--root-key", exists=True, dir_okay=False,
    help="The offline root CA key file (PEM; encrypted ones open with "
         "ANXIN_ROOT_KEY_PASSPHRASE).")]


def _with_root_passphrase(settings: Settings, root_key: Path) -> Settings:
    """Ask for the root key's passphrase when it is encrypted, unset, and a terminal is
    attached (never otherwise: scripts set ANXIN_ROOT_KEY_PASSPHRASE)."""
    if settings.root_key_passphrase or not sys.stdin.isatty() or not is_encrypted_key(root_key):
        return settings
    passphrase = typer.prompt(f"Passphrase of {root_key}", hide_input=True)
    return settings.model_copy(update={"root_key_passphrase": passphrase})


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
           root_key: RootKey = None,
           yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]
           = False,
           leaves: Annotated[bool, typer.Option(
               "--leaves", help="Only a new TSA key and a re-certified seal, under the "
               "current issuing CA (no root key needed).")] = False) -> None:
    """Retire the issuing CA and TSA keys and issue new ones under the same root (with
    --root-key, the offline root CA key file), or only the TSA key (--leaves).

    Earlier signatures and time-stamps stay valid: their certificates are archived and the
    retiring CA signs a last CRL. Restart running servers afterwards, then run
    `anxin archive renew` so that every letter gets a document timestamp by the new TSA.
    """
    settings = load_settings(data_dir=data_dir)
    if not leaves and root_key is None:
        typer.echo("error: a full rotation signs a new issuing CA with the root CA key: "
                   "pass --root-key PATH (or --leaves for the TSA only)", err=True)
        raise typer.Exit(2)
    if root_key is not None and not leaves:
        settings = _with_root_passphrase(settings, root_key)
    if not yes:
        what = "TSA key" if leaves else "issuing CA and TSA keys"
        typer.confirm(f"Rotate the {what} now?", abort=True)
    db = Database.connect(settings.effective_database_url)
    try:
        result = rotate_online_keys(settings, db, leaves_only=leaves,
                                    root_key_path=None if leaves else root_key)
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
    typer.echo("stored in the database as the deployment's key material: restart every "
               "node's `anxin serve` (each takes the new keys at start), then run "
               "`anxin archive renew`")


@keys_app.command("root-crl")
def root_crl(root_key: RootKey = None, data_dir: DataDir = None) -> None:
    """Re-sign the root CRL with the offline root CA key (before its nextUpdate); restart
    running servers afterwards."""
    if root_key is None:
        typer.echo("error: re-signing the root CRL needs the root CA key: pass "
                   "--root-key PATH", err=True)
        raise typer.Exit(2)
    settings = _with_root_passphrase(load_settings(data_dir=data_dir), root_key)
    db = Database.connect(settings.effective_database_url)
    try:
        next_update = resign_root_crl(settings, root_key, db)
    except AnxinError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    typer.echo(f"root CRL re-signed; next update {next_update:%Y-%m-%d}. Restart running "
               "`anxin serve` processes to publish it.")

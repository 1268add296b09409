"""``anxin ledger verify``: recompute the whole log and check every signed checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from anxin.config import load_settings
from anxin.ledger.checkpoint import load_note_signer
from anxin.services.ledger import audit_ledger, read_origin
from anxin.storage.database import Database

ledger_app = typer.Typer(help="The tamper-evident ledger.", no_args_is_help=True)


@ledger_app.command("verify")
def verify(data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="ANXIN_DATA_DIR", help="Data directory.")] = None) -> None:
    """Recompute every leaf, node and checkpoint root from storage; exit 0 only if all
    agree with the signed checkpoints."""
    settings = load_settings(data_dir=data_dir)
    db = Database.connect(settings.effective_database_url)
    try:
        # The origin is the log's own (stored when it was created), never one derived
        # from this shell's ANXIN_BASE_URL: a verifier elsewhere checks the same log.
        origin = read_origin(db)
        if origin is None:
            typer.echo("ledger FAILED: the log has no origin (run `anxin init`)", err=True)
            raise typer.Exit(1)
        typer.echo(f"ledger origin: {origin}")
        report = audit_ledger(db, load_note_signer(settings, origin).verifier_key,
                              origin=origin)
    finally:
        db.dispose()
    if report.ok:
        typer.echo(f"ledger OK: {report.size} entries, {report.checkpoints} signed "
                   f"checkpoint(s) agree")
        return
    if report.first_bad_index is not None:
        typer.echo(f"ledger FAILED: first bad index {report.first_bad_index}", err=True)
    else:
        typer.echo("ledger FAILED", err=True)
    for p in report.problems:
        typer.echo(f"  - {p}", err=True)
    raise typer.Exit(1)

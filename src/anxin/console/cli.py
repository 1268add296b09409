"""``anxin operator add USERNAME``: create a console operator and print the TOTP
provisioning URI (scan it with an authenticator app). Mounted on the main ``anxin`` app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from anxin.config import load_settings
from anxin.errors import AnxinError

operator_app = typer.Typer(help="Manage console operators.", no_args_is_help=True)


@operator_app.callback()
def operators() -> None:
    """Manage console operators (password with argon2, TOTP second factor)."""

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="ANXIN_DATA_DIR", help="Data directory (default ./anxin-data).")]


@operator_app.command("add")
def operator_add(username: str, data_dir: DataDir = None,
                 password: Annotated[str, typer.Option(
                     prompt=True, hide_input=True, confirmation_prompt=True,
                     envvar="ANXIN_OPERATOR_PASSWORD",
                     help="At least 12 characters (prompted when not given).")] = "") -> None:
    """Create an operator; prints the otpauth:// URI of the second factor (shown once)."""
    from anxin.bootstrap import build_services
    from anxin.console.operators import add_operator
    settings = load_settings(data_dir=data_dir)
    try:
        ctx = build_services(settings)
        try:
            new = add_operator(ctx, username, password)
        finally:
            ctx.close()
    except AnxinError as exc:
        typer.echo(f"error: {exc.detail} [{exc.code}]", err=True)
        raise typer.Exit(exc.spec.exit) from None
    typer.echo(f"operator {new.username} ({new.id}) created.")
    typer.echo("Add this to an authenticator app (shown once):")
    typer.echo(new.totp_uri)

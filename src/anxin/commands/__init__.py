"""The CLI sub-commands (one Typer app a module), mounted by :mod:`anxin.cli`."""

"""``python -m anxin`` runs the command-line interface."""

from anxin.cli import main

main()

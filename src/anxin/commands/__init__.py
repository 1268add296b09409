"""Command-line edges: the typer sub-apps that the main CLI (:mod:`anxin.cli`) mounts.

Each module parses options, calls a use case of :mod:`anxin.services` or a library, and
turns its errors into messages and exit codes; no library imports from here.
"""

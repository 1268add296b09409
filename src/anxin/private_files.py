"""Files only the service's own user may read: keys, the database, the SMS outbox, the
configuration (issue 12 item 14).

Each is created with its final mode in the ``open`` call (0600; folders 0700), never
written first and narrowed afterwards, so that no other local user can read it in
between, whatever the umask.

>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> create_private_file(d / "k", b"secret")
>>> oct((d / "k").stat().st_mode & 0o777)
'0o600'
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700; an existing folder is narrowed."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def create_private_file(path: Path, data: bytes) -> None:
    """Write a new 0600 file; refuses to replace an existing one (``FileExistsError``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def touch_private(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 (created empty if missing)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)


def narrow(path: Path) -> None:
    """Give an existing file mode 0600 (files made by earlier versions)."""
    if path.is_file() and path.stat().st_mode & 0o077:
        os.chmod(path, FILE_MODE)

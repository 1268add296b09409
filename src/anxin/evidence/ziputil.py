"""Reading an untrusted ZIP safely: size, count, ratio and name limits.

Raises :class:`UnreadableInput` (exit 3 / HTTP 422) for anything that is not a plain,
reasonably sized archive of plain relative names.
"""

from __future__ import annotations

import io
import zipfile

from anxin.error_codes import Code
from anxin.errors import ValidationFailed

MAX_MEMBERS = 2000
MAX_MEMBER_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 128 * 1024 * 1024
MAX_RATIO = 200


class UnreadableInput(ValidationFailed):
    code = Code.UNREADABLE_INPUT


def _check_name(name: str) -> None:
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or ".." in parts
            or ":" in parts[0] or any(p == "" for p in parts[:-1])):
        raise UnreadableInput(f"unsafe member name in the package: {name!r}")


def read_zip(data: bytes) -> dict[str, bytes]:
    """All members of the archive, by name, or raise UnreadableInput."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnreadableInput("not a ZIP archive") from None
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnreadableInput(f"more than {MAX_MEMBERS} files in the package")
    total = 0
    out: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        _check_name(info.filename)
        if info.filename in out:
            raise UnreadableInput(f"duplicate member {info.filename!r}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise UnreadableInput(f"{info.filename} is larger than {MAX_MEMBER_BYTES} bytes")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise UnreadableInput(f"{info.filename} expands suspiciously (zip bomb?)")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnreadableInput("the package expands beyond the size limit")
        try:
            with zf.open(info) as fh:
                content = fh.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
            raise UnreadableInput(f"{info.filename} cannot be read: {exc}") from None
        if len(content) > MAX_MEMBER_BYTES:
            raise UnreadableInput(f"{info.filename} is larger than declared")
        out[info.filename] = content
    return out

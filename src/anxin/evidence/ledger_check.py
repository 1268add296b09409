"""``anxin verify FILE --ledger URL|DIR``: the package's ledger entries against the log.

A package's hash chain (:mod:`anxin.evidence.ledger_completeness`) shows that no entry
but the last was left out; only the log can show that the last one *is* the last. With
``--ledger`` the verifier asks the log itself (a public ``/ledger`` endpoint, or a data
directory read through storage, opened by the caller's ``open_directory``) and adds two
checks:

- ``ledger_log_consistency``: the log's verifier key is the package's (the key the
  package's seal vouches for), the log's current checkpoint is signed by it, and the
  package's checkpoint is a prefix of it (an RFC 9162 consistency proof from the log):
  the package's entries are in the log everyone else sees, not in a fork of it.
- ``ledger_log_tail``: every log entry after the package's last entry of this
  authorization, up to the log's checkpoint, is read (paged, at most ``max_scan``) and
  proven to be the log's own (together they recompute the signed root, from the
  inclusion proof of the package's last entry); none may belong to this authorization.
  One at an index the package's checkpoint covers was left out: FAILED. One after it is
  newer than the package: INDETERMINATE (the package is not the current state).

Without ``--ledger`` nothing here runs: the verifier stays offline.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from anxin import untrusted_json
from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    HASH_FAILURE,
    INDETERMINATE,
    PASSED,
    SIG_CRYPTO_FAILURE,
    TRY_LATER,
    Report,
)
from anxin.ledger.checkpoint import Checkpoint, verify_checkpoint
from anxin.ledger.merkle import (
    append_nodes,
    frontier,
    largest_power_of_two_below,
    leaf_hash,
    node_hash,
    root_from_edge,
    verify_consistency,
)

MAX_SCAN = 200_000
PAGE = 1000


class LogUnavailable(AnxinError):
    code = Code.LEDGER_UNAVAILABLE


class LogSource(Protocol):
    label: str

    def checkpoint(self) -> str: ...
    def verifier_key(self) -> str: ...
    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]: ...
    def consistency(self, first: int, second: int) -> list[bytes]: ...
    def inclusion(self, index: int, size: int) -> list[bytes]: ...
    def close(self) -> None: ...


class HttpLog:
    """The public endpoints of CONTRACT §7 under ``base`` (``<base>/ledger/...``)."""

    def __init__(self, base: str, *, timeout: float = 15.0) -> None:
        import httpx
        self.label = base.rstrip("/")
        self._client = httpx.Client(base_url=self.label, timeout=timeout,
                                    follow_redirects=False)

    def _get(self, path: str, **params: int) -> Any:
        import httpx
        try:
            r = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise LogUnavailable(f"{self.label}{path}: {exc}") from None
        if r.status_code != 200:
            raise LogUnavailable(f"{self.label}{path} answered {r.status_code}")
        return r

    def checkpoint(self) -> str:
        return str(self._get("/ledger/checkpoint").text)

    def verifier_key(self) -> str:
        return str(self._get("/ledger/key").text).strip()

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        body = self._get("/ledger/entries", start=start, end=end).json()
        return [(int(e["index"]), base64.b64decode(e["data"], validate=True))
                for e in body["entries"]]

    def _hashes(self, path: str, **params: int) -> list[bytes]:
        return [base64.b64decode(h, validate=True)
                for h in self._get(path, **params).json()["hashes"]]

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self._hashes("/ledger/proof/consistency", first=first, second=second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._hashes("/ledger/proof/inclusion", index=index, size=size)

    def close(self) -> None:
        self._client.close()


DirectoryLog = Callable[[Path], LogSource]
"""Opens a data directory's log (reading it needs storage: the CLI edge passes
:class:`anxin.services.ledger.StorageLog`; this package imports no storage)."""


def open_log(where: str, *, open_directory: DirectoryLog | None = None) -> LogSource:
    if where.startswith(("http://", "https://")):
        return HttpLog(where)
    path = Path(where)
    if path.is_dir():
        if open_directory is None:
            raise LogUnavailable(f"--ledger {where}: reading a data directory's log is not "
                                 "available here (give the log's URL)")
        return open_directory(path)
    raise LogUnavailable(f"--ledger {where}: neither an http(s) URL nor a data directory")


@dataclass(frozen=True, slots=True)
class _Package:
    key: str
    checkpoint: Checkpoint
    authorization_id: str
    entries: dict[int, bytes]


def _package(files: dict[str, bytes], auth_id: str | None) -> _Package | str:
    try:
        key = files["ledger/verifier-key.txt"].decode().strip()
        cp = verify_checkpoint(files["ledger/checkpoint.txt"].decode(), key)
        entries = {int(e["index"]): base64.b64decode(e["data"], validate=True)
                   for e in untrusted_json.loads(files["ledger/entries.json"])["entries"]}
    except (KeyError, ValueError, TypeError, UnicodeDecodeError, AnxinError):
        return "the package's ledger files are missing or do not verify"
    if not auth_id or not entries:
        return "the package names no authorization or holds no ledger entry"
    return _Package(key, cp, auth_id, entries)


def _prefix_edge(last_index: int, last_leaf: bytes, proof: list[bytes]
                 ) -> dict[tuple[int, int], bytes]:
    """The right-edge perfect subtrees of the tree of ``last_index + 1`` leaves, from the
    inclusion proof of its last leaf (whose siblings are all on its left): the pieces
    [0, k1), [k1, k1 + k2), … that RFC 9162's PATH splits off, folded per subtree."""
    size = last_index + 1
    pieces: list[tuple[int, int]] = []  # (start, length), left to right
    lo = 0
    while size - lo > 1:
        k = largest_power_of_two_below(size - lo)
        pieces.append((lo, k))
        lo += k
    if len(pieces) != len(proof):
        raise ValueError("the inclusion proof of the last entry has the wrong length")
    hashes = [*reversed(proof), leaf_hash(last_leaf)]
    pieces.append((lo, 1))
    edge: dict[tuple[int, int], bytes] = {}
    for level, idx in frontier(size):
        start, end = idx << level, (idx + 1) << level
        inside = [h for (s, n), h in zip(pieces, hashes, strict=True)
                  if start <= s and s + n <= end]
        acc = inside[-1]
        for h in reversed(inside[:-1]):
            acc = node_hash(h, acc)
        edge[(level, idx)] = acc
    return edge


def check_against_log(report: Report, files: dict[str, bytes], auth_id: str | None,
                      log: LogSource, *, max_scan: int = MAX_SCAN) -> None:
    title = f"Ledger: the package's checkpoint is in the public log ({log.label})"
    tail_title = "Ledger: no later entry of this authorization in the public log"
    pkg = _package(files, auth_id)
    if isinstance(pkg, str):
        report.add("ledger_log_consistency", title, FAILED, pkg, FORMAT_FAILURE)
        return
    try:
        log_key = log.verifier_key()
        if log_key != pkg.key:
            report.add("ledger_log_consistency", title, FAILED,
                       f"the log's verifier key ({log_key}) is not the package's "
                       f"({pkg.key}): the package's checkpoints are not this log's",
                       SIG_CRYPTO_FAILURE)
            return
        try:
            current = verify_checkpoint(log.checkpoint(), pkg.key)
        except AnxinError as exc:
            report.add("ledger_log_consistency", title, FAILED,
                       f"the log's checkpoint does not verify with the key: {exc.detail}",
                       SIG_CRYPTO_FAILURE)
            return
        mine = pkg.checkpoint
        if current.size < mine.size or (current.size == mine.size
                                        and current.root != mine.root):
            report.add("ledger_log_consistency", title, FAILED,
                       f"the log's checkpoint ({current.size} entries) does not extend the "
                       f"package's ({mine.size} entries): the log was forked or truncated",
                       HASH_FAILURE)
            return
        if current.size > mine.size:
            try:
                verify_consistency(mine.size, current.size, mine.root, current.root,
                                   log.consistency(mine.size, current.size))
            except AnxinError as exc:
                report.add("ledger_log_consistency", title, FAILED,
                           f"the log cannot prove its checkpoint consistent with the "
                           f"package's: {exc.detail}", HASH_FAILURE)
                return
        report.add("ledger_log_consistency", title, PASSED,
                   f"the log's key is the package's key ({pkg.key.split('+')[0]}); its "
                   f"checkpoint of {current.size} entries verifies with it and is proven "
                   f"consistent with the package's checkpoint of {mine.size} entries",
                   log_size=current.size, package_size=mine.size)
        _check_tail(report, tail_title, pkg, current, log, max_scan)
    except LogUnavailable as exc:
        report.add("ledger_log_consistency", title, INDETERMINATE,
                   f"the log could not be read: {exc.detail}", TRY_LATER)
    finally:
        log.close()


def _check_tail(report: Report, title: str, pkg: _Package, current: Checkpoint,
                log: LogSource, max_scan: int) -> None:
    last = max(pkg.entries)
    start, end = last + 1, current.size
    if end - start > max_scan:
        report.add("ledger_log_tail", title, INDETERMINATE,
                   f"{end - start} entries follow the package's last one; more than the "
                   f"{max_scan} this verifier reads", TRY_LATER)
        return
    try:
        edge = _prefix_edge(last, pkg.entries[last], log.inclusion(last, start))
    except (ValueError, IndexError, AnxinError) as exc:
        report.add("ledger_log_tail", title, FAILED,
                   f"the log's inclusion proof of entry {last} is malformed: {exc}",
                   HASH_FAILURE)
        return
    later: list[tuple[int, str]] = []
    pos = start
    while pos < end:
        page = log.entries(pos, end)
        if not page or page[0][0] != pos:
            report.add("ledger_log_tail", title, FAILED,
                       f"the log did not answer entry {pos} of {end}", HASH_FAILURE)
            return
        for index, data in page:
            if index != pos or index >= end:
                break
            for lv, ix, h in append_nodes(index, leaf_hash(data),
                                          lambda lv, ix, e=edge: e[(lv, ix)]):
                edge[(lv, ix)] = h
            try:
                leaf = untrusted_json.loads(data)
            except ValueError:
                leaf = {}
            if isinstance(leaf, dict) and leaf.get("authorization_id") == pkg.authorization_id:
                later.append((index, str(leaf.get("event"))))
            pos += 1
        keep = set(frontier(pos))  # only the right edge is needed from here on
        edge = {k: v for k, v in edge.items() if k in keep}
    if start < end and root_from_edge(edge, end) != current.root:
        report.add("ledger_log_tail", title, FAILED,
                   f"the entries {start}..{end - 1} the log served do not make its signed "
                   f"root: it hid or changed some", HASH_FAILURE)
        return
    left_out = [(i, e) for i, e in later if i < pkg.checkpoint.size]
    newer = [(i, e) for i, e in later if i >= pkg.checkpoint.size]
    scanned = f"the {end - start} entries after the package's last one (index {last})"
    if left_out:
        report.add("ledger_log_tail", title, FAILED,
                   "the package leaves out entries of this authorization that its own "
                   "checkpoint covers: " + ", ".join(f"{e} at index {i}" for i, e in left_out),
                   HASH_FAILURE, left_out=[i for i, _ in left_out])
    elif newer:
        report.add("ledger_log_tail", title, INDETERMINATE,
                   "the authorization has entries newer than the package (it is not its "
                   "current state; get a new package): "
                   + ", ".join(f"{e} at index {i}" for i, e in newer), TRY_LATER,
                   newer=[i for i, _ in newer])
    else:
        report.add("ledger_log_tail", title, PASSED,
                   f"{scanned}, up to the log's checkpoint of {end}, recompute its signed "
                   f"root and none belongs to this authorization: the package's last entry "
                   f"is the authorization's last in the log", scanned=end - start)


def add_log_checks(report: Report, data: bytes, where: str, *,
                   max_scan: int = MAX_SCAN, open_directory: DirectoryLog | None = None
                   ) -> None:
    """What ``anxin verify FILE --ledger WHERE`` adds to the offline report of ``data``;
    ``open_directory`` opens WHERE when it is a data directory (see :func:`open_log`)."""
    from anxin.evidence.ziputil import read_zip
    title = f"Ledger: the package's checkpoint is in the public log ({where})"
    if not data.startswith(b"PK\x03\x04"):
        report.add("ledger_log_consistency", title, INDETERMINATE,
                   "--ledger checks an evidence package; a letter alone has no ledger "
                   "entries", FORMAT_FAILURE)
        return
    try:
        log = open_log(where, open_directory=open_directory)
    except AnxinError as exc:
        report.add("ledger_log_consistency", title, INDETERMINATE,
                   f"the log could not be opened: {exc.detail}", TRY_LATER)
        return
    check_against_log(report, read_zip(data), report.authorization_id, log,
                      max_scan=max_scan)

"""Refuse, commit, then raise: a refusal that must keep what its transaction wrote.

Some refusals are facts worth keeping -- a wrong one-time code stays counted, a lapse
found while refusing stays recorded, a failed sign-in stays in the ledger -- so the
transaction commits, and only then is the refusal raised. Inside a
:func:`refusing_transaction` block, :func:`refuse` ends the block; the block's work is
committed and the error raised after the commit. Any other exception rolls back as in
every transaction.

>>> class FakeDb:
...     from contextlib import contextmanager
...     @contextmanager
...     def transaction(self):
...         yield "session"
...         print("committed")
>>> from anxin.errors import Conflict
>>> try:
...     with refusing_transaction(FakeDb()) as s:
...         refuse(Conflict("no"))
... except Conflict as exc:
...     print("then raised:", exc)
committed
then raised: no
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import NoReturn, Protocol, TypeVar

from anxin.errors import AnxinError

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class _Transactions(Protocol[S_co]):
    def transaction(self) -> AbstractContextManager[S_co]: ...


class _Refused(Exception):
    """Carries a refusal out of the block, past the commit."""

    def __init__(self, error: AnxinError) -> None:
        super().__init__(error.detail)
        self.error = error


def refuse(error: AnxinError) -> NoReturn:
    """Inside a :func:`refusing_transaction` block: stop, commit what the block wrote,
    then raise ``error``."""
    raise _Refused(error)


@contextmanager
def refusing_transaction(db: _Transactions[S]) -> Iterator[S]:
    """``db.transaction()``, in which :func:`refuse` commits before raising."""
    refused: AnxinError | None = None
    with db.transaction() as session:
        try:
            yield session
        except _Refused as carrier:
            refused = carrier.error
    if refused is not None:
        raise refused

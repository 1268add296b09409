"""The table of rate-limit counters (see :mod:`anxin.services.rate_limits`).

One row per limited key and fixed time window: ``count`` is how many times the key was
charged in the window that starts at ``window_start`` (Unix seconds). Kept in the database,
not in a process, so that a limit holds across every worker and node that shares it.
Created by the migration ``0007_rate_limits``; import this module wherever the table is
used so that it is registered on the metadata.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from anxin.storage.models import Base


class RateCounter(Base):
    """How often ``key`` was charged in the window starting at ``window_start``."""

    __tablename__ = "rate_limits"
    __table_args__ = (Index("ix_rate_limits_expires", "expires_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True,
                                              autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime]

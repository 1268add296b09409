"""Back-off of the delivery worker and the geometry of the dashboard's bars."""

from __future__ import annotations

from anxin.notify.worker import RetryPolicy
from anxin.services.console_stats import bars


def test_backoff_doubles_then_caps() -> None:
    p = RetryPolicy(base_seconds=5, max_seconds=60)
    assert [p.delay(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_bars_scale_to_the_largest_value() -> None:
    c = bars(["a", "b", "c"], [0, 5, 10], width=300, height=124)
    heights = [b["h"] for b in c["bars"]]
    assert heights == [0, 50, 100]
    assert all(b["y"] + b["h"] == 108 for b in c["bars"])
    assert [b["label"] for b in c["bars"]] == ["a", "b", "c"]
    assert bars([], [])["bars"] == []

"""Milliseconds to render one letter (:func:`anxin.letters.render.render_letter_pdf`).

The test letters of ``tests.common.letters.letter_spec`` (zh-CN and en, each with its
verification QR code), rendered in turn in short slices so that a shared machine's load
hits both alike; each letter is a fresh document (nothing of one letter is reused by the
next beyond what the renderer itself caches per process: the parsed face, the ICC
profile). Both wall time and this process's CPU time are printed: on a loaded 2-core
machine the CPU time is the steadier figure.

To compare two trees in the same run, run this script alternately with each tree's
``src`` first on ``PYTHONPATH`` (the script only needs ``anxin.letters`` and ``tests``)::

    PYTHONPATH=src:. python bench/render.py [--seconds 3] [--cprofile]
    PYTHONPATH=/path/to/before/src:/path/to/before:. python bench/render.py

The last line is JSON: {"zh-CN_ms": .., "en_ms": .., "zh-CN_cpu_ms": .., "en_cpu_ms": ..}
(the best slice of each).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

from tests.common.letters import letter_spec

from anxin.letters.render import render_letter_pdf

_LOCALES = ("zh-CN", "en")
_SLICE = 20  # letters per slice


def measure(seconds: float) -> dict[str, float]:
    """Best wall and CPU milliseconds per letter of each locale over ``seconds``."""
    specs = {locale: letter_spec(locale) for locale in _LOCALES}
    for spec in specs.values():
        render_letter_pdf(spec)  # parse the face, read the ICC profile
    best: dict[str, float] = {}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or not best:
        for locale, spec in specs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(_SLICE):
                render_letter_pdf(spec)
            wall_ms = (time.perf_counter() - wall) / _SLICE * 1000
            cpu_ms = (time.process_time() - cpu) / _SLICE * 1000
            best[f"{locale}_ms"] = min(best.get(f"{locale}_ms", wall_ms), wall_ms)
            best[f"{locale}_cpu_ms"] = min(best.get(f"{locale}_cpu_ms", cpu_ms), cpu_ms)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cprofile", action="store_true",
                        help="profile 50 zh-CN letters (CPU time) instead")
    args = parser.parse_args()
    if args.cprofile:
        spec = letter_spec("zh-CN")
        render_letter_pdf(spec)
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(50):
            render_letter_pdf(spec)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return
    figures = measure(args.seconds)
    for locale in _LOCALES:
        print(f"{locale}: {figures[f'{locale}_ms']:.2f} ms wall, "
              f"{figures[f'{locale}_cpu_ms']:.2f} ms CPU per letter (best slice)")
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()

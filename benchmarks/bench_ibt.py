"""Benchmark: reading a whole ``.ibt`` with the vectorised reader vs pyirsdk per value.

Run with ``python benchmarks/bench_ibt.py`` (or import and call :func:`main`). For a
simulated multi-lap session (written by ``racecoach.client.simulator``) and the real Sebring
recording, it times reading every channel of every record once:

* ours      – ``read_ibt(path)`` then ``channel(name, copy=True)`` for all variables (each
              channel materialised as a contiguous numpy array);
* pyirsdk   – ``irsdk.IBT().get(index, name)`` for every record and variable (how a
              per-sample loop reads a file with pyirsdk);
* get_all   – pyirsdk's ``get_all(name)`` per variable, for reference.

Times are the median of ``--repeats`` runs (``time.perf_counter``); the goal is ours ≥ 50x
faster than the per-value loop.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import irsdk
import numpy as np
from racecoach.client.ibt import read_ibt
from racecoach.client.simulator import simulate_session, write_session

SEBRING = Path(__file__).resolve().parents[1] / "tests" / "data" / "sebring_amg-gt4_partial.ibt"


def _median_s(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def read_all_ours(path: Path) -> dict[str, np.ndarray]:
    """Every channel of every record, as contiguous arrays."""
    with read_ibt(path) as f:
        return {v.name: f.channel(v.name, copy=True) for v in f.variables}


def read_all_pyirsdk_per_value(path: Path) -> int:
    """Every channel of every record through ``IBT.get(index, name)``; returns the value count."""
    ibt = irsdk.IBT()
    ibt.open(str(path))
    try:
        names = ibt.var_headers_names
        records = ibt._disk_header.session_record_count
        get = ibt.get
        count = 0
        for index in range(records):
            for name in names:
                get(index, name)
                count += 1
        return count
    finally:
        ibt.close()


def read_all_pyirsdk_get_all(path: Path) -> int:
    ibt = irsdk.IBT()
    ibt.open(str(path))
    try:
        return sum(len(ibt.get_all(name)) for name in ibt.var_headers_names)
    finally:
        ibt.close()


def bench_file(label: str, path: Path, *, repeats: int) -> float:
    with read_ibt(path) as f:
        n_vars, n_records = len(f.variables), f.record_count
        speed = f.channel("Speed", copy=True)
    ref = irsdk.IBT()
    ref.open(str(path))
    assert speed.tolist() == ref.get_all("Speed"), "readers disagree"
    ref.close()
    ours = _median_s(lambda: read_all_ours(path), repeats)
    per_value = _median_s(lambda: read_all_pyirsdk_per_value(path), max(1, repeats // 3))
    get_all = _median_s(lambda: read_all_pyirsdk_get_all(path), max(1, repeats // 3))
    values = n_vars * n_records
    size_mb = path.stat().st_size / 1e6
    print(f"\n{label}: {path.name}, {size_mb:.1f} MB, {n_vars} variables x {n_records:,} records = {values:,} values")
    print(f"  {'reader':<28}{'time':>12}{'values/s':>16}{'vs ours':>10}")
    for name, seconds in (("ours (read_ibt, all)", ours), ("pyirsdk IBT.get per value", per_value),
                          ("pyirsdk IBT.get_all", get_all)):
        print(f"  {name:<28}{seconds * 1e3:>10.2f}ms{values / seconds:>16,.0f}{seconds / ours:>9.1f}x")
    ratio = per_value / ours
    print(f"  speed-up over per-value pyirsdk: {ratio:.0f}x (goal >= 50x: {'met' if ratio >= 50 else 'NOT met'})")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laps", type=int, default=5, help="timed laps in the simulated file")
    parser.add_argument("--track", default="Spielberg")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sim.ibt"
        write_session(simulate_session(track=args.track, laps=args.laps), path)
        ratios.append(bench_file(f"simulated {args.track}, {args.laps} laps", path, repeats=args.repeats))
    ratios.append(bench_file("real Sebring recording", SEBRING, repeats=args.repeats))
    return 0 if min(ratios) >= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())

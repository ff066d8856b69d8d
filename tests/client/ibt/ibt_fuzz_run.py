"""Run seeded fuzz cases of the .ibt path in this process: ``python ibt_fuzz_run.py WORKDIR CASES_PER_BASE SEED``.

Every case is a mutated real sample or simulated file given to ``load_ibt`` (what ``replay`` runs)
under a per-case alarm. Prints ``case <base> <n> <mutation>`` before each case (so a hang the
alarm cannot break names its case) and a JSON summary as the last line."""

from __future__ import annotations

import json
import random
import signal
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from ibt_mutations import mutate, shrink
from racecoach.client.ibt import IbtError
from racecoach.client.simulator import simulate_session, write_session
from racecoach.client.source import load_ibt

DATA = Path(__file__).resolve().parents[2] / "data"
CASE_TIMEOUT_S = 2.0
BASE_RECORDS = 120


class Hang(Exception):
    pass


def bases(workdir: Path) -> dict[str, bytes]:
    found = {path.stem: shrink(path.read_bytes(), records=BASE_RECORDS)
             for path in (DATA / "sebring_amg-gt4_partial.ibt", DATA / "redbullring_w13_parked.ibt")}
    for track, seed in (("Spielberg", 1), ("Monza", 2)):
        ibt, _ = write_session(simulate_session(track=track, laps=1, seed=seed), workdir / f"{track}.ibt")
        found[f"simulated-{track}"] = shrink(ibt.read_bytes(), records=BASE_RECORDS)
    return found


def check(path: Path) -> tuple[str, str | None]:
    """("loaded" | "refused", None) for a clean outcome; (kind, what went wrong) otherwise."""
    try:
        session, arrays = load_ibt(path)
    except IbtError as exc:
        message = str(exc)
        if not message or "\n" in message or path.name not in message:
            return "bad-message", f"IbtError without a one-line message naming the file: {message[:300]!r}"
        return "refused", None
    lengths = {len(values) for values in arrays.values()}
    if len(lengths) != 1 or not np.all(np.diff(arrays["session_time_s"]) > 0):
        return "inconsistent", f"loaded arrays are inconsistent: lengths {lengths}"
    session.SerializeToString()
    return "loaded", None


def _alarm(signum, frame):
    raise Hang()


def run(*, workdir: Path, cases_per_base: int, seed: int) -> dict:
    signal.signal(signal.SIGALRM, _alarm)
    outcomes = {"loaded": 0, "refused": 0}
    failures: list[str] = []
    started = time.monotonic()
    for index, (name, base) in enumerate(bases(workdir).items()):
        (workdir / f"{name}.ibt").write_bytes(base)
        assert check(workdir / f"{name}.ibt") == ("loaded", None), name
        rng = random.Random(seed + index)
        for case in range(cases_per_base):
            label, data = mutate(rng, base)
            path = workdir / f"{name}-{case}.ibt"
            path.write_bytes(data)
            print(f"case {name} {case} {label}", flush=True)
            signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT_S)
            try:
                kind, problem = check(path)
            except Hang:
                kind, problem = "hang", f"no answer within {CASE_TIMEOUT_S} s"
            except Exception as exc:  # noqa: BLE001 what the fuzzer looks for
                where = traceback.extract_tb(exc.__traceback__)[-1]
                kind = type(exc).__name__
                problem = f"{kind}: {' '.join(str(exc).split())[:200]} at {Path(where.filename).name}:{where.lineno}"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if problem is None:
                outcomes[kind] += 1
                path.unlink()
            else:
                failures.append(f"{name} case {case} ({label}): {problem}")
    return {"cases": sum(outcomes.values()) + len(failures), "seconds": round(time.monotonic() - started, 1),
            **outcomes, "failures": failures}


if __name__ == "__main__":
    summary = run(workdir=Path(sys.argv[1]), cases_per_base=int(sys.argv[2]), seed=int(sys.argv[3]))
    print(json.dumps(summary))

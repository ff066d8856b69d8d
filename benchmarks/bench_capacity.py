"""Capacity of the whole mesh: N simulated cars streaming in real time against ``racing-coach up``.

Each car is one ingest stream with its own token and its own session, sending 60 Hz telemetry in
100 ms batches (6 samples) on the wall clock, from sessions the project's simulator drove (with driver
variability). N is stepped up until the p99 ack latency passes ``--max-p99-ms`` or a sample is lost;
per step the benchmark prints the p50/p99 ack latency (a batch sent until the ack that covers it; the first
second and the last two of each stream left out) and
cue latency (the batch holding a cue's sample sent until the cue arrives), samples stored against
samples sent (counted in PostgreSQL after the streams close), and each service's CPU (share of one
core) and resident memory, the benchmark's own process included (it drives every car from one asyncio
loop on the same machine, so it takes part of the cores the mesh would have).

    python benchmarks/bench_capacity.py                  # steps 10, 25, 50, 75, 100, 150, 200, ...
    python benchmarks/bench_capacity.py --steps 25,50 --seconds 20   # acks only: no lap closes, so no cues
    python benchmarks/bench_capacity.py --soak 600 --steps 50   # memory over a 10-minute run at one N

It needs nothing running: it starts an embedded PostgreSQL and ``racing-coach up`` on free ports, and
stops both when done.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import numpy as np
import psutil  # already here: the embedded PostgreSQL's handling uses it
from racecoach.client.simulator import (
    DriverProfile,
    Variability,
    brake_early,
    ideal_corners,
    simulate_session,
    write_session,
)
from racecoach.client.source import load_ibt
from racecoach.client.uploader import split_batches
from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.telemetry.v1 import telemetry_pb2

SERVICES = ("storage", "analysis", "coaching", "ingest", "gateway")
BATCH_S = 0.1
WARMUP_S = 1.0
CLOSING_S = 2.0
LEAD_IN_S = (2.0, 20.0)  # spread over cars: laps close at different times, as on a real server
MEMORY_EVERY_S = 10.0  # how often each service's resident memory is sampled during a step
TRACKS = ("Norisring",)  # the shortest lap (about 48 s): cues flow soonest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Car:
    """One stream: what it sent when, and the latencies it saw."""

    session: telemetry_pb2.Session
    batches: list[tuple[int, bytes, float, float]]  # seq, serialized batch, first and last session time
    sent_at: dict[int, float] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    cue_ms: list[float] = field(default_factory=list)
    acked: int = 0
    samples_sent: int = 0
    errors: list[str] = field(default_factory=list)
    laps: int = 0


def sessions(count: int, workdir: Path, *, mistakes: bool, seconds: float = 0.0) -> list[tuple[telemetry_pb2.Session, dict[str, np.ndarray]]]:
    """``count`` simulated sessions (each car takes one, under its own id), long enough to stream for ``seconds``
    (three laps at least; about 48 s a lap); with ``mistakes`` the driver brakes 25 m early at every braked corner,
    so each closed lap gives live coaching cues to give."""
    laps = max(3, int(np.ceil((seconds + max(LEAD_IN_S)) / 45.0)) + 1)
    out = []
    for i in range(count):
        track = TRACKS[i % len(TRACKS)]
        braked = [c.number for c in ideal_corners(track=track) if c.ideal.brake_point_m is not None]
        errors = tuple(brake_early(corner=n, metres=25) for n in braked) if mistakes else ()
        sim = simulate_session(track=track, laps=laps if mistakes else 3, seed=(900 if mistakes else 950) + i,
                               profile=DriverProfile(variability=Variability.typical(), mistakes=errors))
        path, _ = write_session(sim, workdir / f"{'car' if mistakes else 'best'}-{i}.ibt")
        out.append(load_ibt(path))
    return out


def make_car(template: tuple[telemetry_pb2.Session, dict[str, np.ndarray]]) -> Car:
    base, arrays = template
    session = telemetry_pb2.Session()
    session.CopyFrom(base)
    session.session_id = str(uuid.uuid4())
    batches = []
    rate = session.tick_rate_hz or 60.0
    per = max(1, round(BATCH_S * rate))
    # join the session a few seconds before it crosses the line: live coaching gets its context (the driver's
    # personal best as reference) when the lap begun there closes, so cues flow from then on (a lap and a bit in)
    steps = np.flatnonzero(np.diff(arrays["lap"]) > 0)
    crossing = int(steps[0]) if len(steps) else 0
    start = max(0, crossing - int(random.uniform(*LEAD_IN_S) * rate))
    arrays = {name: values[start:] for name, values in arrays.items()}
    times = arrays["session_time_s"]
    for seq, raw in split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=per):
        start = (seq - 1) * per
        batches.append((seq, raw, float(times[start]), float(times[min(start + per, len(times)) - 1])))
    return Car(session=session, batches=batches)


async def drive(car: Car, *, address: str, token: str, seconds: float, per_batch: int) -> None:
    """Stream ``car`` in real time for ``seconds``; record ack and cue latencies."""
    metadata = [("authorization", f"Bearer {token}")]
    done = asyncio.Event()
    last_seq = 0

    async def requests():
        nonlocal last_seq
        yield ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=car.session))
        await asyncio.sleep(random.uniform(0, BATCH_S))
        started = time.monotonic()
        for k, (seq, raw, _, _) in enumerate(car.batches):
            due = started + k * BATCH_S
            if due - started > seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if WARMUP_S <= due - started <= seconds - CLOSING_S:
                # the stream's opening (reference lookups) and closing (every car's last lap analysed, scored and
                # stored at once when all streams end together) are not the steady state
                car.sent_at[seq] = time.monotonic()
            batch = telemetry_pb2.TelemetryBatch.FromString(raw)
            car.samples_sent += batch.sample_count  # the last batch of a session may hold fewer than per_batch
            last_seq = seq
            yield ingest_pb2.StreamRequest(batch=batch)
        yield ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd(session_id=car.session.session_id, last_seq=last_seq))
        await done.wait()

    async with grpc.aio.insecure_channel(address) as channel:
        call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(requests(), metadata=metadata)
        try:
            async for response in call:
                kind = response.WhichOneof("kind")
                now = time.monotonic()
                if kind == "ack":
                    for seq in range(car.acked + 1, response.ack.committed_seq + 1):
                        if seq in car.sent_at:
                            car.ack_ms.append(1000.0 * (now - car.sent_at[seq]))
                    car.acked = max(car.acked, response.ack.committed_seq)
                elif kind == "cue":
                    at = response.cue.session_time_s
                    seq = next((s for s, _, first, last in car.batches if first <= at <= last), None)
                    if seq in car.sent_at:
                        car.cue_ms.append(1000.0 * (now - car.sent_at[seq]))
                elif kind == "lap_completed":
                    car.laps += 1
                elif kind == "error":
                    car.errors.append(response.error.message)
                elif kind == "closed":
                    break
        except grpc.aio.AioRpcError as exc:
            car.errors.append(f"{exc.code().name}: {exc.details()}")
        finally:
            done.set()


def proc_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds so far, resident bytes) of a process; (0, 0) once it is gone."""
    try:
        process = psutil.Process(pid)
        times = process.cpu_times()
        return times.user + times.system, process.memory_info().rss
    except psutil.Error:
        return 0.0, 0


def service_pids(up_pid: int) -> dict[str, int]:
    """The processes ``up`` started, by service (``... serve NAME`` in their command lines)."""
    found: dict[str, int] = {}
    for child in psutil.Process(up_pid).children():
        try:
            words = child.cmdline()
        except psutil.Error:
            continue
        if "serve" in words and words.index("serve") + 1 < len(words):
            found[words[words.index("serve") + 1]] = child.pid
    return found


def postgres_pids(pgdata: Path) -> list[int]:
    """The embedded PostgreSQL's postmaster and its backends."""
    from racecoach.client.embedded_db import postmaster

    main = postmaster(pgdata=pgdata)
    if main is None:
        return []
    return [main.pid, *(child.pid for child in main.children(recursive=True))]


PGDATA = "postgres"  # start_embedded keeps the cluster in data_dir/postgres


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def stored_samples(dsn: str, session_ids: list[str]) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = ANY($1::text[])",
            session_ids))
    finally:
        await conn.close()


async def make_tokens(dsn: str, count: int) -> list[str]:
    import asyncpg
    from racecoach.services.storage.identity import create_token

    conn = await asyncpg.connect(dsn)
    try:
        # one driver, a token per car: the personal best the preload stores is every car's reference, so cues flow
        return [(await create_token(conn, email="driver@capacity.test", label=f"car {i}")).token for i in range(count)]
    finally:
        await conn.close()


async def preload(templates, *, address: str, token: str) -> None:
    """Clean sessions replayed once, fast, so the driver has a personal best on the track (live coaching's reference)."""
    from racecoach.client.uploader import Uploader

    for base, arrays in templates:
        session = telemetry_pb2.Session()
        session.CopyFrom(base)
        session.session_id = str(uuid.uuid4())
        await Uploader(address=address, token=token, session=session).run(
            split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=600))


async def step(n: int, *, templates, tokens, address: str, dsn: str, seconds: float, pids: dict[str, int],
               pgdata: Path) -> dict:
    cars = [make_car(templates[i % len(templates)]) for i in range(n)]
    before = {name: proc_usage(pid) for name, pid in pids.items()}
    pg_before = {pid: proc_usage(pid) for pid in postgres_pids(pgdata)}
    me_before = time.process_time()
    wall = time.monotonic()
    memory: list[tuple[float, dict[str, int]]] = []  # (seconds in, name → resident bytes), every MEMORY_EVERY_S

    async def sample_memory() -> None:
        while True:
            memory.append((time.monotonic() - wall, {name: proc_usage(pid)[1] for name, pid in pids.items()}))
            await asyncio.sleep(MEMORY_EVERY_S)

    sampler = asyncio.create_task(sample_memory())
    await asyncio.gather(*(drive(car, address=address, token=tokens[i], seconds=seconds, per_batch=6)
                           for i, car in enumerate(cars)))
    sampler.cancel()
    elapsed = time.monotonic() - wall
    after = {name: proc_usage(pid) for name, pid in pids.items()}
    usage = {name: ((after[name][0] - before[name][0]) / elapsed, after[name][1]) for name in pids}
    pg_after = {pid: proc_usage(pid) for pid in postgres_pids(pgdata)}
    usage["postgres"] = (sum(cpu - pg_before.get(pid, (0.0, 0))[0] for pid, (cpu, _) in pg_after.items()) / elapsed,
                         sum(rss for _, rss in pg_after.values()))
    usage["bench"] = ((time.process_time() - me_before) / elapsed, proc_usage(os.getpid())[1])
    acks = [ms for car in cars for ms in car.ack_ms]  # the first WARMUP_S of each stream left out (see drive)
    cues = [ms for car in cars for ms in car.cue_ms]
    sent = sum(car.samples_sent for car in cars)
    stored = await stored_samples(dsn, [car.session.session_id for car in cars])
    return {"n": n, "ack_p50": pct(acks, 50), "ack_p99": pct(acks, 99), "cue_p50": pct(cues, 50), "cue_p99": pct(cues, 99),
            "cues": len(cues), "laps": sum(c.laps for c in cars), "sent": sent, "stored": stored, "errors": sum(len(c.errors) for c in cars),
            "usage": usage, "first_error": next((c.errors[0] for c in cars if c.errors), ""), "memory": memory}


def memory_drift(memory: list[tuple[float, dict[str, int]]]) -> dict[str, tuple[float, float, float]]:
    """Per service: resident MB a minute in (warm), at the end, and the least-squares slope after that (MB/min)."""
    warm = [(t, m) for t, m in memory if t >= 60.0]
    out = {}
    for name in (warm[0][1] if warm else {}):
        t = np.array([s for s, _ in warm]) / 60.0
        mb = np.array([m[name] for _, m in warm]) / 2**20
        slope = float(np.polyfit(t, mb, 1)[0]) if len(t) > 2 else float("nan")
        out[name] = (float(mb[0]), float(mb[-1]), slope)
    return out


def start_mesh(workdir: Path, dsn: str) -> tuple[subprocess.Popen, dict[str, int]]:
    ports = {name: free_port() for name in SERVICES}
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(workdir / "data"), DATABASE_URL=dsn, RACING_COACH_LOG_LEVEL="warning",
               **{f"RACING_COACH_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = up.stdout.readline()
        if not line:
            raise SystemExit(f"racing-coach up exited ({up.poll()})")
        if line.startswith("Ctrl-C"):
            break
    return up, ports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="10,25,50,75,100,150,200,300,400,500")
    parser.add_argument("--seconds", type=float, default=75.0,
                        help="seconds each car streams per step (cues begin after the first lap, about 50 s)")
    parser.add_argument("--max-p99-ms", type=float, default=100.0)
    parser.add_argument("--soak", type=float, default=0.0, help="with one step: stream this many seconds, memory sampled")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    from racecoach.services.storage.database import start_embedded

    workdir = Path(tempfile.mkdtemp(prefix="racecoach-capacity-"))
    workdir.chmod(0o755)
    embedded = start_embedded(data_dir=workdir / "pg", cleanup_mode="delete")
    up = None
    try:
        up, ports = start_mesh(workdir, embedded.uri)
        pids = service_pids(up.pid)
        address = f"127.0.0.1:{ports['ingest']}"
        templates = sessions(min(8, max(steps)), workdir, mistakes=True, seconds=args.soak or args.seconds)
        tokens = asyncio.run(make_tokens(embedded.uri, max(steps)))
        asyncio.run(preload(sessions(2, workdir, mistakes=False), address=address, token=tokens[0]))
        print(f"{len(templates)} simulated sessions; services {sorted(pids)}; {args.seconds:.0f} s a step, 60 Hz, 100 ms batches")
        header = (f"{'cars':>5} {'ack p50':>8} {'ack p99':>8} {'cue p50':>8} {'cue p99':>8} {'stored/sent':>14}  "
                  + "  ".join(f"{name[:8]:>12}" for name in [*pids, "postgres", "bench"]))
        print(header + "\n" + "-" * len(header))
        breaking = None
        for n in steps:
            seconds = args.soak or args.seconds
            result = asyncio.run(step(n, templates=templates, tokens=tokens, address=address, dsn=embedded.uri,
                                      seconds=seconds, pids=pids, pgdata=workdir / "pg" / PGDATA))
            cells = "  ".join(f"{100 * cpu:5.0f}% {rss / 2**20:4.0f}M" for cpu, rss in result["usage"].values())
            print(f"{n:>5} {result['ack_p50']:>6.1f}ms {result['ack_p99']:>6.1f}ms {result['cue_p50']:>6.1f}ms "
                  f"{result['cue_p99']:>6.1f}ms {result['stored']:>7}/{result['sent']:<7}  {cells}"
                  + (f"  errors {result['errors']}: {result['first_error'][:60]}" if result["errors"] else ""), flush=True)
            if args.soak:
                drift = memory_drift(result["memory"])
                print("memory after the first minute → at the end (slope): " + ", ".join(
                    f"{name} {first:.0f}M → {last:.0f}M ({slope:+.2f} MB/min)" for name, (first, last, slope) in drift.items()),
                    flush=True)
            if result["ack_p99"] > args.max_p99_ms or result["stored"] < result["sent"]:
                breaking = n
                break
        last_ok = [n for n in steps if breaking is None or n < breaking]
        print(f"breaking point: {breaking} cars" if breaking else f"no breaking point up to {steps[-1]} cars")
        print(f"largest healthy step: {last_ok[-1] if last_ok else 'none'} cars (p99 ack < {args.max_p99_ms:.0f} ms, nothing lost)")
    finally:
        if up is not None and up.poll() is None:
            os.killpg(up.pid, signal.SIGTERM)
            try:
                up.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(up.pid, signal.SIGKILL)
        embedded.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

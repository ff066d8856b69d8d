"""Benchmark: collector CPU per car at the 60 Hz live rate, and spool append throughput.

Run with ``python benchmarks/bench_collector.py`` (or import and call :func:`main`).

1. **Live path.** A simulated session is published tick by tick into a live-layout memory file
   (:class:`IbtPlayer`, standing in for iRacing) and read by :class:`LiveSampler` through
   pyirsdk's test mode, with the collector's own per-batch work (build the batch, append it to
   a spool) in the sampler thread; only the network is left out. The sampler thread's CPU
   time (``time.thread_time``) and the whole process's (``time.process_time``, player
   included) are divided by the seconds of session time covered: CPU-seconds per simulated
   second, i.e. the fraction of one core one car costs. Once at 1x (real 60 Hz polling) and
   once accelerated.
2. **Per-tick read, baseline in the same run.** ``freeze_var_buffer_latest`` plus the
   collector's one-copy row read, against pyirsdk's public per-value ``ir[name]`` for every
   canonical channel on the same frozen buffer.
3. **Spool.** Append throughput of real 100 ms batches (length + CRC-32 framing, one
   ``write`` each) against plain ``os.write`` of the same bytes, and the cost of one fsync.
"""

from __future__ import annotations

import argparse
import os
import struct
import tempfile
import time
from pathlib import Path

from racecoach.client.live import IbtPlayer, LiveSampler, Samples
from racecoach.client.spool import Spool
from racecoach.client.uploader import split_batches
from racecoach.services.common.batch import build_raw_batch
from racecoach.services.common.channels import BY_IRACING
from racecoach.telemetry.v1 import telemetry_pb2


def _simulated(directory: Path, laps: int) -> Path:
    from racecoach.client.simulator import (
        DriverProfile,
        simulate_session,
        write_session,
    )

    session = simulate_session(track="Spielberg", laps=laps, profile=DriverProfile())
    path, _ = write_session(session, directory / "bench.ibt")
    return path


def live_cpu(*, ibt: Path, directory: Path, speed: float, seconds: float) -> dict[str, float]:
    """Sampler-thread and process CPU per simulated second for ``seconds`` of wall time at ``speed``."""
    session = telemetry_pb2.Session(session_id=f"bench-{speed:g}x", tick_rate_hz=60)
    spool = Spool.create(root=directory / f"spool-{speed:g}", session=session)
    state = {"seq": 0, "samples": 0}

    def sink(event) -> None:
        if isinstance(event, Samples):
            state["seq"] += 1
            payload = build_raw_batch(session_id=session.session_id, seq=state["seq"], arrays=event.arrays)
            spool.append(seq=state["seq"], payload=payload.SerializeToString(),
                         last_time_s=float(event.arrays["session_time_s"][-1]))
            state["samples"] += len(event.arrays["session_time_s"])

    memory = directory / f"irsdk-{speed:g}.mem"
    ticks = int(seconds * 60 * speed)
    player = IbtPlayer(ibt_path=ibt, memory_path=memory, speed=speed, start=1, stop_at=1 + ticks)
    sampler = LiveSampler(sink=sink, test_file=memory, poll_hz=60 * speed, stale_s=0.5, reconnect_s=0.05)
    cpu0 = time.process_time()
    sampler.start()
    player.start()
    player.done.wait()
    time.sleep(0.1)
    sampler.stop()
    process_cpu = time.process_time() - cpu0
    player.close()
    spool.remove()
    simulated_s = ticks / 60.0
    return {"simulated_s": simulated_s, "sampler_cpu_per_s": sampler.stats.cpu_s / simulated_s,
            "process_cpu_per_s": process_cpu / simulated_s, "taken": state["samples"] / ticks,
            "batches": state["seq"]}


def per_tick_read(*, ibt: Path, directory: Path, ticks: int = 20_000) -> tuple[float, float]:
    """µs per tick: the collector's freeze + row copy, and pyirsdk ``ir[name]`` for every canonical channel."""
    import irsdk

    memory = directory / "irsdk-read.mem"
    player = IbtPlayer(ibt_path=ibt, memory_path=memory, start=1, stop_at=2)
    ir = irsdk.IRSDK()
    ir.startup(test_file=str(memory))
    names = [name for name in ir.var_headers_names if name in BY_IRACING and ir._var_headers_dict[name].count == 1]
    time_offset = ir._var_headers_dict["SessionTime"].offset
    rows: list[bytes] = []
    began = time.process_time()
    for _ in range(ticks):
        ir.freeze_var_buffer_latest()
        memory_copy = ir._var_buffer_latest.get_memory()
        struct.unpack_from("<d", memory_copy, time_offset)
        rows.append(memory_copy)
        if len(rows) == 6:
            rows.clear()
    ours = (time.process_time() - began) / ticks * 1e6
    began = time.process_time()
    for _ in range(ticks):
        ir.freeze_var_buffer_latest()
        [ir[name] for name in names]
    baseline = (time.process_time() - began) / ticks * 1e6
    ir.shutdown()
    player.close()
    return ours, baseline


def spool_throughput(*, ibt: Path, directory: Path, batches: int = 20_000) -> dict[str, float]:
    """Batches/s and MB/s appended to a spool vs plain os.write of the same bytes; ms per fsync."""
    from racecoach.client.source import load_ibt

    _, arrays = load_ibt(ibt)
    payloads = [p for _, p in split_batches(session_id="bench", arrays=arrays, samples_per_batch=6)]
    payloads = (payloads * (batches // len(payloads) + 1))[:batches]
    size = sum(len(p) for p in payloads)
    spool = Spool.create(root=directory / "spool-append", session=telemetry_pb2.Session(session_id="bench"))
    began = time.perf_counter()
    for seq, payload in enumerate(payloads, start=1):
        spool.append(seq=seq, payload=payload, last_time_s=float(seq))
    spooled = time.perf_counter() - began
    began = time.perf_counter()
    spool.sync()
    fsync_ms = (time.perf_counter() - began) * 1e3
    spool.remove()
    fd = os.open(directory / "plain.bin", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    began = time.perf_counter()
    for payload in payloads:
        os.write(fd, payload)
    plain = time.perf_counter() - began
    os.close(fd)
    return {"batches_per_s": batches / spooled, "mb_per_s": size / spooled / 1e6, "plain_batches_per_s": batches / plain,
            "fsync_ms": fsync_ms, "batch_bytes": size / batches}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="wall seconds of each live run (default 5)")
    parser.add_argument("--speed", type=float, default=10.0, help="speed of the accelerated live run (default 10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-collector-") as scratch:
        directory = Path(scratch)
        ibt = _simulated(directory, laps=2)
        print(f"collector benchmark, {os.cpu_count()} CPUs; live source: {ibt.name} through pyirsdk test mode")
        for speed in (1.0, args.speed):
            r = live_cpu(ibt=ibt, directory=directory, speed=speed, seconds=args.seconds)
            print(f"  live at {speed:>4g}x ({r['simulated_s']:.0f} s of session): sampler thread "
                  f"{r['sampler_cpu_per_s'] * 100:.2f}% of a core per car (CPU-s per simulated s "
                  f"{r['sampler_cpu_per_s']:.4f}), whole process incl. player {r['process_cpu_per_s'] * 100:.2f}%; "
                  f"ticks taken {r['taken'] * 100:.1f}%, {r['batches']} batches")
        ours, baseline = per_tick_read(ibt=ibt, directory=directory)
        print(f"  per tick: freeze + row copy {ours:.1f} µs vs pyirsdk ir[name] per channel {baseline:.1f} µs "
              f"({baseline / ours:.1f}x); at 60 Hz that is {ours * 60 / 1e4:.3f}% vs {baseline * 60 / 1e4:.3f}% of a core")
        s = spool_throughput(ibt=ibt, directory=directory)
        print(f"  spool append: {s['batches_per_s']:,.0f} batches/s ({s['mb_per_s']:.0f} MB/s, {s['batch_bytes']:.0f} B "
              f"per 100 ms batch) vs plain os.write {s['plain_batches_per_s']:,.0f}/s "
              f"({s['batches_per_s'] / s['plain_batches_per_s']:.2f}x); a 60 Hz car needs 10 batches/s "
              f"({s['batches_per_s'] / 10:,.0f}x headroom); fsync {s['fsync_ms']:.1f} ms")


if __name__ == "__main__":
    main()

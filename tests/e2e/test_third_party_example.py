"""The third-party example in examples/ works against a real mesh."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "third_party_client.py"


async def test_example_lists_sessions_with_their_best_lap(mesh, token_for, simulated_ibt):
    token = await token_for()
    session, arrays = load_ibt(simulated_ibt[0])
    await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
    spec = importlib.util.spec_from_file_location("third_party_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = await asyncio.to_thread(module.best_laps, storage=mesh.address("storage"), token=token)
    best = min(simulated_ibt[1].lap_times_s)
    assert lines == [f"Red Bull Ring | Mercedes-AMG GT3 2020 | 3 laps | best {best:.3f} s"]

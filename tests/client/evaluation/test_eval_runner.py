"""The evaluation runner on a real mesh: one short session is simulated, replayed and judged."""

from __future__ import annotations

import pytest
from racecoach.client.evaluation.runner import MeshUnreachable, check_reachable, evaluate

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _in_unit_range(value) -> bool:
    return value is None or 0.0 <= value <= 1.0


async def test_one_session_is_replayed_and_judged(mesh, token_for):
    token = await token_for("eval")
    seen = []
    summary, runs = await evaluate(tracks=["Spielberg"], seeds=[1], car="gt3", laps=4,
                                   address=mesh.address("ingest"), token=token, on_session=seen.append)
    assert seen == runs and len(runs) == 1
    run = runs[0]
    assert [c.lap.lap_number for c in run.laps] == [1, 2, 3, 4]
    judged = {v.number for v in run.views() if v.report.reference_lap_id and v.analysis.valid}
    assert {3, 4} <= judged and summary["judged_laps"] == len(judged)
    assert summary["sessions"] == 1 and summary["timed_laps"] == 4
    for kind, stats in summary["kinds"].items():
        truth = sum(1 for m in run.truth["mistakes"] if m["kind"] == kind and m["lap"] in judged)
        assert stats["instances"] == truth, kind
        assert _in_unit_range(stats["recall"]) and _in_unit_range(stats["precision"])
    assert sum(s["instances"] for s in summary["kinds"].values()) == len(run.truth["mistakes"]) >= 2
    assert _in_unit_range(summary["recall"]) and _in_unit_range(summary["precision"])
    assert _in_unit_range(summary["top_advice"]["share"])
    assert summary["lap_time_error_s"]["count"] == 4 and summary["lap_time_error_s"]["max"] < 0.05
    assert summary["brake_point_error_m"]["braking_corners"] > 0


async def test_an_unreachable_ingest_is_reported_quickly():
    with pytest.raises(MeshUnreachable, match="unreachable"):
        await check_reachable(address="127.0.0.1:1", timeout_s=0.5)

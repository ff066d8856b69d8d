"""The generated code is what `make gen` makes, and the contracts follow their own rules."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _differences(left: Path, right: Path) -> list[str]:
    compare = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in gen/: {n}" for n in compare.left_only] + [f"missing from gen/: {n}" for n in compare.right_only]
    found += [f"stale: {n}" for n in compare.diff_files]
    for name, sub in compare.subdirs.items():
        found += [f"{name}/{d}" for d in _differences(left / name, right / name)]
    # dircmp compares shallowly by stat; confirm byte equality of common files
    for name in compare.common_files:
        if (left / name).read_bytes() != (right / name).read_bytes():
            found.append(f"stale: {name}")
    return sorted(set(found))


def test_gen_is_up_to_date(tmp_path):
    result = subprocess.run([sys.executable, "-m", "racecoach.codegen.build", "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    stale = _differences(REPO / "gen", tmp_path)
    assert stale == [], "gen/ is stale; run `make gen`:\n" + "\n".join(stale)


def _without_header(text: str) -> str:
    lines = text.splitlines()
    while lines and lines[0].startswith("# Generated"):
        lines.pop(0)
    return "\n".join(lines).strip()


def test_gen_holds_no_copy_of_hand_written_code():
    """What the generated code needs at run time is imported from its one source, not copied into gen/."""
    hand_written = {_without_header(p.read_text()): p.name for p in (REPO / "codegen").glob("*.py") if p.stat().st_size}
    copies = [
        f"{p.relative_to(REPO)} is {hand_written[_without_header(p.read_text())]}"
        for p in sorted((REPO / "gen").rglob("*.py"))
        if _without_header(p.read_text()) in hand_written
    ]
    assert copies == []
    assert not (REPO / "gen" / "rest" / "racecoach" / "rest" / "runtime.py").exists()
    routes = (REPO / "gen" / "rest" / "racecoach" / "rest" / "routes.py").read_text()
    assert "from racecoach.codegen.rest_runtime import (" in routes


def _all_fields():
    from racecoach.analysis.v1 import analysis_pb2
    from racecoach.coaching.v1 import coaching_pb2
    from racecoach.ingest.v1 import ingest_pb2
    from racecoach.storage.v1 import storage_pb2
    from racecoach.telemetry.v1 import telemetry_pb2

    for module in (telemetry_pb2, ingest_pb2, storage_pb2, analysis_pb2, coaching_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            for field in message.fields:
                yield message, field


def test_every_proto_element_is_commented():
    """Contracts rule: every service, rpc, message, field and enum value has a comment starting with its name."""
    import re

    missing = []
    for path in sorted((REPO / "proto" / "racecoach").rglob("*.proto")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            match = re.match(r"\s*(?:service|rpc|message|enum)\s+(\w+)", line) or re.match(
                r"\s*(?:repeated\s+|optional\s+)?[\w.]+\s+(\w+)\s*=\s*\d+;", line
            ) or re.match(r"\s*([A-Z][A-Z0-9_]+)\s*=\s*\d+;", line)
            if not match:
                continue
            previous = lines[number - 1].strip() if number else ""
            while previous.startswith("//") and number > 1 and lines[number - 2].strip().startswith("//"):
                number -= 1
                previous = lines[number - 1].strip()
            if not previous.startswith(f"// {match.group(1)} "):
                missing.append(f"{path.name}:{number + 1} {match.group(1)}")
    assert missing == []


def test_float_fields_carry_units_in_their_names():
    from google.protobuf.descriptor import FieldDescriptor

    unitless_ok = {"throttle", "brake", "clutch", "gear", "rpm", "lap", "lap_dist_pct", "track_surface", "on_pit_road",
                   "peak_brake", "trail_brake_fraction", "score", "delta_value", "tyre_wear_lf", "tyre_wear_rf",
                   "tyre_wear_lr", "tyre_wear_rr", "probability", "contribution"}  # probabilities are 0 to 1
    # values whose unit a sibling field of the message names (as delta_value's is delta_unit)
    unit_beside = {"racecoach.coaching.v1.Evidence.value", "racecoach.coaching.v1.Evidence.reference_value",
                   "racecoach.coaching.v1.FeatureContribution.value"}
    suffixes = ("_m", "_s", "_mps", "_mps2", "_rps", "_rad", "_deg", "_bar", "_c", "_l", "_hz", "_g")
    offenders = [
        f"{message.full_name}.{field.name}"
        for message, field in _all_fields()
        if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)
        and field.name not in unitless_ok and f"{message.full_name}.{field.name}" not in unit_beside
        and not field.name.endswith(suffixes)
        and not message.name.endswith("RawView")
    ]
    assert offenders == []


def test_raw_view_is_wire_compatible_with_the_batch():
    from racecoach.telemetry.v1 import telemetry_pb2

    typed = {f.number: f.name for f in telemetry_pb2.TelemetryBatch.DESCRIPTOR.fields}
    raw = {f.number: f.name for f in telemetry_pb2.TelemetryBatchRawView.DESCRIPTOR.fields}
    assert typed == raw


@pytest.mark.skipif(not (REPO / "node_modules" / ".bin" / "buf").exists(), reason="buf is installed by `make lint` (npm @bufbuild/buf)")
def test_buf_lint_is_clean():
    result = subprocess.run([str(REPO / "node_modules" / ".bin" / "buf"), "lint"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

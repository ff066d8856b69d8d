"""The request rules are the contract's buf.validate annotations: what refuses a request is a rule in proto/, and
the Python code holds no second copy of the limits."""

from __future__ import annotations

import inspect
import re

import grpc
import pytest
from buf.validate import validate_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.common import batch, limits
from racecoach.services.common.errors import InvalidInputError
from racecoach.services.common.limits import check_message, field_rules, max_len
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_session

FieldDescriptorProto = descriptor_pb2.FieldDescriptorProto


def _probe_class(*, max_chars: int) -> type:
    """A message no Python code knows of, whose one string field carries a buf.validate max_len of ``max_chars``."""
    name = f"probe{max_chars}"
    file = descriptor_pb2.FileDescriptorProto(name=f"tests/{name}.proto", package=f"tests.{name}", syntax="proto3",
                                              dependency=["buf/validate/validate.proto"])
    message = file.message_type.add(name="Probe")
    field = message.field.add(name="code", number=1, type=FieldDescriptorProto.TYPE_STRING,
                              label=FieldDescriptorProto.LABEL_OPTIONAL)
    field.options.Extensions[validate_pb2.field].string.max_len = max_chars
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(file.name)
    except KeyError:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tests.{name}.Probe"))


def test_a_rule_written_in_the_contract_is_what_refuses():
    # the same field name under two annotations: the annotation decides, not the name
    for most in (3, 5):
        probe = _probe_class(max_chars=most)
        check_message(probe(code="x" * most))
        with pytest.raises(InvalidInputError, match=rf"^code is {most + 1} characters long; at most {most} are allowed$"):
            check_message(probe(code="x" * (most + 1)))


@pytest.mark.parametrize(("message", "words"), [
    (ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart()), "start.session is required (rule required)"),
    (ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=telemetry_pb2.Session())),
     "start.session.session_id is required (rule required)"),
    (ingest_pb2.StreamRequest(batch=telemetry_pb2.TelemetryBatch(session_id="s", seq=0, sample_count=1)),
     "batch.seq is 0; it must be at least 1 (rule uint64.gte)"),
    (ingest_pb2.StreamRequest(batch=telemetry_pb2.TelemetryBatch(session_id="s", seq=1)),
     "batch.sample_count is 0; it must be at least 1 (rule uint32.gte)"),
    (ingest_pb2.StreamRequest(batches=ingest_pb2.BatchRun(batches=[
        telemetry_pb2.TelemetryBatch(session_id="s", seq=1, sample_count=1), telemetry_pb2.TelemetryBatch(seq=2, sample_count=1)])),
     "batches.batches[1].session_id is required (rule required)"),
    (telemetry_pb2.Session(session_id="s", tick_rate_hz=-60), "tick_rate_hz: must be greater than or equal to 0 and"
     " less than or equal to 1000 (rule double.gte_lte)"),
    (storage_pb2.ExportLapRequest(lap_id="l", channels=["speed_mps", "c" * 257]),
     "channels[1] is 257 characters long; at most 256 are allowed"),
    (storage_pb2.PutTrackCornersRequest(track_name="t", corners=[storage_pb2.TrackCorner(number=1, name="n" * 101)]),
     "corners[0].name is 101 characters long; at most 100 are allowed"),
    (storage_pb2.GetLapComparisonRequest(lap_id="l", reference_lap_id="r", step_m=0.05),
     "step_m: must be 0 (meaning 5 m) or from 0.1 to 100 m (rule get_lap_comparison_request.step_m)"),
    (coaching_pb2.ScoreLapRequest(), "lap is required (rule required)"),
    (coaching_pb2.ScoreLapRequest(lap=analysis_pb2.LapAnalysis(lap_id="l")),
     "lap: must carry a session_id, the session the lap belongs to (rule score_lap_request.lap_session_id)"),
])
def test_a_message_breaking_an_annotated_rule_is_refused_naming_the_field_and_the_rule(message, words):
    with pytest.raises(InvalidInputError) as refused:
        check_message(message)
    assert str(refused.value) == words


@pytest.mark.parametrize("message", [
    *(storage_pb2.GetLapComparisonRequest(lap_id="l", reference_lap_id="r", step_m=step) for step in (0.0, -0.0, 0.1, 5.0, 100.0)),
    coaching_pb2.ScoreLapRequest(lap=analysis_pb2.LapAnalysis(session_id="s")),
])
def test_a_message_within_the_rules_is_accepted(message):
    check_message(message)


def test_what_holds_for_every_field_is_still_checked_besides_the_annotations():
    with pytest.raises(InvalidInputError, match=r"^session\.driver_name must not contain a NUL character$"):
        check_message(telemetry_pb2.Session(session_id="s", driver_name="a\x00b"), prefix="session.")
    with pytest.raises(InvalidInputError, match=r"^length_m is inf; it must be a finite number$"):
        check_message(telemetry_pb2.Track(length_m=float("inf")))


def _request_messages() -> dict[str, Descriptor]:
    """Every message a request can carry: the services' request types, the raw views servers parse in their place,
    and every message inside them."""
    found: dict[str, Descriptor] = {}

    def walk(descriptor: Descriptor) -> None:
        if descriptor.full_name in found or descriptor.full_name.startswith("google."):
            return
        found[descriptor.full_name] = descriptor
        for f in descriptor.fields:
            if f.type == FieldDescriptor.TYPE_MESSAGE:
                walk(f.message_type)

    for module in limits.CONTRACTS:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                walk(method.input_type)
        for message in module.DESCRIPTOR.message_types_by_name.values():
            if message.name.endswith("RawView"):
                walk(message)
    return found


def test_every_string_a_request_can_carry_has_its_length_in_the_contract():
    unbounded = [f"{m.full_name}.{f.name}" for m in _request_messages().values() for f in m.fields
                 if f.type == FieldDescriptor.TYPE_STRING and max_len(f) is None]
    assert not unbounded, f"strings without a (buf.validate.field) max_len: {unbounded}"


def test_a_raw_view_carries_the_lengths_of_the_message_it_reads():
    for module in limits.CONTRACTS:
        for name, view in module.DESCRIPTOR.message_types_by_name.items():
            if not name.endswith("RawView"):
                continue
            typed = module.DESCRIPTOR.message_types_by_name[name.removesuffix("RawView")]
            for f in view.fields:
                if f.type == FieldDescriptor.TYPE_STRING:
                    assert max_len(f) == max_len(typed.fields_by_name[f.name]), f"{view.full_name}.{f.name}"


def test_the_limits_python_applies_are_read_from_the_contract_with_no_copy_of_their_own():
    session = telemetry_pb2.Session.DESCRIPTOR.fields_by_name
    assert limits.MAX_ID_CHARS == field_rules(session["session_id"]).string.max_len == 128
    assert limits.MAX_NAME_CHARS == field_rules(session["driver_name"]).string.max_len == 256
    assert limits.limit_of("session_id") == max_len(telemetry_pb2.TelemetryBatch.DESCRIPTOR.fields_by_name["session_id"])
    assert batch.MIN_SAMPLES == field_rules(
        telemetry_pb2.TelemetryBatch.DESCRIPTOR.fields_by_name["sample_count"]).uint32.gte == 1
    # the numbers themselves appear in limits.py nowhere but in words
    code = "\n".join(line.split("#", 1)[0] for line in inspect.getsource(limits).splitlines())
    code = re.sub(r'"""(.|\n)*?"""', "", code)
    assert not re.search(r"\b(128|256|4096)\b", code)


@pytest.mark.asyncio(loop_scope="session")
async def test_over_grpc_a_start_breaking_the_contract_ends_the_stream_naming_the_field_and_the_rule(mesh, token_for):
    token = await token_for()
    session = make_session()
    session.tick_rate_hz = 1e6
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel:
        call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(metadata=[("authorization", f"Bearer {token}")])
        await call.write(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call.read()
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start.session.tick_rate_hz: must be greater than or equal to 0 and less than or equal to 1000" in err.value.details()
    assert "(rule double.gte_lte)" in err.value.details()

"""Every RPC of every service fed hypothesis-made messages that decode: empty, huge and NUL-holding strings, NaN and
infinite numbers, negative and huge integers, unknown enum values, long repeated fields (within the message limit),
and the ids of a seeded session; and, as often, the requests of calls that work (every_rpc.calls_for) with one to three
fields changed, so that calls get past "not found" and the first checks.

Each call, with a valid token, ends with OK or a status a caller can act on, with a message that says what to do;
never UNKNOWN or INTERNAL, never the deadline (a hang), never a traceback in the message. After the run every
service is still SERVING and answers an ordinary call. Derandomized and bounded in examples and time.
"""

from __future__ import annotations

import asyncio
import re
import time

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor as F
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from every_rpc import SERVICES, calls_for, every_method, seed

pytestmark = [pytest.mark.asyncio(loop_scope="session"),
              pytest.mark.filterwarnings("ignore:Generating overly large repr")]  # the strategies hold whole requests

EXAMPLES = 40  # per RPC
BUDGET_S = 40.0
DEADLINE_S = 10.0
ACCEPTED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION,
            grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.RESOURCE_EXHAUSTED,
            grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.ABORTED}
LEAK = re.compile(r"Traceback|File \"|Exception calling application|\w+Error\b(?!:? ?[a-z ]+ is)|/(?:home|work|usr|tmp)/|\.py\b|asyncpg")
HUGE = "Ž" * 70_000
INT_RANGES = {F.TYPE_INT32: (-2**31, 2**31 - 1), F.TYPE_SINT32: (-2**31, 2**31 - 1), F.TYPE_SFIXED32: (-2**31, 2**31 - 1),
              F.TYPE_INT64: (-2**63, 2**63 - 1), F.TYPE_SINT64: (-2**63, 2**63 - 1), F.TYPE_SFIXED64: (-2**63, 2**63 - 1),
              F.TYPE_UINT32: (0, 2**32 - 1), F.TYPE_FIXED32: (0, 2**32 - 1), F.TYPE_UINT64: (0, 2**64 - 1),
              F.TYPE_FIXED64: (0, 2**64 - 1)}


def scalars(field, ids: list[str]) -> st.SearchStrategy:
    """Values for one element of ``field``: the edges first (hypothesis draws them early), then anything."""
    kind = field.type
    if kind == F.TYPE_STRING:
        plain = st.one_of(st.sampled_from(ids), st.text("abcdefghij-_ ", max_size=12))
        return st.one_of(plain, plain, plain, st.sampled_from(["", "\x00", "a\x00b", HUGE, "'; --"]), st.text(max_size=40))
    if kind == F.TYPE_BYTES:
        return st.one_of(st.just(b""), st.binary(max_size=64), st.just(b"\xff" * 50_000))
    if kind in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        edges = st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e308, -1e308, 5e-324])
        width = 32 if kind == F.TYPE_FLOAT else 64
        plain = st.floats(-1000, 5000, width=width)
        return st.one_of(plain, plain, plain, edges, st.floats(width=width, allow_nan=True, allow_infinity=True))
    if kind == F.TYPE_BOOL:
        return st.booleans()
    if kind == F.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-3, 1000))  # proto3 enums are open: unknown numbers decode
    low, high = INT_RANGES[kind]
    plain = st.integers(max(low, -5), 500)
    return st.one_of(plain, plain, st.sampled_from([low, high, 0, 1, -1 if low < 0 else 2]), st.integers(low, high))


@st.composite
def messages(draw, descriptor, ids: list[str], depth: int = 0):
    """A message of ``descriptor`` with some of its fields set (one per oneof), nested messages to depth 3."""
    cls = message_factory.GetMessageClass(descriptor)
    message = cls()
    oneofs_done: set[str] = set()
    for field in descriptor.fields:
        if field.containing_oneof is not None:
            if field.containing_oneof.name in oneofs_done or not draw(st.booleans()):
                continue
            oneofs_done.add(field.containing_oneof.name)
        elif not draw(st.integers(0, 2)):
            continue
        if field.type == F.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry or depth >= 3:
                continue
            nested = messages(field.message_type, ids, depth + 1)
            if field.is_repeated:
                for item in draw(st.lists(nested, max_size=4)):
                    getattr(message, field.name).add().CopyFrom(item)
            else:
                getattr(message, field.name).CopyFrom(draw(nested))
        elif field.is_repeated:
            element = scalars(field, ids)
            many = st.integers(0, 4) if field.type in (F.TYPE_STRING, F.TYPE_BYTES) else st.sampled_from([0, 1, 3, 20_000])
            count = draw(many)
            values = draw(st.lists(element, min_size=min(count, 3), max_size=min(count, 3))) if count else []
            getattr(message, field.name).extend((values * (count // max(len(values), 1) + 1))[:count] if values else [])
        else:
            setattr(message, field.name, draw(scalars(field, ids)))
    return message


@st.composite
def mutated(draw, valid: list, ids: list[str]):
    """``valid`` (the requests of a call that works) with one to three fields of one message set to drawn values."""
    requests = [type(m).FromString(m.SerializeToString()) for m in valid]
    for _ in range(draw(st.integers(1, 3))):
        current = requests[draw(st.integers(0, len(requests) - 1))]
        for _depth in range(4):
            if not current.DESCRIPTOR.fields:
                break
            field = draw(st.sampled_from(list(current.DESCRIPTOR.fields)))
            if field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
                break
            if field.type == F.TYPE_MESSAGE and not field.is_repeated and current.HasField(field.name) and draw(st.booleans()):
                current = getattr(current, field.name)  # go down into what is set, and change something there
                continue
            if field.type == F.TYPE_MESSAGE and field.is_repeated:
                items = getattr(current, field.name)
                if len(items) and draw(st.booleans()):
                    current = items[draw(st.integers(0, len(items) - 1))]
                    continue
                items.add().CopyFrom(draw(messages(field.message_type, ids, depth=2)))
            elif field.type == F.TYPE_MESSAGE:
                getattr(current, field.name).CopyFrom(draw(messages(field.message_type, ids, depth=2)))
            elif field.is_repeated:
                long = 20_000 if field.type not in (F.TYPE_STRING, F.TYPE_BYTES) else 4  # within the 8 MiB message limit
                count = draw(st.sampled_from([0, 1, 3, long]))
                values = draw(st.lists(scalars(field, ids), min_size=1, max_size=3)) if count else []
                del getattr(current, field.name)[:]
                getattr(current, field.name).extend((values * count)[:count])
            else:
                setattr(current, field.name, draw(scalars(field, ids)))
            break
    return requests


def call_sync(channel: grpc.Channel, service: str, method, requests: list, metadata) -> tuple[grpc.StatusCode, str]:
    """One call with ``requests`` (one, or a stream), its answer drained; (status, details)."""
    path = f"/{service}/{method.name}"
    kind = (method.client_streaming, method.server_streaming)
    factory = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
               (True, False): channel.stream_unary, (True, True): channel.stream_stream}[kind]
    call = factory(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=None)
    try:
        result = call(iter(requests) if method.client_streaming else requests[0], metadata=metadata, timeout=DEADLINE_S)
        if method.server_streaming:
            for _ in result:
                pass
    except grpc.RpcError as exc:
        return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""


def strings_in(message) -> list[str]:
    """Every string a message carries, nested ones included, longest first."""
    found = []
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == F.TYPE_STRING:
            found.extend(values)
        elif field.type == F.TYPE_MESSAGE and not field.message_type.GetOptions().map_entry:
            for item in values:
                found.extend(strings_in(item))
    return sorted(found, key=len, reverse=True)


def verdict(code: grpc.StatusCode, details: str, sent: list[str] = ()) -> str | None:
    """What is wrong with an answer, or None. What the caller sent, repeated back, is not a leak."""
    if code not in ACCEPTED:
        return f"{code.name}: {details[:300]!r}"
    if code is not grpc.StatusCode.OK:
        if len(details.strip()) < 8:
            return f"{code.name} with no message a caller can act on: {details!r}"
        shown = details
        for value in sent:
            if len(value) > 2:
                shown = shown.replace(value, "").replace(repr(value)[1:-1], "")
        if leak := LEAK.search(shown):
            return f"{code.name} whose message leaks {leak.group(0)!r}: {details[:300]!r}"
    return None


def fuzz(addresses: dict[str, str], token: str, ids: list[str], valid: dict) -> tuple[list[str], dict[str, int]]:
    """Every RPC's examples; (what was wrong, how many calls of each "Method STATUS")."""
    failures: list[str] = []
    codes: dict[str, int] = {}
    deadline = time.monotonic() + BUDGET_S
    metadata = [("authorization", f"Bearer {token}")]
    channels = {name: grpc.insecure_channel(address) for name, address in addresses.items()}
    try:
        for service, method in every_method():
            one_message = messages(method.input_type, ids)
            made = st.lists(one_message, min_size=1, max_size=3) if method.client_streaming else one_message.map(lambda m: [m])
            requests = st.one_of(made, mutated(valid[(service, method.name)][0], ids))

            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(requests=requests)
            def one(requests):
                if time.monotonic() > deadline:
                    return
                code, details = call_sync(channels[SERVICES[service]], service, method, requests, metadata)
                codes[f"{method.name} {code.name}"] = codes.get(f"{method.name} {code.name}", 0) + 1
                if problem := verdict(code, details, [v for r in requests for v in strings_in(r)]):
                    shown = " | ".join(str(r).replace("\n", " ")[:200] for r in requests)
                    failures.append(f"{service.rsplit('.', 1)[-1]}.{method.name}: {problem}\n    sent: {shown}")

            one()
    finally:
        for channel in channels.values():
            channel.close()
    return failures, codes


async def test_decodable_random_messages_get_a_proper_status_on_every_rpc_and_leave_the_mesh_healthy(mesh, token_for):
    token = await token_for("grpc-fuzz")
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, token)
    ids = [seeded.session_id, *seeded.lap_ids, seeded.session.track.name]
    addresses = {name: mesh.address(name) for name in SERVICES.values()}
    started = time.monotonic()
    failures, codes = await asyncio.to_thread(fuzz, addresses, token, ids, calls_for(seeded))
    sent = sum(codes.values())
    distinct = {f.split("\n")[0][:90]: f for f in failures}
    assert not failures, f"{len(failures)} of {sent} calls, {len(distinct)} distinct:\n" + "\n".join(distinct.values())
    assert sent >= 10 * len(every_method()) and time.monotonic() - started < BUDGET_S + 20
    answered_ok = {key.split()[0] for key in codes if key.endswith(" OK")}
    assert len(answered_ok) >= 12, codes  # most RPCs were also driven past their checks
    for name, address in addresses.items():
        async with grpc.aio.insecure_channel(address) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING, name
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

        listed = await storage_pb2_grpc.StorageServiceStub(channel).GetSession(
            storage_pb2.GetSessionRequest(session_id=seeded.session_id), metadata=[("authorization", f"Bearer {token}")], timeout=10)
        assert listed.summary.session.session_id == seeded.session_id and len(listed.laps) == 2

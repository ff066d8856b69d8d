from buf.validate import validate_pb2 as _validate_pb2
from racecoach.analysis.v1 import analysis_pb2 as _analysis_pb2
from racecoach.coaching.v1 import coaching_pb2 as _coaching_pb2
from racecoach.telemetry.v1 import telemetry_pb2 as _telemetry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_ERROR_REASON_UNSPECIFIED: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_LENGTH_MISMATCH: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_NOT_FINITE: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_OUT_OF_RANGE: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_TIME_NOT_MONOTONIC: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_SEQ_GAP: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_TOO_LARGE: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_WRONG_SESSION: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_MISSING_CHANNEL: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_REFUSED_BY_STORAGE: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_UNKNOWN_SESSION: _ClassVar[BatchErrorReason]
    BATCH_ERROR_REASON_PERMISSION_DENIED: _ClassVar[BatchErrorReason]
BATCH_ERROR_REASON_UNSPECIFIED: BatchErrorReason
BATCH_ERROR_REASON_LENGTH_MISMATCH: BatchErrorReason
BATCH_ERROR_REASON_NOT_FINITE: BatchErrorReason
BATCH_ERROR_REASON_OUT_OF_RANGE: BatchErrorReason
BATCH_ERROR_REASON_TIME_NOT_MONOTONIC: BatchErrorReason
BATCH_ERROR_REASON_SEQ_GAP: BatchErrorReason
BATCH_ERROR_REASON_TOO_LARGE: BatchErrorReason
BATCH_ERROR_REASON_WRONG_SESSION: BatchErrorReason
BATCH_ERROR_REASON_MISSING_CHANNEL: BatchErrorReason
BATCH_ERROR_REASON_REFUSED_BY_STORAGE: BatchErrorReason
BATCH_ERROR_REASON_UNKNOWN_SESSION: BatchErrorReason
BATCH_ERROR_REASON_PERMISSION_DENIED: BatchErrorReason

class SessionStart(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ...) -> None: ...

class SessionEnd(_message.Message):
    __slots__ = ("session_id", "last_seq")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    last_seq: int
    def __init__(self, session_id: _Optional[str] = ..., last_seq: _Optional[int] = ...) -> None: ...

class StreamRequest(_message.Message):
    __slots__ = ("start", "batch", "end", "batches")
    START_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    start: SessionStart
    batch: _telemetry_pb2.TelemetryBatch
    end: SessionEnd
    batches: BatchRun
    def __init__(self, start: _Optional[_Union[SessionStart, _Mapping]] = ..., batch: _Optional[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]] = ..., end: _Optional[_Union[SessionEnd, _Mapping]] = ..., batches: _Optional[_Union[BatchRun, _Mapping]] = ...) -> None: ...

class BatchRun(_message.Message):
    __slots__ = ("batches",)
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.TelemetryBatch]
    def __init__(self, batches: _Optional[_Iterable[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]]] = ...) -> None: ...

class BatchRunRawView(_message.Message):
    __slots__ = ("batches",)
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.TelemetryBatchRawView]
    def __init__(self, batches: _Optional[_Iterable[_Union[_telemetry_pb2.TelemetryBatchRawView, _Mapping]]] = ...) -> None: ...

class StreamRequestRawView(_message.Message):
    __slots__ = ("start", "batch", "end", "batches")
    START_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    start: SessionStart
    batch: _telemetry_pb2.TelemetryBatchRawView
    end: SessionEnd
    batches: BatchRunRawView
    def __init__(self, start: _Optional[_Union[SessionStart, _Mapping]] = ..., batch: _Optional[_Union[_telemetry_pb2.TelemetryBatchRawView, _Mapping]] = ..., end: _Optional[_Union[SessionEnd, _Mapping]] = ..., batches: _Optional[_Union[BatchRunRawView, _Mapping]] = ...) -> None: ...

class SessionAccepted(_message.Message):
    __slots__ = ("session_id", "committed_seq", "committed_tick")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_SEQ_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_TICK_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    committed_seq: int
    committed_tick: int
    def __init__(self, session_id: _Optional[str] = ..., committed_seq: _Optional[int] = ..., committed_tick: _Optional[int] = ...) -> None: ...

class DurableAck(_message.Message):
    __slots__ = ("session_id", "committed_seq")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_SEQ_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    committed_seq: int
    def __init__(self, session_id: _Optional[str] = ..., committed_seq: _Optional[int] = ...) -> None: ...

class LapCompleted(_message.Message):
    __slots__ = ("lap", "report")
    LAP_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    lap: _analysis_pb2.LapAnalysis
    report: _coaching_pb2.LapReport
    def __init__(self, lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., report: _Optional[_Union[_coaching_pb2.LapReport, _Mapping]] = ...) -> None: ...

class BatchError(_message.Message):
    __slots__ = ("session_id", "seq", "reason", "message")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    reason: BatchErrorReason
    message: str
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., reason: _Optional[_Union[BatchErrorReason, str]] = ..., message: _Optional[str] = ...) -> None: ...

class SessionClosed(_message.Message):
    __slots__ = ("session_id", "committed_seq", "lap_count")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_SEQ_FIELD_NUMBER: _ClassVar[int]
    LAP_COUNT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    committed_seq: int
    lap_count: int
    def __init__(self, session_id: _Optional[str] = ..., committed_seq: _Optional[int] = ..., lap_count: _Optional[int] = ...) -> None: ...

class StreamResponse(_message.Message):
    __slots__ = ("accepted", "ack", "lap_completed", "cue", "error", "closed")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    LAP_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CUE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    accepted: SessionAccepted
    ack: DurableAck
    lap_completed: LapCompleted
    cue: _coaching_pb2.LiveCue
    error: BatchError
    closed: SessionClosed
    def __init__(self, accepted: _Optional[_Union[SessionAccepted, _Mapping]] = ..., ack: _Optional[_Union[DurableAck, _Mapping]] = ..., lap_completed: _Optional[_Union[LapCompleted, _Mapping]] = ..., cue: _Optional[_Union[_coaching_pb2.LiveCue, _Mapping]] = ..., error: _Optional[_Union[BatchError, _Mapping]] = ..., closed: _Optional[_Union[SessionClosed, _Mapping]] = ...) -> None: ...

import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
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

class WriteErrorCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WRITE_ERROR_CODE_UNSPECIFIED: _ClassVar[WriteErrorCode]
    WRITE_ERROR_CODE_INVALID_BATCH: _ClassVar[WriteErrorCode]
    WRITE_ERROR_CODE_UNKNOWN_SESSION: _ClassVar[WriteErrorCode]
    WRITE_ERROR_CODE_PERMISSION_DENIED: _ClassVar[WriteErrorCode]
    WRITE_ERROR_CODE_INVALID_LAP: _ClassVar[WriteErrorCode]
    WRITE_ERROR_CODE_SEQ_GAP: _ClassVar[WriteErrorCode]

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_PARQUET: _ClassVar[ExportFormat]
WRITE_ERROR_CODE_UNSPECIFIED: WriteErrorCode
WRITE_ERROR_CODE_INVALID_BATCH: WriteErrorCode
WRITE_ERROR_CODE_UNKNOWN_SESSION: WriteErrorCode
WRITE_ERROR_CODE_PERMISSION_DENIED: WriteErrorCode
WRITE_ERROR_CODE_INVALID_LAP: WriteErrorCode
WRITE_ERROR_CODE_SEQ_GAP: WriteErrorCode
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_PARQUET: ExportFormat

class WriteRequest(_message.Message):
    __slots__ = ("request_id", "session", "batch", "lap", "report", "batches")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    session: _telemetry_pb2.Session
    batch: _telemetry_pb2.TelemetryBatch
    lap: _analysis_pb2.LapAnalysis
    report: _coaching_pb2.LapReport
    batches: WriteBatchRun
    def __init__(self, request_id: _Optional[int] = ..., session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., batch: _Optional[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]] = ..., lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., report: _Optional[_Union[_coaching_pb2.LapReport, _Mapping]] = ..., batches: _Optional[_Union[WriteBatchRun, _Mapping]] = ...) -> None: ...

class WriteBatchRun(_message.Message):
    __slots__ = ("batches",)
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.TelemetryBatch]
    def __init__(self, batches: _Optional[_Iterable[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]]] = ...) -> None: ...

class WriteBatchRunRawView(_message.Message):
    __slots__ = ("batches",)
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.TelemetryBatchRawView]
    def __init__(self, batches: _Optional[_Iterable[_Union[_telemetry_pb2.TelemetryBatchRawView, _Mapping]]] = ...) -> None: ...

class WriteRequestRawView(_message.Message):
    __slots__ = ("request_id", "session", "batch", "lap", "report", "batches")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    session: _telemetry_pb2.Session
    batch: _telemetry_pb2.TelemetryBatchRawView
    lap: _analysis_pb2.LapAnalysis
    report: _coaching_pb2.LapReport
    batches: WriteBatchRunRawView
    def __init__(self, request_id: _Optional[int] = ..., session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., batch: _Optional[_Union[_telemetry_pb2.TelemetryBatchRawView, _Mapping]] = ..., lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., report: _Optional[_Union[_coaching_pb2.LapReport, _Mapping]] = ..., batches: _Optional[_Union[WriteBatchRunRawView, _Mapping]] = ...) -> None: ...

class WriteError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: WriteErrorCode
    message: str
    def __init__(self, code: _Optional[_Union[WriteErrorCode, str]] = ..., message: _Optional[str] = ...) -> None: ...

class WriteResponse(_message.Message):
    __slots__ = ("request_id", "session_id", "committed_seq", "error", "committed_tick", "refused_seq")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_SEQ_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_TICK_FIELD_NUMBER: _ClassVar[int]
    REFUSED_SEQ_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    session_id: str
    committed_seq: int
    error: WriteError
    committed_tick: int
    refused_seq: int
    def __init__(self, request_id: _Optional[int] = ..., session_id: _Optional[str] = ..., committed_seq: _Optional[int] = ..., error: _Optional[_Union[WriteError, _Mapping]] = ..., committed_tick: _Optional[int] = ..., refused_seq: _Optional[int] = ...) -> None: ...

class GetCommittedSeqRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetCommittedSeqResponse(_message.Message):
    __slots__ = ("committed_seq", "exists")
    COMMITTED_SEQ_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    committed_seq: int
    exists: bool
    def __init__(self, committed_seq: _Optional[int] = ..., exists: _Optional[bool] = ...) -> None: ...

class GetReferenceLapRequest(_message.Message):
    __slots__ = ("lap_id", "reference", "session")
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    reference: _analysis_pb2.ReferenceKind
    session: _telemetry_pb2.Session
    def __init__(self, lap_id: _Optional[str] = ..., reference: _Optional[_Union[_analysis_pb2.ReferenceKind, str]] = ..., session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ...) -> None: ...

class GetReferenceLapResponse(_message.Message):
    __slots__ = ("found", "lap")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    found: bool
    lap: _analysis_pb2.LapAnalysis
    def __init__(self, found: _Optional[bool] = ..., lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ...) -> None: ...

class TrackCorner(_message.Message):
    __slots__ = ("number", "entry_m", "apex_m", "exit_m", "direction", "laps_seen", "name")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ENTRY_M_FIELD_NUMBER: _ClassVar[int]
    APEX_M_FIELD_NUMBER: _ClassVar[int]
    EXIT_M_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    LAPS_SEEN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    number: int
    entry_m: float
    apex_m: float
    exit_m: float
    direction: _analysis_pb2.CornerDirection
    laps_seen: int
    name: str
    def __init__(self, number: _Optional[int] = ..., entry_m: _Optional[float] = ..., apex_m: _Optional[float] = ..., exit_m: _Optional[float] = ..., direction: _Optional[_Union[_analysis_pb2.CornerDirection, str]] = ..., laps_seen: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class GetTrackCornersRequest(_message.Message):
    __slots__ = ("track_name", "layout")
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    track_name: str
    layout: str
    def __init__(self, track_name: _Optional[str] = ..., layout: _Optional[str] = ...) -> None: ...

class GetTrackCornersResponse(_message.Message):
    __slots__ = ("corners", "version")
    CORNERS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    corners: _containers.RepeatedCompositeFieldContainer[TrackCorner]
    version: int
    def __init__(self, corners: _Optional[_Iterable[_Union[TrackCorner, _Mapping]]] = ..., version: _Optional[int] = ...) -> None: ...

class PutTrackCornersRequest(_message.Message):
    __slots__ = ("track_name", "layout", "corners", "base_version")
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    CORNERS_FIELD_NUMBER: _ClassVar[int]
    BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    track_name: str
    layout: str
    corners: _containers.RepeatedCompositeFieldContainer[TrackCorner]
    base_version: int
    def __init__(self, track_name: _Optional[str] = ..., layout: _Optional[str] = ..., corners: _Optional[_Iterable[_Union[TrackCorner, _Mapping]]] = ..., base_version: _Optional[int] = ...) -> None: ...

class PutTrackCornersResponse(_message.Message):
    __slots__ = ("stored", "version")
    STORED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    stored: int
    version: int
    def __init__(self, stored: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIResponse(_message.Message):
    __slots__ = ("user_id", "email")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "track", "car", "started_after", "started_before")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    CAR_FIELD_NUMBER: _ClassVar[int]
    STARTED_AFTER_FIELD_NUMBER: _ClassVar[int]
    STARTED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    track: str
    car: str
    started_after: _timestamp_pb2.Timestamp
    started_before: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., track: _Optional[str] = ..., car: _Optional[str] = ..., started_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SessionSummary(_message.Message):
    __slots__ = ("session", "lap_count", "best_lap_time", "sample_count", "created_time")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    LAP_COUNT_FIELD_NUMBER: _ClassVar[int]
    BEST_LAP_TIME_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    lap_count: int
    best_lap_time: _duration_pb2.Duration
    sample_count: int
    created_time: _timestamp_pb2.Timestamp
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., lap_count: _Optional[int] = ..., best_lap_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., sample_count: _Optional[int] = ..., created_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SessionSummary]
    next_page_token: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[SessionSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("summary", "laps")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LAPS_FIELD_NUMBER: _ClassVar[int]
    summary: SessionSummary
    laps: _containers.RepeatedCompositeFieldContainer[_analysis_pb2.LapAnalysis]
    def __init__(self, summary: _Optional[_Union[SessionSummary, _Mapping]] = ..., laps: _Optional[_Iterable[_Union[_analysis_pb2.LapAnalysis, _Mapping]]] = ...) -> None: ...

class GetLapRequest(_message.Message):
    __slots__ = ("lap_id",)
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    def __init__(self, lap_id: _Optional[str] = ...) -> None: ...

class GetLapResponse(_message.Message):
    __slots__ = ("session", "lap", "report")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    lap: _analysis_pb2.LapAnalysis
    report: _coaching_pb2.LapReport
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., report: _Optional[_Union[_coaching_pb2.LapReport, _Mapping]] = ...) -> None: ...

class StreamLapTelemetryRequest(_message.Message):
    __slots__ = ("lap_id", "max_samples", "chunk_samples", "channels")
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    max_samples: int
    chunk_samples: int
    channels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, lap_id: _Optional[str] = ..., max_samples: _Optional[int] = ..., chunk_samples: _Optional[int] = ..., channels: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamLapTelemetryResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _telemetry_pb2.TelemetryBatch
    def __init__(self, chunk: _Optional[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]] = ...) -> None: ...

class StreamSessionTelemetryRequest(_message.Message):
    __slots__ = ("session_id", "from_session_time_s", "channels", "chunk_samples")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    from_session_time_s: float
    channels: _containers.RepeatedScalarFieldContainer[str]
    chunk_samples: int
    def __init__(self, session_id: _Optional[str] = ..., from_session_time_s: _Optional[float] = ..., channels: _Optional[_Iterable[str]] = ..., chunk_samples: _Optional[int] = ...) -> None: ...

class StreamSessionTelemetryResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _telemetry_pb2.TelemetryBatch
    def __init__(self, chunk: _Optional[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]] = ...) -> None: ...

class GetLapComparisonRequest(_message.Message):
    __slots__ = ("lap_id", "reference_lap_id", "step_m")
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_LAP_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_M_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    reference_lap_id: str
    step_m: float
    def __init__(self, lap_id: _Optional[str] = ..., reference_lap_id: _Optional[str] = ..., step_m: _Optional[float] = ...) -> None: ...

class LapTrace(_message.Message):
    __slots__ = ("lap", "elapsed_s", "speed_mps", "throttle", "brake", "gear")
    LAP_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_S_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_FIELD_NUMBER: _ClassVar[int]
    BRAKE_FIELD_NUMBER: _ClassVar[int]
    GEAR_FIELD_NUMBER: _ClassVar[int]
    lap: _analysis_pb2.LapAnalysis
    elapsed_s: _containers.RepeatedScalarFieldContainer[float]
    speed_mps: _containers.RepeatedScalarFieldContainer[float]
    throttle: _containers.RepeatedScalarFieldContainer[float]
    brake: _containers.RepeatedScalarFieldContainer[float]
    gear: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., elapsed_s: _Optional[_Iterable[float]] = ..., speed_mps: _Optional[_Iterable[float]] = ..., throttle: _Optional[_Iterable[float]] = ..., brake: _Optional[_Iterable[float]] = ..., gear: _Optional[_Iterable[float]] = ...) -> None: ...

class GetLapComparisonResponse(_message.Message):
    __slots__ = ("step_m", "lap", "reference")
    STEP_M_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    step_m: float
    lap: LapTrace
    reference: LapTrace
    def __init__(self, step_m: _Optional[float] = ..., lap: _Optional[_Union[LapTrace, _Mapping]] = ..., reference: _Optional[_Union[LapTrace, _Mapping]] = ...) -> None: ...

class ListChannelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListChannelsResponse(_message.Message):
    __slots__ = ("channels",)
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    channels: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.ChannelInfo]
    def __init__(self, channels: _Optional[_Iterable[_Union[_telemetry_pb2.ChannelInfo, _Mapping]]] = ...) -> None: ...

class ExportFileChunk(_message.Message):
    __slots__ = ("content_type", "filename", "data")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    filename: str
    data: bytes
    def __init__(self, content_type: _Optional[str] = ..., filename: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExportLapRequest(_message.Message):
    __slots__ = ("lap_id", "format", "channels")
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    format: ExportFormat
    channels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, lap_id: _Optional[str] = ..., format: _Optional[_Union[ExportFormat, str]] = ..., channels: _Optional[_Iterable[str]] = ...) -> None: ...

class ExportLapResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: ExportFileChunk
    def __init__(self, chunk: _Optional[_Union[ExportFileChunk, _Mapping]] = ...) -> None: ...

class ExportSessionRequest(_message.Message):
    __slots__ = ("session_id", "format", "channels")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    format: ExportFormat
    channels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, session_id: _Optional[str] = ..., format: _Optional[_Union[ExportFormat, str]] = ..., channels: _Optional[_Iterable[str]] = ...) -> None: ...

class ExportSessionResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: ExportFileChunk
    def __init__(self, chunk: _Optional[_Union[ExportFileChunk, _Mapping]] = ...) -> None: ...

class ListUnfinishedSessionsRequest(_message.Message):
    __slots__ = ("session_id", "page_size", "page_token")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    page_size: int
    page_token: str
    def __init__(self, session_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class UnfinishedSession(_message.Message):
    __slots__ = ("session", "resume_from_s", "stored_lap_numbers", "unreported_lap_numbers", "unanalysed_crossings")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    RESUME_FROM_S_FIELD_NUMBER: _ClassVar[int]
    STORED_LAP_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    UNREPORTED_LAP_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    UNANALYSED_CROSSINGS_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    resume_from_s: float
    stored_lap_numbers: _containers.RepeatedScalarFieldContainer[int]
    unreported_lap_numbers: _containers.RepeatedScalarFieldContainer[int]
    unanalysed_crossings: int
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., resume_from_s: _Optional[float] = ..., stored_lap_numbers: _Optional[_Iterable[int]] = ..., unreported_lap_numbers: _Optional[_Iterable[int]] = ..., unanalysed_crossings: _Optional[int] = ...) -> None: ...

class ListUnfinishedSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[UnfinishedSession]
    next_page_token: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[UnfinishedSession, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from racecoach.telemetry.v1 import telemetry_pb2 as _telemetry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LapFlag(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LAP_FLAG_UNSPECIFIED: _ClassVar[LapFlag]
    LAP_FLAG_OUT_LAP: _ClassVar[LapFlag]
    LAP_FLAG_IN_LAP: _ClassVar[LapFlag]
    LAP_FLAG_INCOMPLETE: _ClassVar[LapFlag]
    LAP_FLAG_RESET: _ClassVar[LapFlag]
    LAP_FLAG_OFF_TRACK: _ClassVar[LapFlag]
    LAP_FLAG_PIT: _ClassVar[LapFlag]
    LAP_FLAG_SPIN: _ClassVar[LapFlag]
    LAP_FLAG_NEAR_STOP: _ClassVar[LapFlag]

class CornerPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CORNER_PHASE_UNSPECIFIED: _ClassVar[CornerPhase]
    CORNER_PHASE_APPROACH: _ClassVar[CornerPhase]
    CORNER_PHASE_BRAKING: _ClassVar[CornerPhase]
    CORNER_PHASE_ENTRY: _ClassVar[CornerPhase]
    CORNER_PHASE_APEX: _ClassVar[CornerPhase]
    CORNER_PHASE_EXIT: _ClassVar[CornerPhase]
    CORNER_PHASE_STRAIGHT: _ClassVar[CornerPhase]

class CornerDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CORNER_DIRECTION_UNSPECIFIED: _ClassVar[CornerDirection]
    CORNER_DIRECTION_LEFT: _ClassVar[CornerDirection]
    CORNER_DIRECTION_RIGHT: _ClassVar[CornerDirection]

class ReferenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFERENCE_KIND_UNSPECIFIED: _ClassVar[ReferenceKind]
    REFERENCE_KIND_SESSION_BEST: _ClassVar[ReferenceKind]
    REFERENCE_KIND_PERSONAL_BEST: _ClassVar[ReferenceKind]
    REFERENCE_KIND_LAP: _ClassVar[ReferenceKind]
LAP_FLAG_UNSPECIFIED: LapFlag
LAP_FLAG_OUT_LAP: LapFlag
LAP_FLAG_IN_LAP: LapFlag
LAP_FLAG_INCOMPLETE: LapFlag
LAP_FLAG_RESET: LapFlag
LAP_FLAG_OFF_TRACK: LapFlag
LAP_FLAG_PIT: LapFlag
LAP_FLAG_SPIN: LapFlag
LAP_FLAG_NEAR_STOP: LapFlag
CORNER_PHASE_UNSPECIFIED: CornerPhase
CORNER_PHASE_APPROACH: CornerPhase
CORNER_PHASE_BRAKING: CornerPhase
CORNER_PHASE_ENTRY: CornerPhase
CORNER_PHASE_APEX: CornerPhase
CORNER_PHASE_EXIT: CornerPhase
CORNER_PHASE_STRAIGHT: CornerPhase
CORNER_DIRECTION_UNSPECIFIED: CornerDirection
CORNER_DIRECTION_LEFT: CornerDirection
CORNER_DIRECTION_RIGHT: CornerDirection
REFERENCE_KIND_UNSPECIFIED: ReferenceKind
REFERENCE_KIND_SESSION_BEST: ReferenceKind
REFERENCE_KIND_PERSONAL_BEST: ReferenceKind
REFERENCE_KIND_LAP: ReferenceKind

class BrakingZone(_message.Message):
    __slots__ = ("index", "brake_point_m", "end_m", "entry_speed_mps", "peak_brake", "min_speed_mps", "min_speed_dist_m", "duration_s", "trail_brake_fraction", "trail_brake_dist_m", "corner_number")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    BRAKE_POINT_M_FIELD_NUMBER: _ClassVar[int]
    END_M_FIELD_NUMBER: _ClassVar[int]
    ENTRY_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    PEAK_BRAKE_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEED_DIST_M_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    TRAIL_BRAKE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TRAIL_BRAKE_DIST_M_FIELD_NUMBER: _ClassVar[int]
    CORNER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    index: int
    brake_point_m: float
    end_m: float
    entry_speed_mps: float
    peak_brake: float
    min_speed_mps: float
    min_speed_dist_m: float
    duration_s: float
    trail_brake_fraction: float
    trail_brake_dist_m: float
    corner_number: int
    def __init__(self, index: _Optional[int] = ..., brake_point_m: _Optional[float] = ..., end_m: _Optional[float] = ..., entry_speed_mps: _Optional[float] = ..., peak_brake: _Optional[float] = ..., min_speed_mps: _Optional[float] = ..., min_speed_dist_m: _Optional[float] = ..., duration_s: _Optional[float] = ..., trail_brake_fraction: _Optional[float] = ..., trail_brake_dist_m: _Optional[float] = ..., corner_number: _Optional[int] = ...) -> None: ...

class Corner(_message.Message):
    __slots__ = ("number", "entry_m", "apex_m", "exit_m", "apex_speed_mps", "max_lat_g", "direction", "throttle_on_m", "coasting_m", "time_in_corner_s", "braked", "brake_onset_m", "peak_brake", "entry_speed_mps", "exit_speed_mps", "full_throttle_m", "approach_coasting_m", "approach_coasting_start_m", "lift_m", "lift_start_m", "brake_release_m", "name", "final_brake_onset_m")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ENTRY_M_FIELD_NUMBER: _ClassVar[int]
    APEX_M_FIELD_NUMBER: _ClassVar[int]
    EXIT_M_FIELD_NUMBER: _ClassVar[int]
    APEX_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    MAX_LAT_G_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_ON_M_FIELD_NUMBER: _ClassVar[int]
    COASTING_M_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_CORNER_S_FIELD_NUMBER: _ClassVar[int]
    BRAKED_FIELD_NUMBER: _ClassVar[int]
    BRAKE_ONSET_M_FIELD_NUMBER: _ClassVar[int]
    PEAK_BRAKE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    EXIT_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    FULL_THROTTLE_M_FIELD_NUMBER: _ClassVar[int]
    APPROACH_COASTING_M_FIELD_NUMBER: _ClassVar[int]
    APPROACH_COASTING_START_M_FIELD_NUMBER: _ClassVar[int]
    LIFT_M_FIELD_NUMBER: _ClassVar[int]
    LIFT_START_M_FIELD_NUMBER: _ClassVar[int]
    BRAKE_RELEASE_M_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FINAL_BRAKE_ONSET_M_FIELD_NUMBER: _ClassVar[int]
    number: int
    entry_m: float
    apex_m: float
    exit_m: float
    apex_speed_mps: float
    max_lat_g: float
    direction: CornerDirection
    throttle_on_m: float
    coasting_m: float
    time_in_corner_s: float
    braked: bool
    brake_onset_m: float
    peak_brake: float
    entry_speed_mps: float
    exit_speed_mps: float
    full_throttle_m: float
    approach_coasting_m: float
    approach_coasting_start_m: float
    lift_m: float
    lift_start_m: float
    brake_release_m: float
    name: str
    final_brake_onset_m: float
    def __init__(self, number: _Optional[int] = ..., entry_m: _Optional[float] = ..., apex_m: _Optional[float] = ..., exit_m: _Optional[float] = ..., apex_speed_mps: _Optional[float] = ..., max_lat_g: _Optional[float] = ..., direction: _Optional[_Union[CornerDirection, str]] = ..., throttle_on_m: _Optional[float] = ..., coasting_m: _Optional[float] = ..., time_in_corner_s: _Optional[float] = ..., braked: _Optional[bool] = ..., brake_onset_m: _Optional[float] = ..., peak_brake: _Optional[float] = ..., entry_speed_mps: _Optional[float] = ..., exit_speed_mps: _Optional[float] = ..., full_throttle_m: _Optional[float] = ..., approach_coasting_m: _Optional[float] = ..., approach_coasting_start_m: _Optional[float] = ..., lift_m: _Optional[float] = ..., lift_start_m: _Optional[float] = ..., brake_release_m: _Optional[float] = ..., name: _Optional[str] = ..., final_brake_onset_m: _Optional[float] = ...) -> None: ...

class LapAnalysis(_message.Message):
    __slots__ = ("session_id", "lap_id", "lap_number", "lap_time", "start_session_time_s", "end_session_time_s", "valid", "flags", "braking_zones", "corners", "distance_m", "max_speed_mps", "sample_count")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    LAP_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LAP_TIME_FIELD_NUMBER: _ClassVar[int]
    START_SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    END_SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    BRAKING_ZONES_FIELD_NUMBER: _ClassVar[int]
    CORNERS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    MAX_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    lap_id: str
    lap_number: int
    lap_time: _duration_pb2.Duration
    start_session_time_s: float
    end_session_time_s: float
    valid: bool
    flags: _containers.RepeatedScalarFieldContainer[LapFlag]
    braking_zones: _containers.RepeatedCompositeFieldContainer[BrakingZone]
    corners: _containers.RepeatedCompositeFieldContainer[Corner]
    distance_m: float
    max_speed_mps: float
    sample_count: int
    def __init__(self, session_id: _Optional[str] = ..., lap_id: _Optional[str] = ..., lap_number: _Optional[int] = ..., lap_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_session_time_s: _Optional[float] = ..., end_session_time_s: _Optional[float] = ..., valid: _Optional[bool] = ..., flags: _Optional[_Iterable[_Union[LapFlag, str]]] = ..., braking_zones: _Optional[_Iterable[_Union[BrakingZone, _Mapping]]] = ..., corners: _Optional[_Iterable[_Union[Corner, _Mapping]]] = ..., distance_m: _Optional[float] = ..., max_speed_mps: _Optional[float] = ..., sample_count: _Optional[int] = ...) -> None: ...

class AnalyzeStreamRequest(_message.Message):
    __slots__ = ("session", "batch")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    batch: _telemetry_pb2.TelemetryBatch
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., batch: _Optional[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]] = ...) -> None: ...

class AnalyzeStreamResponse(_message.Message):
    __slots__ = ("lap", "through_seq", "reference", "comparison")
    LAP_FIELD_NUMBER: _ClassVar[int]
    THROUGH_SEQ_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    lap: LapAnalysis
    through_seq: int
    reference: LapAnalysis
    comparison: CompareLapsResponse
    def __init__(self, lap: _Optional[_Union[LapAnalysis, _Mapping]] = ..., through_seq: _Optional[int] = ..., reference: _Optional[_Union[LapAnalysis, _Mapping]] = ..., comparison: _Optional[_Union[CompareLapsResponse, _Mapping]] = ...) -> None: ...

class AnalyzeLapRequest(_message.Message):
    __slots__ = ("session", "batches", "lap_number")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    LAP_NUMBER_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    batches: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.TelemetryBatch]
    lap_number: int
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., batches: _Optional[_Iterable[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]]] = ..., lap_number: _Optional[int] = ...) -> None: ...

class AnalyzeLapResponse(_message.Message):
    __slots__ = ("lap",)
    LAP_FIELD_NUMBER: _ClassVar[int]
    lap: LapAnalysis
    def __init__(self, lap: _Optional[_Union[LapAnalysis, _Mapping]] = ...) -> None: ...

class CompareLapsRequest(_message.Message):
    __slots__ = ("lap_id", "reference", "reference_lap_id", "step_m")
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_LAP_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_M_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    reference: ReferenceKind
    reference_lap_id: str
    step_m: float
    def __init__(self, lap_id: _Optional[str] = ..., reference: _Optional[_Union[ReferenceKind, str]] = ..., reference_lap_id: _Optional[str] = ..., step_m: _Optional[float] = ...) -> None: ...

class CornerDelta(_message.Message):
    __slots__ = ("corner_number", "start_m", "end_m", "time_loss_s")
    CORNER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    START_M_FIELD_NUMBER: _ClassVar[int]
    END_M_FIELD_NUMBER: _ClassVar[int]
    TIME_LOSS_S_FIELD_NUMBER: _ClassVar[int]
    corner_number: int
    start_m: float
    end_m: float
    time_loss_s: float
    def __init__(self, corner_number: _Optional[int] = ..., start_m: _Optional[float] = ..., end_m: _Optional[float] = ..., time_loss_s: _Optional[float] = ...) -> None: ...

class CompareLapsResponse(_message.Message):
    __slots__ = ("lap_id", "reference_lap_id", "lap_delta", "step_m", "delta_s", "corner_deltas", "phase_deltas")
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_LAP_ID_FIELD_NUMBER: _ClassVar[int]
    LAP_DELTA_FIELD_NUMBER: _ClassVar[int]
    STEP_M_FIELD_NUMBER: _ClassVar[int]
    DELTA_S_FIELD_NUMBER: _ClassVar[int]
    CORNER_DELTAS_FIELD_NUMBER: _ClassVar[int]
    PHASE_DELTAS_FIELD_NUMBER: _ClassVar[int]
    lap_id: str
    reference_lap_id: str
    lap_delta: _duration_pb2.Duration
    step_m: float
    delta_s: _containers.RepeatedScalarFieldContainer[float]
    corner_deltas: _containers.RepeatedCompositeFieldContainer[CornerDelta]
    phase_deltas: _containers.RepeatedCompositeFieldContainer[PhaseDelta]
    def __init__(self, lap_id: _Optional[str] = ..., reference_lap_id: _Optional[str] = ..., lap_delta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., step_m: _Optional[float] = ..., delta_s: _Optional[_Iterable[float]] = ..., corner_deltas: _Optional[_Iterable[_Union[CornerDelta, _Mapping]]] = ..., phase_deltas: _Optional[_Iterable[_Union[PhaseDelta, _Mapping]]] = ...) -> None: ...

class PhaseDelta(_message.Message):
    __slots__ = ("corner_number", "phase", "start_m", "end_m", "time_loss_s")
    CORNER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    START_M_FIELD_NUMBER: _ClassVar[int]
    END_M_FIELD_NUMBER: _ClassVar[int]
    TIME_LOSS_S_FIELD_NUMBER: _ClassVar[int]
    corner_number: int
    phase: CornerPhase
    start_m: float
    end_m: float
    time_loss_s: float
    def __init__(self, corner_number: _Optional[int] = ..., phase: _Optional[_Union[CornerPhase, str]] = ..., start_m: _Optional[float] = ..., end_m: _Optional[float] = ..., time_loss_s: _Optional[float] = ...) -> None: ...

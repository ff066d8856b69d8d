from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from racecoach.analysis.v1 import analysis_pb2 as _analysis_pb2
from racecoach.telemetry.v1 import telemetry_pb2 as _telemetry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FeedbackType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEEDBACK_TYPE_UNSPECIFIED: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_BRAKE_EARLY: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_BRAKE_LATE: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_LOW_APEX_SPEED: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_LATE_THROTTLE: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_COASTING: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_LIFT: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_STRENGTH: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_BRAKE_RELEASE: _ClassVar[FeedbackType]
    FEEDBACK_TYPE_INCIDENT: _ClassVar[FeedbackType]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_MINOR: _ClassVar[Severity]
    SEVERITY_MAJOR: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class CueKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUE_KIND_UNSPECIFIED: _ClassVar[CueKind]
    CUE_KIND_BRAKE_LATER: _ClassVar[CueKind]
    CUE_KIND_BRAKE_EARLIER: _ClassVar[CueKind]
    CUE_KIND_CARRY_SPEED: _ClassVar[CueKind]
    CUE_KIND_THROTTLE_EARLIER: _ClassVar[CueKind]
    CUE_KIND_NO_COASTING: _ClassVar[CueKind]
FEEDBACK_TYPE_UNSPECIFIED: FeedbackType
FEEDBACK_TYPE_BRAKE_EARLY: FeedbackType
FEEDBACK_TYPE_BRAKE_LATE: FeedbackType
FEEDBACK_TYPE_LOW_APEX_SPEED: FeedbackType
FEEDBACK_TYPE_LATE_THROTTLE: FeedbackType
FEEDBACK_TYPE_COASTING: FeedbackType
FEEDBACK_TYPE_LIFT: FeedbackType
FEEDBACK_TYPE_STRENGTH: FeedbackType
FEEDBACK_TYPE_BRAKE_RELEASE: FeedbackType
FEEDBACK_TYPE_INCIDENT: FeedbackType
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_MINOR: Severity
SEVERITY_MAJOR: Severity
SEVERITY_CRITICAL: Severity
CUE_KIND_UNSPECIFIED: CueKind
CUE_KIND_BRAKE_LATER: CueKind
CUE_KIND_BRAKE_EARLIER: CueKind
CUE_KIND_CARRY_SPEED: CueKind
CUE_KIND_THROTTLE_EARLIER: CueKind
CUE_KIND_NO_COASTING: CueKind

class Feedback(_message.Message):
    __slots__ = ("corner_number", "distance_m", "type", "severity", "delta_value", "delta_unit", "time_loss_s", "description", "phase", "corner_name", "corner_loss_s", "evidence", "cause_model")
    CORNER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    DELTA_VALUE_FIELD_NUMBER: _ClassVar[int]
    DELTA_UNIT_FIELD_NUMBER: _ClassVar[int]
    TIME_LOSS_S_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    CORNER_NAME_FIELD_NUMBER: _ClassVar[int]
    CORNER_LOSS_S_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_MODEL_FIELD_NUMBER: _ClassVar[int]
    corner_number: int
    distance_m: float
    type: FeedbackType
    severity: Severity
    delta_value: float
    delta_unit: str
    time_loss_s: float
    description: str
    phase: _analysis_pb2.CornerPhase
    corner_name: str
    corner_loss_s: float
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    cause_model: CauseModelSay
    def __init__(self, corner_number: _Optional[int] = ..., distance_m: _Optional[float] = ..., type: _Optional[_Union[FeedbackType, str]] = ..., severity: _Optional[_Union[Severity, str]] = ..., delta_value: _Optional[float] = ..., delta_unit: _Optional[str] = ..., time_loss_s: _Optional[float] = ..., description: _Optional[str] = ..., phase: _Optional[_Union[_analysis_pb2.CornerPhase, str]] = ..., corner_name: _Optional[str] = ..., corner_loss_s: _Optional[float] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ..., cause_model: _Optional[_Union[CauseModelSay, _Mapping]] = ...) -> None: ...

class CauseModelSay(_message.Message):
    __slots__ = ("probability", "contributions")
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    probability: float
    contributions: _containers.RepeatedCompositeFieldContainer[FeatureContribution]
    def __init__(self, probability: _Optional[float] = ..., contributions: _Optional[_Iterable[_Union[FeatureContribution, _Mapping]]] = ...) -> None: ...

class FeatureContribution(_message.Message):
    __slots__ = ("feature", "value", "unit", "contribution")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    feature: str
    value: float
    unit: str
    contribution: float
    def __init__(self, feature: _Optional[str] = ..., value: _Optional[float] = ..., unit: _Optional[str] = ..., contribution: _Optional[float] = ...) -> None: ...

class Evidence(_message.Message):
    __slots__ = ("name", "value", "reference_value", "unit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: float
    reference_value: float
    unit: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[float] = ..., reference_value: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class LapReport(_message.Message):
    __slots__ = ("session_id", "lap_id", "lap_number", "score", "feedback", "reference_lap_id", "model_version", "summary", "time_within_reach_s", "note")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LAP_ID_FIELD_NUMBER: _ClassVar[int]
    LAP_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_LAP_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TIME_WITHIN_REACH_S_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    lap_id: str
    lap_number: int
    score: float
    feedback: _containers.RepeatedCompositeFieldContainer[Feedback]
    reference_lap_id: str
    model_version: str
    summary: str
    time_within_reach_s: float
    note: str
    def __init__(self, session_id: _Optional[str] = ..., lap_id: _Optional[str] = ..., lap_number: _Optional[int] = ..., score: _Optional[float] = ..., feedback: _Optional[_Iterable[_Union[Feedback, _Mapping]]] = ..., reference_lap_id: _Optional[str] = ..., model_version: _Optional[str] = ..., summary: _Optional[str] = ..., time_within_reach_s: _Optional[float] = ..., note: _Optional[str] = ...) -> None: ...

class ScoreLapRequest(_message.Message):
    __slots__ = ("lap", "reference", "corner_deltas", "phase_deltas")
    LAP_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CORNER_DELTAS_FIELD_NUMBER: _ClassVar[int]
    PHASE_DELTAS_FIELD_NUMBER: _ClassVar[int]
    lap: _analysis_pb2.LapAnalysis
    reference: _analysis_pb2.LapAnalysis
    corner_deltas: _containers.RepeatedCompositeFieldContainer[_analysis_pb2.CornerDelta]
    phase_deltas: _containers.RepeatedCompositeFieldContainer[_analysis_pb2.PhaseDelta]
    def __init__(self, lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., reference: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., corner_deltas: _Optional[_Iterable[_Union[_analysis_pb2.CornerDelta, _Mapping]]] = ..., phase_deltas: _Optional[_Iterable[_Union[_analysis_pb2.PhaseDelta, _Mapping]]] = ...) -> None: ...

class ScoreLapResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: LapReport
    def __init__(self, report: _Optional[_Union[LapReport, _Mapping]] = ...) -> None: ...

class LiveContext(_message.Message):
    __slots__ = ("session", "reference", "last_lap")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_LAP_FIELD_NUMBER: _ClassVar[int]
    session: _telemetry_pb2.Session
    reference: _analysis_pb2.LapAnalysis
    last_lap: _analysis_pb2.LapAnalysis
    def __init__(self, session: _Optional[_Union[_telemetry_pb2.Session, _Mapping]] = ..., reference: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ..., last_lap: _Optional[_Union[_analysis_pb2.LapAnalysis, _Mapping]] = ...) -> None: ...

class LiveCuesRequest(_message.Message):
    __slots__ = ("context", "batch")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    context: LiveContext
    batch: _telemetry_pb2.TelemetryBatch
    def __init__(self, context: _Optional[_Union[LiveContext, _Mapping]] = ..., batch: _Optional[_Union[_telemetry_pb2.TelemetryBatch, _Mapping]] = ...) -> None: ...

class LiveCue(_message.Message):
    __slots__ = ("session_id", "seq", "session_time_s", "kind", "corner_number", "target_distance_m", "lead_distance_m", "text")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CORNER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TARGET_DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    LEAD_DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    session_time_s: float
    kind: CueKind
    corner_number: int
    target_distance_m: float
    lead_distance_m: float
    text: str
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., session_time_s: _Optional[float] = ..., kind: _Optional[_Union[CueKind, str]] = ..., corner_number: _Optional[int] = ..., target_distance_m: _Optional[float] = ..., lead_distance_m: _Optional[float] = ..., text: _Optional[str] = ...) -> None: ...

class LiveCuesResponse(_message.Message):
    __slots__ = ("cue",)
    CUE_FIELD_NUMBER: _ClassVar[int]
    cue: LiveCue
    def __init__(self, cue: _Optional[_Union[LiveCue, _Mapping]] = ...) -> None: ...

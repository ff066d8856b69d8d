import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_TYPE_UNSPECIFIED: _ClassVar[SessionType]
    SESSION_TYPE_PRACTICE: _ClassVar[SessionType]
    SESSION_TYPE_QUALIFY: _ClassVar[SessionType]
    SESSION_TYPE_RACE: _ClassVar[SessionType]
    SESSION_TYPE_TIME_TRIAL: _ClassVar[SessionType]

class SessionSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_SOURCE_UNSPECIFIED: _ClassVar[SessionSource]
    SESSION_SOURCE_LIVE: _ClassVar[SessionSource]
    SESSION_SOURCE_IBT_FILE: _ClassVar[SessionSource]
    SESSION_SOURCE_SIMULATOR: _ClassVar[SessionSource]
    SESSION_SOURCE_REFERENCE_IBT: _ClassVar[SessionSource]
SESSION_TYPE_UNSPECIFIED: SessionType
SESSION_TYPE_PRACTICE: SessionType
SESSION_TYPE_QUALIFY: SessionType
SESSION_TYPE_RACE: SessionType
SESSION_TYPE_TIME_TRIAL: SessionType
SESSION_SOURCE_UNSPECIFIED: SessionSource
SESSION_SOURCE_LIVE: SessionSource
SESSION_SOURCE_IBT_FILE: SessionSource
SESSION_SOURCE_SIMULATOR: SessionSource
SESSION_SOURCE_REFERENCE_IBT: SessionSource

class Track(_message.Message):
    __slots__ = ("track_id", "name", "display_name", "layout", "length_m")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    LENGTH_M_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    name: str
    display_name: str
    layout: str
    length_m: float
    def __init__(self, track_id: _Optional[str] = ..., name: _Optional[str] = ..., display_name: _Optional[str] = ..., layout: _Optional[str] = ..., length_m: _Optional[float] = ...) -> None: ...

class Car(_message.Message):
    __slots__ = ("car_id", "name", "path")
    CAR_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    car_id: str
    name: str
    path: str
    def __init__(self, car_id: _Optional[str] = ..., name: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "track", "car", "session_type", "start_time", "driver_name", "tick_rate_hz", "source", "source_name")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    CAR_FIELD_NUMBER: _ClassVar[int]
    SESSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DRIVER_NAME_FIELD_NUMBER: _ClassVar[int]
    TICK_RATE_HZ_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    track: Track
    car: Car
    session_type: SessionType
    start_time: _timestamp_pb2.Timestamp
    driver_name: str
    tick_rate_hz: float
    source: SessionSource
    source_name: str
    def __init__(self, session_id: _Optional[str] = ..., track: _Optional[_Union[Track, _Mapping]] = ..., car: _Optional[_Union[Car, _Mapping]] = ..., session_type: _Optional[_Union[SessionType, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., driver_name: _Optional[str] = ..., tick_rate_hz: _Optional[float] = ..., source: _Optional[_Union[SessionSource, str]] = ..., source_name: _Optional[str] = ...) -> None: ...

class TelemetryBatch(_message.Message):
    __slots__ = ("session_id", "seq", "sample_count", "first_session_time_s", "session_time_s", "lap", "lap_dist_m", "lap_dist_pct", "speed_mps", "throttle", "brake", "clutch", "steering_rad", "gear", "rpm", "lat_accel_mps2", "long_accel_mps2", "vert_accel_mps2", "yaw_rate_rps", "pitch_rate_rps", "roll_rate_rps", "yaw_rad", "pitch_rad", "roll_rad", "velocity_x_mps", "velocity_y_mps", "velocity_z_mps", "lat_deg", "lon_deg", "alt_m", "track_surface", "on_pit_road", "session_flags", "brake_pressure_lf_bar", "brake_pressure_rf_bar", "brake_pressure_lr_bar", "brake_pressure_rr_bar", "tyre_temp_lf_c", "tyre_temp_rf_c", "tyre_temp_lr_c", "tyre_temp_rr_c", "tyre_wear_lf", "tyre_wear_rf", "tyre_wear_lr", "tyre_wear_rr", "fuel_level_l", "air_temp_c", "track_temp_c", "lap_last_lap_time_s", "lap_current_lap_time_s")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    LAP_DIST_M_FIELD_NUMBER: _ClassVar[int]
    LAP_DIST_PCT_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_FIELD_NUMBER: _ClassVar[int]
    BRAKE_FIELD_NUMBER: _ClassVar[int]
    CLUTCH_FIELD_NUMBER: _ClassVar[int]
    STEERING_RAD_FIELD_NUMBER: _ClassVar[int]
    GEAR_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    LAT_ACCEL_MPS2_FIELD_NUMBER: _ClassVar[int]
    LONG_ACCEL_MPS2_FIELD_NUMBER: _ClassVar[int]
    VERT_ACCEL_MPS2_FIELD_NUMBER: _ClassVar[int]
    YAW_RATE_RPS_FIELD_NUMBER: _ClassVar[int]
    PITCH_RATE_RPS_FIELD_NUMBER: _ClassVar[int]
    ROLL_RATE_RPS_FIELD_NUMBER: _ClassVar[int]
    YAW_RAD_FIELD_NUMBER: _ClassVar[int]
    PITCH_RAD_FIELD_NUMBER: _ClassVar[int]
    ROLL_RAD_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_X_MPS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_Y_MPS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_Z_MPS_FIELD_NUMBER: _ClassVar[int]
    LAT_DEG_FIELD_NUMBER: _ClassVar[int]
    LON_DEG_FIELD_NUMBER: _ClassVar[int]
    ALT_M_FIELD_NUMBER: _ClassVar[int]
    TRACK_SURFACE_FIELD_NUMBER: _ClassVar[int]
    ON_PIT_ROAD_FIELD_NUMBER: _ClassVar[int]
    SESSION_FLAGS_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_LF_BAR_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_RF_BAR_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_LR_BAR_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_RR_BAR_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_LF_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_RF_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_LR_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_RR_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_LF_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_RF_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_LR_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_RR_FIELD_NUMBER: _ClassVar[int]
    FUEL_LEVEL_L_FIELD_NUMBER: _ClassVar[int]
    AIR_TEMP_C_FIELD_NUMBER: _ClassVar[int]
    TRACK_TEMP_C_FIELD_NUMBER: _ClassVar[int]
    LAP_LAST_LAP_TIME_S_FIELD_NUMBER: _ClassVar[int]
    LAP_CURRENT_LAP_TIME_S_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    sample_count: int
    first_session_time_s: float
    session_time_s: _containers.RepeatedScalarFieldContainer[float]
    lap: _containers.RepeatedScalarFieldContainer[float]
    lap_dist_m: _containers.RepeatedScalarFieldContainer[float]
    lap_dist_pct: _containers.RepeatedScalarFieldContainer[float]
    speed_mps: _containers.RepeatedScalarFieldContainer[float]
    throttle: _containers.RepeatedScalarFieldContainer[float]
    brake: _containers.RepeatedScalarFieldContainer[float]
    clutch: _containers.RepeatedScalarFieldContainer[float]
    steering_rad: _containers.RepeatedScalarFieldContainer[float]
    gear: _containers.RepeatedScalarFieldContainer[float]
    rpm: _containers.RepeatedScalarFieldContainer[float]
    lat_accel_mps2: _containers.RepeatedScalarFieldContainer[float]
    long_accel_mps2: _containers.RepeatedScalarFieldContainer[float]
    vert_accel_mps2: _containers.RepeatedScalarFieldContainer[float]
    yaw_rate_rps: _containers.RepeatedScalarFieldContainer[float]
    pitch_rate_rps: _containers.RepeatedScalarFieldContainer[float]
    roll_rate_rps: _containers.RepeatedScalarFieldContainer[float]
    yaw_rad: _containers.RepeatedScalarFieldContainer[float]
    pitch_rad: _containers.RepeatedScalarFieldContainer[float]
    roll_rad: _containers.RepeatedScalarFieldContainer[float]
    velocity_x_mps: _containers.RepeatedScalarFieldContainer[float]
    velocity_y_mps: _containers.RepeatedScalarFieldContainer[float]
    velocity_z_mps: _containers.RepeatedScalarFieldContainer[float]
    lat_deg: _containers.RepeatedScalarFieldContainer[float]
    lon_deg: _containers.RepeatedScalarFieldContainer[float]
    alt_m: _containers.RepeatedScalarFieldContainer[float]
    track_surface: _containers.RepeatedScalarFieldContainer[float]
    on_pit_road: _containers.RepeatedScalarFieldContainer[float]
    session_flags: _containers.RepeatedScalarFieldContainer[int]
    brake_pressure_lf_bar: _containers.RepeatedScalarFieldContainer[float]
    brake_pressure_rf_bar: _containers.RepeatedScalarFieldContainer[float]
    brake_pressure_lr_bar: _containers.RepeatedScalarFieldContainer[float]
    brake_pressure_rr_bar: _containers.RepeatedScalarFieldContainer[float]
    tyre_temp_lf_c: _containers.RepeatedScalarFieldContainer[float]
    tyre_temp_rf_c: _containers.RepeatedScalarFieldContainer[float]
    tyre_temp_lr_c: _containers.RepeatedScalarFieldContainer[float]
    tyre_temp_rr_c: _containers.RepeatedScalarFieldContainer[float]
    tyre_wear_lf: _containers.RepeatedScalarFieldContainer[float]
    tyre_wear_rf: _containers.RepeatedScalarFieldContainer[float]
    tyre_wear_lr: _containers.RepeatedScalarFieldContainer[float]
    tyre_wear_rr: _containers.RepeatedScalarFieldContainer[float]
    fuel_level_l: _containers.RepeatedScalarFieldContainer[float]
    air_temp_c: _containers.RepeatedScalarFieldContainer[float]
    track_temp_c: _containers.RepeatedScalarFieldContainer[float]
    lap_last_lap_time_s: _containers.RepeatedScalarFieldContainer[float]
    lap_current_lap_time_s: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., sample_count: _Optional[int] = ..., first_session_time_s: _Optional[float] = ..., session_time_s: _Optional[_Iterable[float]] = ..., lap: _Optional[_Iterable[float]] = ..., lap_dist_m: _Optional[_Iterable[float]] = ..., lap_dist_pct: _Optional[_Iterable[float]] = ..., speed_mps: _Optional[_Iterable[float]] = ..., throttle: _Optional[_Iterable[float]] = ..., brake: _Optional[_Iterable[float]] = ..., clutch: _Optional[_Iterable[float]] = ..., steering_rad: _Optional[_Iterable[float]] = ..., gear: _Optional[_Iterable[float]] = ..., rpm: _Optional[_Iterable[float]] = ..., lat_accel_mps2: _Optional[_Iterable[float]] = ..., long_accel_mps2: _Optional[_Iterable[float]] = ..., vert_accel_mps2: _Optional[_Iterable[float]] = ..., yaw_rate_rps: _Optional[_Iterable[float]] = ..., pitch_rate_rps: _Optional[_Iterable[float]] = ..., roll_rate_rps: _Optional[_Iterable[float]] = ..., yaw_rad: _Optional[_Iterable[float]] = ..., pitch_rad: _Optional[_Iterable[float]] = ..., roll_rad: _Optional[_Iterable[float]] = ..., velocity_x_mps: _Optional[_Iterable[float]] = ..., velocity_y_mps: _Optional[_Iterable[float]] = ..., velocity_z_mps: _Optional[_Iterable[float]] = ..., lat_deg: _Optional[_Iterable[float]] = ..., lon_deg: _Optional[_Iterable[float]] = ..., alt_m: _Optional[_Iterable[float]] = ..., track_surface: _Optional[_Iterable[float]] = ..., on_pit_road: _Optional[_Iterable[float]] = ..., session_flags: _Optional[_Iterable[int]] = ..., brake_pressure_lf_bar: _Optional[_Iterable[float]] = ..., brake_pressure_rf_bar: _Optional[_Iterable[float]] = ..., brake_pressure_lr_bar: _Optional[_Iterable[float]] = ..., brake_pressure_rr_bar: _Optional[_Iterable[float]] = ..., tyre_temp_lf_c: _Optional[_Iterable[float]] = ..., tyre_temp_rf_c: _Optional[_Iterable[float]] = ..., tyre_temp_lr_c: _Optional[_Iterable[float]] = ..., tyre_temp_rr_c: _Optional[_Iterable[float]] = ..., tyre_wear_lf: _Optional[_Iterable[float]] = ..., tyre_wear_rf: _Optional[_Iterable[float]] = ..., tyre_wear_lr: _Optional[_Iterable[float]] = ..., tyre_wear_rr: _Optional[_Iterable[float]] = ..., fuel_level_l: _Optional[_Iterable[float]] = ..., air_temp_c: _Optional[_Iterable[float]] = ..., track_temp_c: _Optional[_Iterable[float]] = ..., lap_last_lap_time_s: _Optional[_Iterable[float]] = ..., lap_current_lap_time_s: _Optional[_Iterable[float]] = ...) -> None: ...

class TelemetryBatchRawView(_message.Message):
    __slots__ = ("session_id", "seq", "sample_count", "first_session_time_s", "session_time_s", "lap", "lap_dist_m", "lap_dist_pct", "speed_mps", "throttle", "brake", "clutch", "steering_rad", "gear", "rpm", "lat_accel_mps2", "long_accel_mps2", "vert_accel_mps2", "yaw_rate_rps", "pitch_rate_rps", "roll_rate_rps", "yaw_rad", "pitch_rad", "roll_rad", "velocity_x_mps", "velocity_y_mps", "velocity_z_mps", "lat_deg", "lon_deg", "alt_m", "track_surface", "on_pit_road", "session_flags", "brake_pressure_lf_bar", "brake_pressure_rf_bar", "brake_pressure_lr_bar", "brake_pressure_rr_bar", "tyre_temp_lf_c", "tyre_temp_rf_c", "tyre_temp_lr_c", "tyre_temp_rr_c", "tyre_wear_lf", "tyre_wear_rf", "tyre_wear_lr", "tyre_wear_rr", "fuel_level_l", "air_temp_c", "track_temp_c", "lap_last_lap_time_s", "lap_current_lap_time_s")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    SESSION_TIME_S_FIELD_NUMBER: _ClassVar[int]
    LAP_FIELD_NUMBER: _ClassVar[int]
    LAP_DIST_M_FIELD_NUMBER: _ClassVar[int]
    LAP_DIST_PCT_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_FIELD_NUMBER: _ClassVar[int]
    BRAKE_FIELD_NUMBER: _ClassVar[int]
    CLUTCH_FIELD_NUMBER: _ClassVar[int]
    STEERING_RAD_FIELD_NUMBER: _ClassVar[int]
    GEAR_FIELD_NUMBER: _ClassVar[int]
    RPM_FIELD_NUMBER: _ClassVar[int]
    LAT_ACCEL_MPS2_FIELD_NUMBER: _ClassVar[int]
    LONG_ACCEL_MPS2_FIELD_NUMBER: _ClassVar[int]
    VERT_ACCEL_MPS2_FIELD_NUMBER: _ClassVar[int]
    YAW_RATE_RPS_FIELD_NUMBER: _ClassVar[int]
    PITCH_RATE_RPS_FIELD_NUMBER: _ClassVar[int]
    ROLL_RATE_RPS_FIELD_NUMBER: _ClassVar[int]
    YAW_RAD_FIELD_NUMBER: _ClassVar[int]
    PITCH_RAD_FIELD_NUMBER: _ClassVar[int]
    ROLL_RAD_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_X_MPS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_Y_MPS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_Z_MPS_FIELD_NUMBER: _ClassVar[int]
    LAT_DEG_FIELD_NUMBER: _ClassVar[int]
    LON_DEG_FIELD_NUMBER: _ClassVar[int]
    ALT_M_FIELD_NUMBER: _ClassVar[int]
    TRACK_SURFACE_FIELD_NUMBER: _ClassVar[int]
    ON_PIT_ROAD_FIELD_NUMBER: _ClassVar[int]
    SESSION_FLAGS_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_LF_BAR_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_RF_BAR_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_LR_BAR_FIELD_NUMBER: _ClassVar[int]
    BRAKE_PRESSURE_RR_BAR_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_LF_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_RF_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_LR_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_TEMP_RR_C_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_LF_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_RF_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_LR_FIELD_NUMBER: _ClassVar[int]
    TYRE_WEAR_RR_FIELD_NUMBER: _ClassVar[int]
    FUEL_LEVEL_L_FIELD_NUMBER: _ClassVar[int]
    AIR_TEMP_C_FIELD_NUMBER: _ClassVar[int]
    TRACK_TEMP_C_FIELD_NUMBER: _ClassVar[int]
    LAP_LAST_LAP_TIME_S_FIELD_NUMBER: _ClassVar[int]
    LAP_CURRENT_LAP_TIME_S_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    sample_count: int
    first_session_time_s: float
    session_time_s: bytes
    lap: bytes
    lap_dist_m: bytes
    lap_dist_pct: bytes
    speed_mps: bytes
    throttle: bytes
    brake: bytes
    clutch: bytes
    steering_rad: bytes
    gear: bytes
    rpm: bytes
    lat_accel_mps2: bytes
    long_accel_mps2: bytes
    vert_accel_mps2: bytes
    yaw_rate_rps: bytes
    pitch_rate_rps: bytes
    roll_rate_rps: bytes
    yaw_rad: bytes
    pitch_rad: bytes
    roll_rad: bytes
    velocity_x_mps: bytes
    velocity_y_mps: bytes
    velocity_z_mps: bytes
    lat_deg: bytes
    lon_deg: bytes
    alt_m: bytes
    track_surface: bytes
    on_pit_road: bytes
    session_flags: bytes
    brake_pressure_lf_bar: bytes
    brake_pressure_rf_bar: bytes
    brake_pressure_lr_bar: bytes
    brake_pressure_rr_bar: bytes
    tyre_temp_lf_c: bytes
    tyre_temp_rf_c: bytes
    tyre_temp_lr_c: bytes
    tyre_temp_rr_c: bytes
    tyre_wear_lf: bytes
    tyre_wear_rf: bytes
    tyre_wear_lr: bytes
    tyre_wear_rr: bytes
    fuel_level_l: bytes
    air_temp_c: bytes
    track_temp_c: bytes
    lap_last_lap_time_s: bytes
    lap_current_lap_time_s: bytes
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., sample_count: _Optional[int] = ..., first_session_time_s: _Optional[float] = ..., session_time_s: _Optional[bytes] = ..., lap: _Optional[bytes] = ..., lap_dist_m: _Optional[bytes] = ..., lap_dist_pct: _Optional[bytes] = ..., speed_mps: _Optional[bytes] = ..., throttle: _Optional[bytes] = ..., brake: _Optional[bytes] = ..., clutch: _Optional[bytes] = ..., steering_rad: _Optional[bytes] = ..., gear: _Optional[bytes] = ..., rpm: _Optional[bytes] = ..., lat_accel_mps2: _Optional[bytes] = ..., long_accel_mps2: _Optional[bytes] = ..., vert_accel_mps2: _Optional[bytes] = ..., yaw_rate_rps: _Optional[bytes] = ..., pitch_rate_rps: _Optional[bytes] = ..., roll_rate_rps: _Optional[bytes] = ..., yaw_rad: _Optional[bytes] = ..., pitch_rad: _Optional[bytes] = ..., roll_rad: _Optional[bytes] = ..., velocity_x_mps: _Optional[bytes] = ..., velocity_y_mps: _Optional[bytes] = ..., velocity_z_mps: _Optional[bytes] = ..., lat_deg: _Optional[bytes] = ..., lon_deg: _Optional[bytes] = ..., alt_m: _Optional[bytes] = ..., track_surface: _Optional[bytes] = ..., on_pit_road: _Optional[bytes] = ..., session_flags: _Optional[bytes] = ..., brake_pressure_lf_bar: _Optional[bytes] = ..., brake_pressure_rf_bar: _Optional[bytes] = ..., brake_pressure_lr_bar: _Optional[bytes] = ..., brake_pressure_rr_bar: _Optional[bytes] = ..., tyre_temp_lf_c: _Optional[bytes] = ..., tyre_temp_rf_c: _Optional[bytes] = ..., tyre_temp_lr_c: _Optional[bytes] = ..., tyre_temp_rr_c: _Optional[bytes] = ..., tyre_wear_lf: _Optional[bytes] = ..., tyre_wear_rf: _Optional[bytes] = ..., tyre_wear_lr: _Optional[bytes] = ..., tyre_wear_rr: _Optional[bytes] = ..., fuel_level_l: _Optional[bytes] = ..., air_temp_c: _Optional[bytes] = ..., track_temp_c: _Optional[bytes] = ..., lap_last_lap_time_s: _Optional[bytes] = ..., lap_current_lap_time_s: _Optional[bytes] = ...) -> None: ...

class ChannelInfo(_message.Message):
    __slots__ = ("field_name", "iracing_name", "unit", "description")
    FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    IRACING_NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field_name: str
    iracing_name: str
    unit: str
    description: str
    def __init__(self, field_name: _Optional[str] = ..., iracing_name: _Optional[str] = ..., unit: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

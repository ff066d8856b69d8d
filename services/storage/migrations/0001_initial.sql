-- Racing Coach schema, version 1.

CREATE TABLE IF NOT EXISTS users (
    user_id     uuid PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS devices (
    device_id   uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS api_tokens (
    token_id     uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    device_id    uuid REFERENCES devices (device_id) ON DELETE SET NULL,
    token_sha256 bytea NOT NULL UNIQUE,
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE IF NOT EXISTS sessions (
    session_pk     bigserial PRIMARY KEY,
    session_id     text NOT NULL UNIQUE,
    user_id        uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    track_id       text NOT NULL DEFAULT '',
    track_name     text NOT NULL DEFAULT '',
    track_display  text NOT NULL DEFAULT '',
    track_layout   text NOT NULL DEFAULT '',
    track_length_m double precision NOT NULL DEFAULT 0,
    car_id         text NOT NULL DEFAULT '',
    car_name       text NOT NULL DEFAULT '',
    car_path       text NOT NULL DEFAULT '',
    session_type   smallint NOT NULL DEFAULT 0,
    source         smallint NOT NULL DEFAULT 0,
    source_name    text NOT NULL DEFAULT '',
    driver_name    text NOT NULL DEFAULT '',
    tick_rate_hz   double precision NOT NULL DEFAULT 60,
    started_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    committed_seq  bigint NOT NULL DEFAULT 0,
    sample_count   bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_user_started ON sessions (user_id, (coalesce(started_at, created_at)) DESC, session_pk DESC);

-- One row per sample. Partitioned by session (native range partitions, or a TimescaleDB
-- hypertable with compression when the extension is present; see database.py).
CREATE TABLE IF NOT EXISTS telemetry_samples (
    session_pk             bigint NOT NULL,
    seq                    bigint NOT NULL,
    idx                    integer NOT NULL,
    session_time_s         double precision NOT NULL,
    lap                    real,
    lap_dist_m             real,
    lap_dist_pct           real,
    speed_mps              real,
    throttle               real,
    brake                  real,
    clutch                 real,
    steering_rad           real,
    gear                   real,
    rpm                    real,
    lat_accel_mps2         real,
    long_accel_mps2        real,
    vert_accel_mps2        real,
    yaw_rate_rps           real,
    pitch_rate_rps         real,
    roll_rate_rps          real,
    yaw_rad                real,
    pitch_rad              real,
    roll_rad               real,
    velocity_x_mps         real,
    velocity_y_mps         real,
    velocity_z_mps         real,
    lat_deg                double precision,
    lon_deg                double precision,
    alt_m                  real,
    track_surface          real,
    on_pit_road            real,
    session_flags          bigint,
    brake_pressure_lf_bar  real,
    brake_pressure_rf_bar  real,
    brake_pressure_lr_bar  real,
    brake_pressure_rr_bar  real,
    tyre_temp_lf_c         real,
    tyre_temp_rf_c         real,
    tyre_temp_lr_c         real,
    tyre_temp_rr_c         real,
    tyre_wear_lf           real,
    tyre_wear_rf           real,
    tyre_wear_lr           real,
    tyre_wear_rr           real,
    fuel_level_l           real,
    air_temp_c             real,
    track_temp_c           real,
    lap_last_lap_time_s    real,
    lap_current_lap_time_s real
) PARTITION BY RANGE (session_pk);

CREATE TABLE IF NOT EXISTS telemetry_batches (
    session_pk           bigint NOT NULL REFERENCES sessions (session_pk) ON DELETE CASCADE,
    seq                  bigint NOT NULL,
    sample_count         integer NOT NULL,
    first_session_time_s double precision NOT NULL,
    stored_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_pk, seq)
);

CREATE TABLE IF NOT EXISTS laps (
    lap_pk               bigserial PRIMARY KEY,
    lap_id               text NOT NULL UNIQUE,
    session_pk           bigint NOT NULL REFERENCES sessions (session_pk) ON DELETE CASCADE,
    lap_number           integer NOT NULL,
    lap_time_s           double precision,
    start_session_time_s double precision NOT NULL,
    end_session_time_s   double precision NOT NULL,
    valid                boolean NOT NULL,
    flags                text[] NOT NULL DEFAULT '{}',
    distance_m           double precision NOT NULL DEFAULT 0,
    max_speed_mps        double precision NOT NULL DEFAULT 0,
    sample_count         integer NOT NULL DEFAULT 0,
    analysis             bytea NOT NULL,
    UNIQUE (session_pk, lap_number)
);

CREATE TABLE IF NOT EXISTS braking_zones (
    lap_pk               bigint NOT NULL REFERENCES laps (lap_pk) ON DELETE CASCADE,
    zone_index           integer NOT NULL,
    brake_point_m        double precision NOT NULL,
    end_m                double precision NOT NULL,
    entry_speed_mps      double precision NOT NULL,
    peak_brake           double precision NOT NULL,
    min_speed_mps        double precision NOT NULL,
    min_speed_dist_m     double precision NOT NULL,
    duration_s           double precision NOT NULL,
    trail_brake_fraction double precision NOT NULL,
    trail_brake_dist_m   double precision NOT NULL,
    corner_number        integer NOT NULL,
    PRIMARY KEY (lap_pk, zone_index)
);

CREATE TABLE IF NOT EXISTS corners (
    lap_pk           bigint NOT NULL REFERENCES laps (lap_pk) ON DELETE CASCADE,
    corner_number    integer NOT NULL,
    entry_m          double precision NOT NULL,
    apex_m           double precision NOT NULL,
    exit_m           double precision NOT NULL,
    apex_speed_mps   double precision NOT NULL,
    max_lat_g        double precision NOT NULL,
    direction        smallint NOT NULL,
    throttle_on_m    double precision NOT NULL,
    coasting_m       double precision NOT NULL,
    time_in_corner_s double precision NOT NULL,
    PRIMARY KEY (lap_pk, corner_number)
);

CREATE TABLE IF NOT EXISTS lap_reports (
    lap_pk           bigint PRIMARY KEY REFERENCES laps (lap_pk) ON DELETE CASCADE,
    score            double precision NOT NULL,
    reference_lap_id text NOT NULL DEFAULT '',
    model_version    text NOT NULL DEFAULT '',
    summary          text NOT NULL DEFAULT '',
    report           bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS feedback (
    lap_pk        bigint NOT NULL REFERENCES lap_reports (lap_pk) ON DELETE CASCADE,
    position      integer NOT NULL,
    corner_number integer NOT NULL,
    distance_m    double precision NOT NULL,
    feedback_type smallint NOT NULL,
    severity      smallint NOT NULL,
    delta_value   double precision NOT NULL,
    delta_unit    text NOT NULL,
    time_loss_s   double precision NOT NULL,
    description   text NOT NULL,
    PRIMARY KEY (lap_pk, position)
);

CREATE TABLE IF NOT EXISTS reference_laps (
    user_id      uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    track_name   text NOT NULL,
    track_layout text NOT NULL,
    car_name     text NOT NULL,
    lap_pk       bigint NOT NULL REFERENCES laps (lap_pk) ON DELETE CASCADE,
    chosen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, track_name, track_layout, car_name)
);

CREATE TABLE IF NOT EXISTS track_corners (
    track_name      text NOT NULL,
    track_layout    text NOT NULL,
    corner_number   integer NOT NULL,
    entry_m         double precision NOT NULL,
    apex_m          double precision NOT NULL,
    exit_m          double precision NOT NULL,
    direction       smallint NOT NULL,
    laps_seen       integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (track_name, track_layout, corner_number)
);

CREATE TABLE IF NOT EXISTS model_versions (
    name        text PRIMARY KEY,
    sha256      text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS telemetry_samples_time ON telemetry_samples (session_pk, session_time_s);

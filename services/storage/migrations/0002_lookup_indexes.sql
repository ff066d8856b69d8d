-- Racing Coach schema, version 2: indexes for the lookups that run on every lap and every sign-in.

-- Session best (GetReferenceLap, CompareLaps, coaching): the fastest valid timed lap of a session.
CREATE INDEX IF NOT EXISTS laps_session_best ON laps (session_pk, lap_time_s, lap_pk)
    WHERE valid AND lap_time_s IS NOT NULL;

-- Personal best: the user's sessions on one track layout in one car.
CREATE INDEX IF NOT EXISTS sessions_user_track_car ON sessions (user_id, track_name, track_layout, car_name);

-- A user's tokens and devices (listing, revoking all, deleting the user) without a table scan.
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id);
CREATE INDEX IF NOT EXISTS devices_user ON devices (user_id);

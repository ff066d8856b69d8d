-- Session ids are chosen by collectors (a replayed file's id is derived from its content), so
-- two users may send the same id: a session is identified by (user, session id), and a lap id
-- (derived from the session id) by (user, lap id).

ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_session_id_key;
CREATE UNIQUE INDEX IF NOT EXISTS sessions_user_session ON sessions (user_id, session_id);

ALTER TABLE laps DROP CONSTRAINT IF EXISTS laps_lap_id_key;
CREATE INDEX IF NOT EXISTS laps_lap_id ON laps (lap_id);

-- A sample's identity is its session and its tick (floor(session_time_s × tick_rate_hz + 0.5)), not the batch
-- (seq) that carried it: the same file sent again in another batching must store nothing twice.
--
-- Writes of a session are serialised by the lock on its sessions row; stored_through_tick is the highest tick
-- the session holds, so a write whose ticks all lie above it is new as a whole (the usual case, copied as it
-- is), and any other write is checked sample by sample against the ticks stored (see new_samples.py). No unique
-- index on (session, tick): a TimescaleDB hypertable cannot hold one without its time column, and on native
-- partitions it would slow every COPY for what the row lock already guarantees.

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS stored_through_tick bigint;

-- Samples stored twice before this migration (the same file replayed with another batch size) came in
-- batches whose session time went back against the previous seq: only those sessions are searched, and of
-- each tick the copy from the earliest batch is kept.
CREATE TEMPORARY TABLE rebatched_sessions ON COMMIT DROP AS
SELECT DISTINCT session_pk FROM (
    SELECT session_pk, first_session_time_s,
           lag(first_session_time_s) OVER (PARTITION BY session_pk ORDER BY seq) AS previous_time_s
    FROM telemetry_batches
) b
WHERE first_session_time_s <= previous_time_s;

DELETE FROM telemetry_samples t
USING (
    SELECT tableoid, ctid FROM (
        SELECT t.tableoid, t.ctid,
               row_number() OVER (PARTITION BY t.session_pk, floor(t.session_time_s * s.tick_rate_hz + 0.5)
                                  ORDER BY t.seq, t.idx) AS copy
        FROM telemetry_samples t JOIN sessions s USING (session_pk)
        WHERE t.session_pk IN (SELECT session_pk FROM rebatched_sessions)
    ) numbered
    WHERE copy > 1
) repeated
WHERE t.tableoid = repeated.tableoid AND t.ctid = repeated.ctid;

UPDATE sessions s SET sample_count = (SELECT count(*) FROM telemetry_samples t WHERE t.session_pk = s.session_pk)
WHERE s.session_pk IN (SELECT session_pk FROM rebatched_sessions);

-- The highest tick of every session: one backward step of the (session_pk, session_time_s) index each.
UPDATE sessions s SET stored_through_tick = (
    SELECT floor(max(t.session_time_s) * s.tick_rate_hz + 0.5)::bigint FROM telemetry_samples t WHERE t.session_pk = s.session_pk
)
WHERE s.stored_through_tick IS NULL;

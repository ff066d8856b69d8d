-- Corner catalogues are shared by every user of a layout, so a write must not silently replace
-- another: each layout has one row holding the catalogue's version, locked (SELECT ... FOR UPDATE)
-- by the write that checks the caller's base version and bumps it. Corners carry their official
-- name where the analysis knows it.

CREATE TABLE IF NOT EXISTS track_catalogues (
    track_name      text NOT NULL,
    track_layout    text NOT NULL,
    version         integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (track_name, track_layout)
);

INSERT INTO track_catalogues (track_name, track_layout, version)
SELECT DISTINCT track_name, track_layout, 1 FROM track_corners
ON CONFLICT (track_name, track_layout) DO NOTHING;

ALTER TABLE track_corners ADD COLUMN IF NOT EXISTS name text NOT NULL DEFAULT '';

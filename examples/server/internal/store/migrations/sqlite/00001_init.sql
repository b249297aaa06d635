-- callguard schema, SQLite dialect. Keep in step with ../postgres/00001_init.sql.
-- Times are TEXT in a fixed-width UTC form (2006-01-02T15:04:05.000000Z) so
-- that they sort as strings; durations are integer milliseconds.

-- +goose Up
CREATE TABLE calls (
    sid         TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL DEFAULT '',
    from_number TEXT NOT NULL DEFAULT '',
    to_number   TEXT NOT NULL DEFAULT '',
    direction   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX calls_created_idx ON calls (created_at DESC, sid DESC);

CREATE TABLE streams (
    sid         TEXT PRIMARY KEY,
    call_sid    TEXT NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    account_sid TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    tracks      TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL CHECK (status IN ('started', 'stopped', 'failed')),
    error       TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    stats       TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX streams_call_idx ON streams (call_sid, started_at, sid);

CREATE TABLE detections (
    id         TEXT PRIMARY KEY,
    call_sid   TEXT NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    track      TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('starting', 'active', 'stopped', 'failed')),
    stream_sid TEXT NOT NULL DEFAULT '',
    simulated  INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1)),
    window_ms  INTEGER NOT NULL DEFAULT 0,
    hop_ms     INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    stopped_at TEXT,
    summary    TEXT,
    error      TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
-- At most one live (starting or active) detection per call and track.
CREATE UNIQUE INDEX detections_live_uq ON detections (call_sid, track) WHERE status IN ('starting', 'active');
CREATE INDEX detections_started_idx ON detections (started_at DESC, id DESC);
CREATE INDEX detections_call_idx ON detections (call_sid, started_at DESC, id DESC);
CREATE INDEX detections_stream_idx ON detections (stream_sid) WHERE stream_sid <> '';

CREATE TABLE verdicts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    detection_id    TEXT NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    call_sid        TEXT NOT NULL,
    track           TEXT NOT NULL,
    window_start_ms INTEGER NOT NULL,
    window_end_ms   INTEGER NOT NULL,
    label           TEXT NOT NULL,
    score           REAL NOT NULL,
    vendor          TEXT NOT NULL DEFAULT '',
    vendor_id       TEXT NOT NULL DEFAULT '',
    latency_ms      INTEGER NOT NULL DEFAULT 0,
    simulated       INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1)),
    error           TEXT NOT NULL DEFAULT '',
    raw             TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (detection_id, window_start_ms)
);
CREATE INDEX verdicts_detection_idx ON verdicts (detection_id, id);
CREATE INDEX verdicts_call_idx ON verdicts (call_sid, id);

CREATE TABLE numbers (
    e164         TEXT PRIMARY KEY,
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    track        TEXT NOT NULL CHECK (track IN ('inbound_track', 'outbound_track', 'both_tracks')),
    action       TEXT NOT NULL CHECK (action IN ('notify', 'announce', 'redirect', 'hangup')),
    redirect_url TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL DEFAULT '',
    hash         BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_created_idx ON api_tokens (created_at, id);

CREATE TABLE actions (
    id           TEXT PRIMARY KEY,
    call_sid     TEXT NOT NULL REFERENCES calls (sid) ON DELETE CASCADE,
    detection_id TEXT REFERENCES detections (id) ON DELETE SET NULL,
    action       TEXT NOT NULL CHECK (action IN ('notify', 'announce', 'redirect', 'hangup')),
    status       TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE INDEX actions_call_idx ON actions (call_sid, created_at, id);

CREATE TABLE action_verdicts (
    action_id  TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    verdict_id INTEGER NOT NULL REFERENCES verdicts (id) ON DELETE CASCADE,
    PRIMARY KEY (action_id, verdict_id)
);
CREATE INDEX action_verdicts_verdict_idx ON action_verdicts (verdict_id);

CREATE TABLE events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    type     TEXT NOT NULL,
    call_sid TEXT NOT NULL DEFAULT '',
    time     TEXT NOT NULL,
    data     TEXT
);
CREATE INDEX events_call_idx ON events (call_sid, seq);
CREATE INDEX events_time_idx ON events (time);

-- +goose Down
DROP TABLE events;
DROP TABLE action_verdicts;
DROP TABLE actions;
DROP TABLE api_tokens;
DROP TABLE numbers;
DROP TABLE verdicts;
DROP TABLE detections;
DROP TABLE streams;
DROP TABLE calls;

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

const streamCols = `sid, call_sid, account_sid, name, tracks, status, error, started_at, ended_at, stats`

func scanStream(r rowScanner) (Stream, error) {
	var st Stream
	var tracks string
	err := r.Scan(&st.Sid, &st.CallSid, &st.AccountSid, &st.Name, &tracks, &st.Status, &st.Error,
		dbTime{&st.StartedAt}, dbTime{&st.EndedAt}, dbJSON{&st.Stats})
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(tracks), &st.Tracks); err != nil {
		return st, fmt.Errorf("store: bad stored tracks %q: %w", tracks, err)
	}
	return st, nil
}

// UpsertStream implements Store.
func (s *sqlStore) UpsertStream(ctx context.Context, st Stream) (Stream, error) {
	switch {
	case st.Sid == "":
		return Stream{}, invalid("stream sid", "empty")
	case st.CallSid == "":
		return Stream{}, invalid("call sid", "empty")
	}
	setStatus := st.Status != ""
	switch st.Status {
	case "":
		st.Status = StreamStarted
	case StreamStarted, StreamStopped, StreamFailed:
	default:
		return Stream{}, invalid("stream status", fmt.Sprintf("%q", st.Status))
	}
	if err := checkJSON("stream stats", st.Stats); err != nil {
		return Stream{}, err
	}
	var tracks any // NULL keeps the stored tracks on update
	if st.Tracks != nil {
		b, _ := json.Marshal(st.Tracks)
		tracks = string(b)
	}
	now := s.nowUTC()
	started := st.StartedAt
	if started.IsZero() {
		started = now
	}
	var out Stream
	err := s.inTx(ctx, func(tx querier) error {
		if err := s.ensureCall(ctx, tx, st.CallSid); err != nil {
			return err
		}
		var err error
		out, err = scanStream(tx.QueryRowContext(ctx, s.rebind(`INSERT INTO streams
			(sid, call_sid, account_sid, name, tracks, status, error, started_at, ended_at, stats, updated_at)
			VALUES (?, ?, ?, ?, COALESCE(?, '[]'), ?, ?, ?, ?, ?, ?)
			ON CONFLICT (sid) DO UPDATE SET
				account_sid = CASE WHEN excluded.account_sid <> '' THEN excluded.account_sid ELSE streams.account_sid END,
				name        = CASE WHEN excluded.name <> '' THEN excluded.name ELSE streams.name END,
				tracks      = CASE WHEN excluded.tracks <> '[]' THEN excluded.tracks ELSE streams.tracks END,
				status      = CASE WHEN ? THEN excluded.status ELSE streams.status END,
				error       = CASE WHEN excluded.error <> '' THEN excluded.error ELSE streams.error END,
				ended_at    = COALESCE(excluded.ended_at, streams.ended_at),
				stats       = COALESCE(excluded.stats, streams.stats),
				updated_at  = excluded.updated_at
			RETURNING `+streamCols),
			st.Sid, st.CallSid, st.AccountSid, st.Name, tracks, string(st.Status), st.Error,
			s.tv(started), s.tv(st.EndedAt), jv(st.Stats), s.tv(now), setStatus))
		if err != nil {
			return err
		}
		if out.CallSid != st.CallSid {
			return &ConflictError{What: "stream " + st.Sid, Reason: "belongs to call " + out.CallSid}
		}
		return nil
	})
	if err != nil {
		return Stream{}, fmt.Errorf("store: upsert stream %s: %w", st.Sid, err)
	}
	return out, nil
}

// GetStream implements Store.
func (s *sqlStore) GetStream(ctx context.Context, streamSid string) (Stream, error) {
	var st Stream
	err := s.read(ctx, func(q querier) error {
		var err error
		st, err = scanStream(q.QueryRowContext(ctx, s.rebind(`SELECT `+streamCols+` FROM streams WHERE sid = ?`), streamSid))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Stream{}, fmt.Errorf("store: stream %s: %w", streamSid, ErrNotFound)
	}
	if err != nil {
		return Stream{}, fmt.Errorf("store: get stream %s: %w", streamSid, err)
	}
	return st, nil
}

// ListStreams implements Store.
func (s *sqlStore) ListStreams(ctx context.Context, callSid string) ([]Stream, error) {
	items, err := queryList(ctx, s, `SELECT `+streamCols+` FROM streams WHERE call_sid = ? ORDER BY started_at, sid`,
		[]any{callSid}, scanStream)
	if err != nil {
		return nil, fmt.Errorf("store: list streams of %s: %w", callSid, err)
	}
	if items == nil {
		items = []Stream{}
	}
	return items, nil
}

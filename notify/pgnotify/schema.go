package pgnotify

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DefaultTable is the table (and NOTIFY channel) used when
// Options.Table is empty.
const DefaultTable = "callguard_events"

// Schema creates DefaultTable and its indexes. It is idempotent, so server
// migrations can run it as is (it also upgrades a table created before the
// publish_key column existed); SchemaFor gives the same for another table
// name. publish_key makes a retried Publish store its event once.
const Schema = `CREATE TABLE IF NOT EXISTS "callguard_events" (
	id bigserial PRIMARY KEY,
	type text NOT NULL,
	call_sid text NOT NULL DEFAULT '',
	time timestamptz NOT NULL,
	data json,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "callguard_events_created_at_idx" ON "callguard_events" (created_at);
ALTER TABLE "callguard_events" ADD COLUMN IF NOT EXISTS publish_key text;
CREATE UNIQUE INDEX IF NOT EXISTS "callguard_events_publish_key_idx" ON "callguard_events" (publish_key);
`

// SchemaFor returns Schema for table, which may be schema-qualified
// ("app.events"). Every part is quoted as an identifier.
func SchemaFor(table string) string {
	name := ident(table)
	idx := pgx.Identifier{lastPart(table) + "_created_at_idx"}.Sanitize()
	keyIdx := pgx.Identifier{lastPart(table) + "_publish_key_idx"}.Sanitize()
	s := strings.ReplaceAll(Schema, `"callguard_events_created_at_idx"`, idx)
	s = strings.ReplaceAll(s, `"callguard_events_publish_key_idx"`, keyIdx)
	return strings.ReplaceAll(s, `"callguard_events"`, name)
}

// CreateSchema runs SchemaFor(Options.Table).
func (b *Bridge) CreateSchema(ctx context.Context) error {
	if _, err := b.pool.Exec(ctx, SchemaFor(b.opts.Table)); err != nil {
		return fmt.Errorf("pgnotify: create schema: %w", err)
	}
	return nil
}

// ident quotes a possibly schema-qualified table name.
func ident(table string) string {
	return pgx.Identifier(strings.Split(table, ".")).Sanitize()
}

func lastPart(table string) string {
	parts := strings.Split(table, ".")
	return parts[len(parts)-1]
}

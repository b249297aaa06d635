package pgnotify

import (
	"strings"
	"testing"
)

func TestSchemaFor(t *testing.T) {
	if SchemaFor(DefaultTable) != Schema {
		t.Errorf("SchemaFor(DefaultTable) differs from Schema")
	}
	s := SchemaFor(`app.ev"il`)
	if !strings.Contains(s, `CREATE TABLE IF NOT EXISTS "app"."ev""il"`) ||
		!strings.Contains(s, `CREATE INDEX IF NOT EXISTS "ev""il_created_at_idx" ON "app"."ev""il"`) {
		t.Errorf("SchemaFor quoted badly:\n%s", s)
	}
}

// Package pgtest gives tests an isolated PostgreSQL database to work in.
//
// Tests that need PostgreSQL read its URL from CALLGUARD_TEST_DATABASE_URL
// (for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
// DSN returns it, or skips the test saying why when it is unset.
// SchemaDSN goes further: it creates a schema of its own for the test,
// dropped when the test ends, and returns a DSN whose search_path points
// at it, so that tests, parallel runs and other packages never see each
// other's tables:
//
//	dsn := pgtest.SchemaDSN(t, "cg_store_test_")
//	s, err := store.Open(ctx, dsn, nil)
//
// UniqueName makes the random names (schemas, tables, application names)
// that keep concurrent runs apart.
package pgtest

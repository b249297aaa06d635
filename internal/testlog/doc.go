// Package testlog helps tests capture log output written from several
// goroutines.
//
// A SyncBuffer is a bytes.Buffer guarded by a mutex, so a slog handler
// can write to it from a server's goroutines while the test reads it:
//
//	var logs testlog.SyncBuffer
//	logger := slog.New(slog.NewJSONHandler(&logs, nil))
//	// ... run the code under test with logger ...
//	if !strings.Contains(logs.String(), `"call_sid":"CA1"`) { ... }
package testlog

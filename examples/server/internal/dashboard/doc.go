// Package dashboard serves the server's single embedded web page: live
// calls, a per-window score chart per call that grows as verdicts arrive,
// alerts highlighted, and a banner when verdicts are simulated. The page is
// plain HTML, CSS and hand-written JavaScript (no build step); it reads
// /v1/calls for the current state and /v1/events (SSE) for live updates.
package dashboard

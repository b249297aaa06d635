//go:build race

package resample

// raceEnabled trims the heaviest table-driven tests under -race, which
// slows the arithmetic tenfold; the trimmed cases still run every code path.
const raceEnabled = true

// Package config loads the server's settings from flags, the environment, a
// config file and defaults, in that order of precedence.
//
// Every setting has one environment name (TWILIO_*, RESEMBLE_API_KEY,
// DATABASE_URL, PORT, CALLGUARD_* for the rest), one flag name and one
// default. The config file (-config) uses the environment names as keys in
// simple KEY=value lines; blank lines and lines starting with # are ignored.
// An invalid value stops the start with an error that names the setting and
// where the value came from.
package config

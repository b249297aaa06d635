// Package selfcpu reports the CPU time the running process has used, for
// the load tools' calls-per-core figures.
package selfcpu

//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// captureProfile fetches a CPU profile of d from the server's pprof
// endpoint into file.
func captureProfile(ctx context.Context, pprofURL string, d time.Duration, file string) error {
	secs := max(1, int(d.Seconds()))
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	return fetchProfile(ctx, "cpu profile", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, secs), file)
}

// captureHeap fetches the server's in-use heap profile into file.
func captureHeap(ctx context.Context, pprofURL, file string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return fetchProfile(ctx, "heap profile", pprofURL+"/debug/pprof/heap", file)
}

// fetchProfile GETs url and writes the body to file; what names the
// profile in errors.
func fetchProfile(ctx context.Context, what, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: HTTP %d: %s", what, resp.StatusCode, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// topHeap lists the n allocation sites holding the most in-use memory.
func topHeap(ctx context.Context, bin, file string, n int) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-sample_index=inuse_space", fmt.Sprintf("-nodecount=%d", n), bin, file).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// topFunctions summarises a CPU profile with go tool pprof -top: the
// header and the n functions with the most flat time.
func topFunctions(ctx context.Context, bin, file string, n int) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", n), bin, file).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// topCumulative lists the n functions with the most cumulative time.
func topCumulative(ctx context.Context, bin, file string, n int) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", fmt.Sprintf("-nodecount=%d", n), bin, file).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

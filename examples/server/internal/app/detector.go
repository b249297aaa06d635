package app

import (
	"log/slog"

	"golang.org/x/time/rate"

	"github.com/callguard/callguard/detect"
	"github.com/callguard/callguard/detect/resemble"
	"github.com/callguard/callguard/detect/resembletest"
	"github.com/callguard/callguard/examples/server/internal/config"
)

func buildDetector(cfg *config.Config, log *slog.Logger) (detect.Detector, *resembletest.Handler) {
	if cfg.Simulated() {
		c, h := resembletest.NewDetector(resembletest.Options{Latency: cfg.SimulatedLatency})
		return c, h
	}
	c := &resemble.Client{APIKey: cfg.ResembleAPIKey, BaseURL: cfg.ResembleURL, Logger: log.With("component", "resemble")}
	if cfg.ResembleRate > 0 {
		c.Limiter = rate.NewLimiter(rate.Limit(cfg.ResembleRate), max(1, int(cfg.ResembleRate)))
	}
	return c, nil
}

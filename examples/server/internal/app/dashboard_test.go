package app_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/callguard/callguard/twiml/twiliotest"
)

const chromiumPath = "/usr/bin/chromium"

// The dashboard in headless Chromium: a call streamed before the page
// opened is loaded from the API, a call streamed while it is open grows
// its chart verdict by verdict over SSE, the alert is highlighted and the
// simulated banner shows.
func TestDashboardChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s not found (apt-get install chromium): dashboard browser test skipped", chromiumPath)
	}
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A call before the page opens.
	before := e.tw.AddCall(twiliotest.Call{From: "+14155550100", To: "+14155550199"})
	c := e.dial(ctx, before.Sid)
	if err := c.SendPCM(ctx, "inbound", speech(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	if err := chromedp.Do(bctx, chromedp.Navigate(e.hs.URL+"/#token="+apiToken)); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, bctx, "SSE connected", `document.getElementById("conn").className === "live"`)
	evalUntil(t, bctx, "the earlier call loaded from the API",
		fmt.Sprintf(`document.querySelectorAll('section.call[data-call=%q] rect.verdict').length === 2`, before.Sid))

	live := e.tw.AddCall(twiliotest.Call{From: "+14155550101", To: "+14155550199"})
	c2 := e.dial(ctx, live.Sid)
	defer c2.Close()
	if err := c2.SendPCM(ctx, "inbound", speech(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sel := fmt.Sprintf(`section.call[data-call=%q]`, live.Sid)
	evalUntil(t, bctx, "the live call's first verdict", fmt.Sprintf(`document.querySelectorAll('%s rect.verdict').length >= 1`, sel))
	alerted, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('%s').classList.contains("alert")`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	if alerted {
		t.Fatal("alert shown before any fake window")
	}
	if err := c2.SendPCM(ctx, "inbound", fake(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	evalUntil(t, bctx, "four verdicts, two fake", fmt.Sprintf(
		`document.querySelectorAll('%[1]s rect.verdict').length === 4 && document.querySelectorAll('%[1]s rect.verdict.fake').length === 2`, sel))
	evalUntil(t, bctx, "the alert highlighted", fmt.Sprintf(`document.querySelector('%s').classList.contains("alert")`, sel))
	evalUntil(t, bctx, "the call ended", fmt.Sprintf(`document.querySelector('%s').classList.contains("ended")`, sel))
	evalUntil(t, bctx, "the simulated banner", `getComputedStyle(document.getElementById("banner")).display !== "none"`)
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel+" .alertmsg")))
	if err != nil {
		t.Fatal(err)
	}
	if text == "" {
		t.Fatal("empty alert message")
	}

	// Both tracks of one call: a series per track (its own bars, side by
	// side in each window, its score line and its legend entry).
	both := e.tw.AddCall(twiliotest.Call{From: "+14155550102", To: "+14155550199"})
	c3 := e.dial(ctx, both.Sid, "inbound", "outbound")
	defer c3.Close()
	if err := c3.SendBoth(ctx, speech(t, time.Second), fake(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c3.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	bsel := fmt.Sprintf(`section.call[data-call=%q]`, both.Sid)
	evalUntil(t, bctx, "two verdicts in each track's series", fmt.Sprintf(
		`document.querySelectorAll('%[1]s g.series[data-track="inbound"] rect.verdict').length === 2 && `+
			`document.querySelectorAll('%[1]s g.series[data-track="outbound"] rect.verdict.fake').length === 2 && `+
			`document.querySelectorAll('%[1]s svg rect.verdict').length === 4`, bsel))
	legend, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('%s .legend .trk')).map(function (e) { return e.textContent; }).join(",")`, bsel)))
	if err != nil {
		t.Fatal(err)
	}
	if legend != "inbound,outbound" {
		t.Fatalf("track legend %q, want inbound,outbound", legend)
	}
	layout, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`(function () {
		var q = function (t) { return document.querySelector('%[1]s g.series[data-track="' + t + '"]'); };
		var inb = q("inbound"), outb = q("outbound");
		var x = function (g) { return parseFloat(g.querySelector("rect.verdict").getAttribute("x")); };
		var w = function (g) { return parseFloat(g.querySelector("rect.verdict").getAttribute("width")); };
		var pts = function (g) { return g.querySelector("polyline.trend").getAttribute("points").trim().split(" ").length; };
		return x(inb) + w(inb) <= x(outb) && pts(inb) === 2 && pts(outb) === 2 &&
			inb.querySelector("polyline").getAttribute("stroke") !== outb.querySelector("polyline").getAttribute("stroke");
	})()`, bsel)))
	if err != nil {
		t.Fatal(err)
	}
	if !layout {
		html, _ := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s svg').outerHTML`, bsel)))
		t.Fatalf("series overlap or lack their lines: %.3000s", html)
	}
}

func evalUntil(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("calls").outerHTML`))
			t.Fatalf("timed out waiting for %s; calls: %.2000s", what, html)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

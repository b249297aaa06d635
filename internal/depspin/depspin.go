// Package depspin keeps the project's chosen dependencies in go.mod while
// the packages that use them are being written. It is removed once every
// dependency has a real importer.
package depspin

import (
	_ "github.com/chromedp/cdproto/cdp"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coder/websocket"
	_ "github.com/coder/websocket/wsjson"
	_ "github.com/go-audio/audio"
	_ "github.com/go-audio/wav"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/collectors"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/twilio/twilio-go"
	_ "github.com/twilio/twilio-go/client"
	_ "github.com/twilio/twilio-go/rest/api/v2010"
	_ "github.com/twilio/twilio-go/twiml"
	_ "github.com/zaf/g711"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)

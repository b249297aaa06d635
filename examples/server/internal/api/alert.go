package api

import (
	"context"
	"encoding/json"

	"github.com/callguard/callguard/examples/server/internal/store"
	"github.com/callguard/callguard/examples/server/internal/view"
)

// firstAlert returns the first alert event stored for a call, or nil.
func firstAlert(ctx context.Context, st store.Store, callSid string) (*view.Alert, error) {
	page, err := st.ListEvents(ctx, store.EventFilter{CallSid: callSid, Types: []string{"alert"}}, store.PageRequest{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return nil, err
	}
	var a view.Alert
	if err := json.Unmarshal(page.Items[0].Data, &a); err != nil {
		return nil, nil
	}
	return &a, nil
}

func decisionOf(summary json.RawMessage) string {
	if len(summary) == 0 {
		return ""
	}
	var s struct {
		Decision string `json:"decision"`
	}
	if json.Unmarshal(summary, &s) != nil {
		return ""
	}
	return s.Decision
}

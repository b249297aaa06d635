package twiml_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/callguard/callguard/twiml"
)

func TestTablePolicy(t *testing.T) {
	var table twiml.MemoryTable
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(table.SetNumber("+15550000001", twiml.Rule{Enabled: true, Track: twiml.TrackBoth})) // our enabled number
	must(table.SetNumber("+15550000002", twiml.Rule{Enabled: false}))                        // our disabled number
	must(table.SetNumber("+15559999999", twiml.Rule{Enabled: true}))                         // a watched caller
	must(table.SetAccount("ACon", twiml.Rule{Enabled: true, Track: twiml.TrackOutbound}))
	must(table.SetAccount("ACoff", twiml.Rule{Enabled: false}))

	inbound := func(acct, from, to string) twiml.Call {
		return twiml.Call{CallSid: "CA1", AccountSid: acct, From: from, To: to, Direction: twiml.DirectionInbound}
	}
	tests := []struct {
		name    string
		def     twiml.Rule
		call    twiml.Call
		enabled bool
		track   string
		reason  string
	}{
		{"enabled number", twiml.Rule{}, inbound("ACx", "+15551112222", "+15550000001"), true, twiml.TrackBoth, "number +15550000001"},
		{"disabled number beats enabled account", twiml.Rule{Enabled: true}, inbound("ACon", "+15551112222", "+15550000002"), false, "", "number +15550000002"},
		{"watched caller", twiml.Rule{}, inbound("ACoff", "+15559999999", "+15553334444"), true, "", "number +15559999999"},
		{"local number first", twiml.Rule{}, inbound("ACx", "+15559999999", "+15550000002"), false, "", "number +15550000002"},
		{"outbound uses From as ours", twiml.Rule{}, twiml.Call{AccountSid: "ACx", From: "+15550000001", To: "+15550000002", Direction: twiml.DirectionOutboundAPI}, true, twiml.TrackBoth, "number +15550000001"},
		{"enabled account", twiml.Rule{}, inbound("ACon", "+15551112222", "+15553334444"), true, twiml.TrackOutbound, "account ACon"},
		{"disabled account", twiml.Rule{Enabled: true}, inbound("ACoff", "+15551112222", "+15553334444"), false, "", "account ACoff"},
		{"default off", twiml.Rule{}, inbound("ACx", "+15551112222", "+15553334444"), false, "", "default"},
		{"default on", twiml.Rule{Enabled: true, Track: twiml.TrackInbound}, inbound("ACx", "+15551112222", "+15553334444"), true, twiml.TrackInbound, "default"},
		{"whitespace keys", twiml.Rule{}, inbound("ACx", "+15551112222", " +15550000001 "), true, twiml.TrackBoth, "number +15550000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := twiml.TablePolicy{Table: &table, Default: tt.def}
			d, err := p.Decide(context.Background(), tt.call)
			if err != nil {
				t.Fatal(err)
			}
			if d.Enabled != tt.enabled || d.Track != tt.track || d.Reason != tt.reason {
				t.Fatalf("Decide = %+v, want enabled=%v track=%q reason=%q", d, tt.enabled, tt.track, tt.reason)
			}
		})
	}
}

func TestTablePolicyZeroValue(t *testing.T) {
	d, err := twiml.TablePolicy{}.Decide(context.Background(), twiml.Call{To: "+1"})
	if err != nil || d.Enabled || d.Reason != "default" {
		t.Fatalf("zero TablePolicy = %+v, %v", d, err)
	}
}

type failingTable struct{ err error }

func (f failingTable) Lookup(context.Context, twiml.Scope, string) (twiml.Rule, bool, error) {
	return twiml.Rule{}, false, f.err
}

func TestTablePolicyError(t *testing.T) {
	boom := errors.New("db down")
	_, err := twiml.TablePolicy{Table: failingTable{boom}, Default: twiml.Rule{Enabled: true}}.Decide(context.Background(), twiml.Call{To: "+1"})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapping %v", err, boom)
	}
}

func TestMemoryTableSetValidation(t *testing.T) {
	var table twiml.MemoryTable
	if err := table.Set(twiml.ScopeNumber, " ", twiml.Rule{}); !errors.Is(err, twiml.ErrInvalidRule) {
		t.Fatalf("empty key: %v", err)
	}
	if err := table.Set("tenant", "x", twiml.Rule{}); !errors.Is(err, twiml.ErrInvalidRule) {
		t.Fatalf("bad scope: %v", err)
	}
	if err := table.SetNumber("+1", twiml.Rule{Track: "inbound"}); !errors.Is(err, twiml.ErrInvalidTrack) {
		t.Fatalf("bad track: %v", err)
	}
	if table.Len() != 0 {
		t.Fatal("invalid rules stored")
	}
	if err := table.SetNumber("+1", twiml.Rule{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	table.Delete(twiml.ScopeNumber, "+1")
	if _, ok, _ := table.Lookup(context.Background(), twiml.ScopeNumber, "+1"); ok {
		t.Fatal("rule survived Delete")
	}
}

func TestMemoryTableConcurrent(t *testing.T) {
	var table twiml.MemoryTable
	p := twiml.TablePolicy{Table: &table}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				n := fmt.Sprintf("+1555%07d", (i*200+j)%50)
				_ = table.SetNumber(n, twiml.Rule{Enabled: j%2 == 0})
				if _, err := p.Decide(context.Background(), twiml.Call{To: n}); err != nil {
					t.Error(err)
				}
				if j%7 == 0 {
					table.Delete(twiml.ScopeNumber, n)
				}
			}
		}()
	}
	wg.Wait()
}

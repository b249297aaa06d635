package twiml

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Decision is a Policy's answer for one call.
type Decision struct {
	// Enabled turns detection (the media stream) on for the call.
	Enabled bool
	// Track is the track to stream; empty means the handler's default.
	Track string
	// Reason says which rule decided, for logs ("number +15551230000",
	// "account AC…", "default").
	Reason string
}

// Policy decides whether detection runs on a call, and on which track.
type Policy interface {
	Decide(ctx context.Context, call Call) (Decision, error)
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(ctx context.Context, call Call) (Decision, error)

// Decide calls f.
func (f PolicyFunc) Decide(ctx context.Context, call Call) (Decision, error) { return f(ctx, call) }

// Scope says what a Rule's key is.
type Scope string

// Rule scopes.
const (
	ScopeNumber  Scope = "number"  // key is a phone number / SIP / client address, as Twilio sends it
	ScopeAccount Scope = "account" // key is an account SID (AC…)
)

// Rule enables or disables detection for one number or account.
type Rule struct {
	// Enabled turns detection on (true) or off for the number or account.
	Enabled bool
	// Track to stream when enabled; empty means the handler's default.
	Track string
}

// RuleTable stores Rules. MemoryTable is the in-memory implementation; a
// server can implement it over SQL (one row per scope+key). Lookup returns
// ok=false when there is no rule for key.
type RuleTable interface {
	Lookup(ctx context.Context, scope Scope, key string) (rule Rule, ok bool, err error)
}

// ErrInvalidRule reports a Rule or key MemoryTable.Set refuses.
var ErrInvalidRule = errors.New("twiml: invalid rule")

// TablePolicy is a ready Policy over a RuleTable. For each call it looks up,
// in order, and the first rule found decides:
//
//  1. the call's local number (To on inbound calls, From on outbound),
//  2. the remote number (so one caller can be singled out),
//  3. the account SID,
//  4. Default.
//
// The zero value (nil Table) decides Default for every call, which is
// "disabled" unless set.
type TablePolicy struct {
	// Table holds the per-number and per-account rules; nil has none.
	Table RuleTable
	// Default decides calls no rule matches.
	Default Rule
}

// Decide implements Policy. A table error is returned as is (wrapped); the
// VoiceHandler then answers without a stream.
func (p TablePolicy) Decide(ctx context.Context, call Call) (Decision, error) {
	if p.Table != nil {
		type probe struct {
			scope Scope
			key   string
		}
		probes := []probe{{ScopeNumber, call.LocalNumber()}, {ScopeNumber, call.RemoteNumber()}, {ScopeAccount, call.AccountSid}}
		for _, pr := range probes {
			key := normalizeKey(pr.key)
			if key == "" {
				continue
			}
			rule, ok, err := p.Table.Lookup(ctx, pr.scope, key)
			if err != nil {
				return Decision{}, fmt.Errorf("twiml: policy lookup %s %q: %w", pr.scope, key, err)
			}
			if ok {
				return Decision{Enabled: rule.Enabled, Track: rule.Track, Reason: string(pr.scope) + " " + key}, nil
			}
		}
	}
	return Decision{Enabled: p.Default.Enabled, Track: p.Default.Track, Reason: "default"}, nil
}

func normalizeKey(k string) string { return strings.TrimSpace(k) }

type ruleKey struct {
	scope Scope
	key   string
}

// MemoryTable is a concurrency-safe in-memory RuleTable. The zero value is
// empty and ready to use.
type MemoryTable struct {
	mu    sync.RWMutex
	rules map[ruleKey]Rule
}

// Lookup implements RuleTable.
func (t *MemoryTable) Lookup(_ context.Context, scope Scope, key string) (Rule, bool, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.rules[ruleKey{scope, normalizeKey(key)}]
	return r, ok, nil
}

// Set stores rule for scope+key, replacing any previous one. It refuses an
// empty key, an unknown scope or an invalid track.
func (t *MemoryTable) Set(scope Scope, key string, rule Rule) error {
	key = normalizeKey(key)
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidRule)
	}
	if scope != ScopeNumber && scope != ScopeAccount {
		return fmt.Errorf("%w: scope %q", ErrInvalidRule, scope)
	}
	if !ValidTrack(rule.Track) {
		return fmt.Errorf("%w: %w: %q", ErrInvalidRule, ErrInvalidTrack, rule.Track)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rules == nil {
		t.rules = make(map[ruleKey]Rule)
	}
	t.rules[ruleKey{scope, key}] = rule
	return nil
}

// SetNumber is Set(ScopeNumber, number, rule).
func (t *MemoryTable) SetNumber(number string, rule Rule) error {
	return t.Set(ScopeNumber, number, rule)
}

// SetAccount is Set(ScopeAccount, accountSid, rule).
func (t *MemoryTable) SetAccount(accountSid string, rule Rule) error {
	return t.Set(ScopeAccount, accountSid, rule)
}

// Delete removes the rule for scope+key, if any.
func (t *MemoryTable) Delete(scope Scope, key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.rules, ruleKey{scope, normalizeKey(key)})
}

// Len returns the number of rules.
func (t *MemoryTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.rules)
}

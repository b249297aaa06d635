package notify

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Filter selects the events a watcher receives. The zero Filter matches
// every event.
//
// A Hub builds each watcher's Filter from two sources: the one returned by
// HubOptions.Authorize (what the watcher may see) and the one parsed from
// the request's query (what it asks for). The watcher gets the events both
// match.
type Filter struct {
	// CallSids, when not empty, limits events to these calls.
	CallSids []string
	// Types, when not empty, limits events to these types.
	Types []string
	// Allow, when not nil, must also return true. A Hub calls it for
	// every event and watcher, from Notify or from the watcher's handler,
	// so it must be fast, safe for concurrent use and must not block.
	Allow func(Event) bool
}

// ErrBadFilter reports a query that does not parse as a Filter.
var ErrBadFilter = errors.New("notify: bad filter")

// Match reports whether e passes f.
func (f Filter) Match(e Event) bool {
	if len(f.CallSids) > 0 && !slices.Contains(f.CallSids, e.CallSid) {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, e.Type) {
		return false
	}
	return f.Allow == nil || f.Allow(e)
}

// ParseFilter reads a Filter from URL query values: "call" and "type",
// each repeatable and comma-separated, for example
// ?call=CA123&type=verdict,alert. Empty items are ignored.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	var err error
	if f.CallSids, err = splitParam(q["call"]); err != nil {
		return Filter{}, fmt.Errorf("%w: call: %w", ErrBadFilter, err)
	}
	if f.Types, err = splitParam(q["type"]); err != nil {
		return Filter{}, fmt.Errorf("%w: type: %w", ErrBadFilter, err)
	}
	return f, nil
}

// maxFilterItems bounds what one query can ask for.
const maxFilterItems = 1000

func splitParam(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if strings.ContainsAny(item, "\r\n\x00") {
				return nil, fmt.Errorf("%q has control characters", item)
			}
			if !slices.Contains(out, item) {
				out = append(out, item)
			}
			if len(out) > maxFilterItems {
				return nil, fmt.Errorf("more than %d items", maxFilterItems)
			}
		}
	}
	return out, nil
}

// intersect returns the Filter matching what both a and b match, and
// false when that is provably nothing (disjoint call or type lists).
func intersect(a, b Filter) (Filter, bool) {
	out := Filter{
		CallSids: intersectList(a.CallSids, b.CallSids),
		Types:    intersectList(a.Types, b.Types),
	}
	if (len(a.CallSids) > 0 || len(b.CallSids) > 0) && len(out.CallSids) == 0 {
		return Filter{}, false
	}
	if (len(a.Types) > 0 || len(b.Types) > 0) && len(out.Types) == 0 {
		return Filter{}, false
	}
	switch {
	case a.Allow != nil && b.Allow != nil:
		fa, fb := a.Allow, b.Allow
		out.Allow = func(e Event) bool { return fa(e) && fb(e) }
	case a.Allow != nil:
		out.Allow = a.Allow
	default:
		out.Allow = b.Allow
	}
	return out, true
}

// intersectList treats an empty list as "everything".
func intersectList(a, b []string) []string {
	switch {
	case len(a) == 0:
		return slices.Clone(b)
	case len(b) == 0:
		return slices.Clone(a)
	}
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

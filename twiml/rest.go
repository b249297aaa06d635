package twiml

import (
	"context"
	"fmt"
	neturl "net/url"
	"reflect"
	"strings"

	twilio "github.com/twilio/twilio-go"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// Streams starts and stops Media Streams on live calls through the Twilio
// REST API (the Calls/{CallSid}/Streams subresource), using twilio-go's
// Api.CreateStream and Api.UpdateStream.
//
// Context: twilio-go v1.31.0 has no context-aware request methods, so each
// request runs on its own goroutine and Start/Stop return ctx.Err() as soon
// as ctx is done. The abandoned HTTP request still completes (bounded by the
// client's timeout, 10 s by default — see RestClient.SetTimeout) and its
// effect on Twilio may or may not have happened.
type Streams struct {
	// Client is the twilio-go REST client. Required.
	Client *twilio.RestClient
	// AccountSid, if set, addresses a subaccount instead of the client's
	// own account.
	AccountSid string
}

// Start creates a stream on the in-progress call callSid and returns its SID
// (MZ…). opts are validated like TwiML streams first. Twilio errors come back
// as *Error (errors.Is with ErrCallNotFound, ErrCallNotInProgress…).
func (s Streams) Start(ctx context.Context, callSid string, opts StreamOptions) (string, error) {
	if s.Client == nil {
		return "", ErrNoClient
	}
	if callSid == "" {
		return "", ErrEmptyCallSid
	}
	if err := opts.Validate(); err != nil {
		return "", err
	}
	params, err := createStreamParams(opts)
	if err != nil {
		return "", err
	}
	if s.AccountSid != "" {
		params.SetPathAccountSid(s.AccountSid)
	}
	res, err := do(ctx, opCreateStream, func() (*api.ApiV2010Stream, error) {
		return s.Client.Api.CreateStream(callSid, params)
	})
	if err != nil {
		return "", err
	}
	if res == nil || res.Sid == nil || *res.Sid == "" {
		return "", fmt.Errorf("twiml: %s: response has no stream sid", opCreateStream)
	}
	return *res.Sid, nil
}

// Stop stops the stream identified by its SID or by the Name it was created
// with (by TwiML or REST) on call callSid. A 20404 answer matches
// ErrStreamNotFound.
func (s Streams) Stop(ctx context.Context, callSid, streamSidOrName string) error {
	if s.Client == nil {
		return ErrNoClient
	}
	if callSid == "" {
		return ErrEmptyCallSid
	}
	if streamSidOrName == "" {
		return ErrEmptyName
	}
	params := (&api.UpdateStreamParams{}).SetStatus("stopped")
	if s.AccountSid != "" {
		params.SetPathAccountSid(s.AccountSid)
	}
	_, err := do(ctx, opUpdateStream, func() (*api.ApiV2010Stream, error) {
		return s.Client.Api.UpdateStream(callSid, streamSidOrName, params)
	})
	return err
}

// createStreamParams maps opts onto twilio-go's CreateStreamParams, whose
// custom parameters are the numbered fields Parameter1Name…Parameter99Value.
func createStreamParams(opts StreamOptions) (*api.CreateStreamParams, error) {
	if len(opts.Parameters) > MaxRESTParameters {
		return nil, fmt.Errorf("%w: %d (REST accepts %d)", ErrTooManyParameters, len(opts.Parameters), MaxRESTParameters)
	}
	p := (&api.CreateStreamParams{}).SetUrl(opts.URL)
	if opts.Name != "" {
		p.SetName(opts.Name)
	}
	if opts.Track != "" {
		p.SetTrack(opts.Track)
	}
	if opts.StatusCallback != "" {
		p.SetStatusCallback(opts.StatusCallback)
	}
	if opts.StatusCallbackMethod != "" {
		p.SetStatusCallbackMethod(strings.ToUpper(opts.StatusCallbackMethod))
	}
	v := reflect.ValueOf(p).Elem()
	for i, name := range sortedParameters(opts.Parameters) {
		nf := v.FieldByName(fmt.Sprintf("Parameter%dName", i+1))
		vf := v.FieldByName(fmt.Sprintf("Parameter%dValue", i+1))
		if !nf.IsValid() || !vf.IsValid() {
			return nil, fmt.Errorf("%w: twilio-go has no Parameter%d", ErrTooManyParameters, i+1)
		}
		n, val := name, opts.Parameters[name]
		nf.Set(reflect.ValueOf(&n))
		vf.Set(reflect.ValueOf(&val))
	}
	return p, nil
}

// Calls acts on live calls through twilio-go's Api.UpdateCall: hang up,
// redirect to new TwiML, or replace the running TwiML — for example to
// announce a warning or move the caller into a verification flow when
// detection raises an alert. Context handling is as for Streams.
type Calls struct {
	// Client is the twilio-go REST client. Required.
	Client *twilio.RestClient
	// AccountSid, if set, addresses a subaccount.
	AccountSid string
}

// Hangup ends the call (Status=completed). On a call that already ended
// Twilio answers 21220, matched by ErrCallNotInProgress.
func (c Calls) Hangup(ctx context.Context, callSid string) error {
	return c.update(ctx, callSid, (&api.UpdateCallParams{}).SetStatus("completed"))
}

// Redirect makes Twilio fetch new TwiML from url (POST) and run it in place
// of the call's current TwiML.
func (c Calls) Redirect(ctx context.Context, callSid, url string) error {
	if u, err := neturl.Parse(url); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrInvalidRedirectURL, url)
	}
	return c.update(ctx, callSid, (&api.UpdateCallParams{}).SetUrl(url).SetMethod("POST"))
}

// Update replaces the call's running TwiML with twiml (a full
// <Response>…</Response> document, e.g. from Response.XML).
func (c Calls) Update(ctx context.Context, callSid, twiml string) error {
	if twiml == "" {
		return fmt.Errorf("%w: %s", ErrEmptyTwiML, opUpdateCall)
	}
	return c.update(ctx, callSid, (&api.UpdateCallParams{}).SetTwiml(twiml))
}

// UpdateResponse renders r and calls Update with it.
func (c Calls) UpdateResponse(ctx context.Context, callSid string, r *Response) error {
	out, err := r.XML()
	if err != nil {
		return err
	}
	return c.Update(ctx, callSid, out)
}

func (c Calls) update(ctx context.Context, callSid string, params *api.UpdateCallParams) error {
	if c.Client == nil {
		return ErrNoClient
	}
	if callSid == "" {
		return ErrEmptyCallSid
	}
	if c.AccountSid != "" {
		params.SetPathAccountSid(c.AccountSid)
	}
	_, err := do(ctx, opUpdateCall, func() (*api.ApiV2010Call, error) {
		return c.Client.Api.UpdateCall(callSid, params)
	})
	return err
}

// do runs a context-less twilio-go call so that ctx cancellation returns
// promptly, and maps its error.
func do[T any](ctx context.Context, op string, call func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("twiml: %s: %w", op, err)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return zero, wrapREST(op, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		return zero, fmt.Errorf("twiml: %s: %w", op, ctx.Err())
	}
}

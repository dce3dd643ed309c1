// Package ghhttp is an http.RoundTripper for the GitHub REST API that retries
// idempotent requests on network errors, server errors and rate limits, as
// GitHub's "best practices for using the REST API" ask
// (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately).
package ghhttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultMaxAttempts = 4
	DefaultMaxWait     = 30 * time.Second
	DefaultBaseDelay   = 500 * time.Millisecond
)

// secondaryWait is how long GitHub asks a client to wait after a secondary
// rate limit that carries neither Retry-After nor X-RateLimit-Reset: "wait
// for at least one minute before retrying"
// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
const secondaryWait = time.Minute

// maxPeek is how much of a 403 body is read to look for "secondary rate limit".
const maxPeek = 64 << 10

// Options tunes the retrying transport. Zero fields take the defaults.
type Options struct {
	// MaxAttempts is the total number of tries of one request, the first
	// included (default 4).
	MaxAttempts int
	// MaxWait caps any single wait (default 30s). When GitHub asks for a
	// longer wait (Retry-After, X-RateLimit-Reset), the response is returned
	// as is instead of waiting; backoff delays are cut down to it.
	MaxWait time.Duration
	// BaseDelay is the first backoff delay, doubled on each retry, with
	// jitter (default 500ms).
	BaseDelay time.Duration
	// Sleep waits d or until ctx is done (default: a timer and ctx.Done).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock X-RateLimit-Reset and HTTP-date Retry-After values are
	// compared with (default time.Now).
	Now func() time.Time
	// Logf, when set, receives one line per retry.
	Logf func(format string, args ...any)
}

// NewTransport returns a RoundTripper that sends requests with base (nil:
// http.DefaultTransport) and retries idempotent ones (GET, HEAD) on network
// errors, 500, 502, 503, 504, 429, and 403 responses that are rate limits
// (X-RateLimit-Remaining: 0, a Retry-After header, or a body mentioning a
// secondary rate limit). It waits Retry-After when given, else until
// X-RateLimit-Reset for a primary rate limit, else an exponential backoff
// with jitter. It never starts a wait that would outlast the request's
// deadline (an http.Client Timeout sets one): the answer at hand is
// returned instead. It never waits beyond the request's context, and drains and
// closes the body of every response it retries; the response it returns is
// untouched.
func NewTransport(base http.RoundTripper, o Options) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &transport{base: base, o: o}
}

type transport struct {
	base http.RoundTripper
	o    Options
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !retryable(req) {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("retry %s %s: reset request body: %w", req.Method, req.URL.Path, err)
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		if attempt >= t.o.MaxAttempts || ctx.Err() != nil {
			return resp, err
		}
		var (
			wait  time.Duration
			why   string
			retry bool
		)
		if err != nil {
			wait, why, retry = t.backoff(attempt), err.Error(), retryableError(err)
		} else {
			wait, why, retry = t.classify(resp, attempt)
		}
		if !retry {
			return resp, err
		}
		if wait > t.o.MaxWait {
			t.logf("%s %s: %s; GitHub asks to wait %v, more than %v: not retrying", req.Method, req.URL.Path, why, wait, t.o.MaxWait)
			return resp, err
		}
		// A wait the request's deadline cuts short would end in a bare
		// "context deadline exceeded": give back GitHub's answer instead.
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			t.logf("%s %s: %s; waiting %v would pass the request's deadline: not retrying", req.Method, req.URL.Path, why, wait.Round(time.Millisecond))
			return resp, err
		}
		if resp != nil {
			drain(resp.Body)
		}
		t.logf("%s %s: %s; retrying in %v (attempt %d of %d)", req.Method, req.URL.Path, why, wait.Round(time.Millisecond), attempt+1, t.o.MaxAttempts)
		if err := t.o.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("wait %v before retrying %s %s: %w", wait.Round(time.Millisecond), req.Method, req.URL.Path, err)
		}
	}
}

// classify says whether resp is worth retrying, and after how long.
func (t *transport) classify(resp *http.Response, attempt int) (time.Duration, string, bool) {
	status := resp.Status
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusTooManyRequests:
		if d, ok := t.serverWait(resp); ok {
			return d, status, true
		}
		return t.backoff(attempt), status, true
	case http.StatusForbidden:
		if d, ok := t.serverWait(resp); ok {
			return d, status + " (rate limit)", true
		}
		if peekSecondaryLimit(resp) {
			return secondaryWait, status + " (secondary rate limit)", true
		}
		return 0, status, false
	}
	return 0, status, false
}

// serverWait is the wait a response asks for: Retry-After, or the time until
// X-RateLimit-Reset when X-RateLimit-Remaining is 0.
func (t *transport) serverWait(resp *http.Response) (time.Duration, bool) {
	if v := strings.TrimSpace(resp.Header.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			if secs > int64(24*time.Hour/time.Second) {
				secs = int64(24 * time.Hour / time.Second)
			}
			return time.Duration(secs) * time.Second, true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(t.o.Now()), 0), true
		}
	}
	if strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")) == "0" {
		reset, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-RateLimit-Reset")), 10, 64)
		if err != nil {
			return secondaryWait, true
		}
		return max(time.Unix(reset, 0).Sub(t.o.Now()), 0), true
	}
	return 0, false
}

// backoff is the exponential delay before retry number attempt, with
// jitter: between half and all of BaseDelay·2^(attempt-1), at most MaxWait.
func (t *transport) backoff(attempt int) time.Duration {
	d := t.o.BaseDelay
	for i := 1; i < attempt && d < t.o.MaxWait; i++ {
		d *= 2
	}
	d = min(d, t.o.MaxWait)
	half := d / 2
	return half + rand.N(d-half+1)
}

func (t *transport) logf(format string, args ...any) {
	if t.o.Logf != nil {
		t.o.Logf(format, args...)
	}
}

// retryable reports whether req may be sent again: GET or HEAD, with a body
// that can be replayed.
func retryable(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// retryableError reports whether a transport error may be transient.
// Certificate errors are not.
func retryableError(err error) bool {
	var certErr *tls.CertificateVerificationError
	return !errors.As(err, &certErr)
}

// peekSecondaryLimit reads the start of resp's body to look for GitHub's
// secondary-rate-limit message, and puts it back so the caller still sees
// the whole body.
func peekSecondaryLimit(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxPeek))
	resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(head), errReader{err}, resp.Body), Closer: resp.Body}
	return bytes.Contains(bytes.ToLower(head), []byte("secondary rate limit"))
}

type replayBody struct {
	io.Reader
	io.Closer
}

// errReader replays a read error met while peeking; nil reads as EOF.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

// drain reads what is left of a retried response's body, up to a bound, so
// the connection can be reused, and closes it.
func drain(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxPeek))
	_ = body.Close()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

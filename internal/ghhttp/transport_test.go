package ghhttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reply is one scripted server response.
type reply struct {
	status  int
	headers map[string]string
	body    string
}

// scripted serves replies in order (the last one again when they run out)
// and counts requests.
func scripted(t *testing.T, replies ...reply) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		rep := replies[min(i, len(replies)-1)]
		for k, v := range rep.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// bodyTracker wraps a RoundTripper and remembers every response body, to
// check which were closed.
type bodyTracker struct {
	base http.RoundTripper
	mu   sync.Mutex
	all  []*trackedBody
}

type trackedBody struct {
	io.ReadCloser
	closed atomic.Bool
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return b.ReadCloser.Close()
}

func (bt *bodyTracker) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := bt.base.RoundTrip(req)
	if resp != nil {
		tb := &trackedBody{ReadCloser: resp.Body}
		resp.Body = tb
		bt.mu.Lock()
		bt.all = append(bt.all, tb)
		bt.mu.Unlock()
	}
	return resp, err
}

// sleeps records the waits asked of Options.Sleep without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// span is an inclusive range a wait must fall in.
type span struct{ lo, hi time.Duration }

func exactly(d time.Duration) span { return span{d, d} }

var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestTransportRetries(t *testing.T) {
	t.Parallel()
	secondaryBody := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	notRateLimit := `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/actions/artifacts#list-artifacts-for-a-repository","status":"403"}`
	ok := reply{status: 200, body: `{"ok":true}`}
	tests := []struct {
		name         string
		method       string
		opts         Options
		replies      []reply
		wantStatus   int
		wantBody     string
		wantAttempts int
		wantSleeps   []span
	}{
		{
			name:         "503 twice then 200, exponential backoff with jitter",
			replies:      []reply{{status: 503, body: "busy"}, {status: 503, body: "busy"}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 3,
			wantSleeps:   []span{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}},
		},
		{
			name:         "500, 502, 504 then 200",
			replies:      []reply{{status: 500}, {status: 502}, {status: 504}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 4,
			wantSleeps: []span{
				{250 * time.Millisecond, 500 * time.Millisecond},
				{500 * time.Millisecond, time.Second},
				{time.Second, 2 * time.Second},
			},
		},
		{
			name:         "always 503: the last response is returned intact after MaxAttempts",
			replies:      []reply{{status: 503, body: "first"}, {status: 503, body: "second"}, {status: 503, body: "third"}, {status: 503, body: "last"}},
			wantStatus:   503,
			wantBody:     "last",
			wantAttempts: 4,
			wantSleeps: []span{
				{250 * time.Millisecond, 500 * time.Millisecond},
				{500 * time.Millisecond, time.Second},
				{time.Second, 2 * time.Second},
			},
		},
		{
			name:         "MaxAttempts 2",
			opts:         Options{MaxAttempts: 2},
			replies:      []reply{{status: 503}, {status: 503, body: "gave up"}},
			wantStatus:   503,
			wantBody:     "gave up",
			wantAttempts: 2,
			wantSleeps:   []span{{250 * time.Millisecond, 500 * time.Millisecond}},
		},
		{
			name:         "backoff is capped by MaxWait",
			opts:         Options{BaseDelay: 10 * time.Second, MaxWait: 12 * time.Second},
			replies:      []reply{{status: 502}, {status: 502}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 3,
			wantSleeps:   []span{{5 * time.Second, 10 * time.Second}, {6 * time.Second, 12 * time.Second}},
		},
		{
			name:         "429 waits Retry-After seconds",
			replies:      []reply{{status: 429, headers: map[string]string{"Retry-After": "2"}}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 2,
			wantSleeps:   []span{exactly(2 * time.Second)},
		},
		{
			name:         "Retry-After as an HTTP date",
			replies:      []reply{{status: 503, headers: map[string]string{"Retry-After": now.Add(5 * time.Second).Format(http.TimeFormat)}}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 2,
			wantSleeps:   []span{exactly(5 * time.Second)},
		},
		{
			name: "403 primary rate limit waits until X-RateLimit-Reset",
			replies: []reply{{status: 403, body: `{"message":"API rate limit exceeded"}`, headers: map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(10*time.Second).Unix(), 10),
			}}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 2,
			wantSleeps:   []span{exactly(10 * time.Second)},
		},
		{
			name: "reset already passed: retried at once",
			replies: []reply{{status: 403, headers: map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(-time.Minute).Unix(), 10),
			}}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 2,
			wantSleeps:   []span{exactly(0)},
		},
		{
			name:         "403 secondary rate limit with Retry-After",
			replies:      []reply{{status: 403, body: secondaryBody, headers: map[string]string{"Retry-After": "1"}}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 2,
			wantSleeps:   []span{exactly(time.Second)},
		},
		{
			name:         "403 secondary rate limit without headers needs a minute: beyond MaxWait, returned as is",
			replies:      []reply{{status: 403, body: secondaryBody}, ok},
			wantStatus:   403,
			wantBody:     secondaryBody,
			wantAttempts: 1,
		},
		{
			name:         "403 secondary rate limit waits a minute when MaxWait allows",
			opts:         Options{MaxWait: 2 * time.Minute},
			replies:      []reply{{status: 403, body: secondaryBody}, ok},
			wantStatus:   200,
			wantBody:     ok.body,
			wantAttempts: 2,
			wantSleeps:   []span{exactly(time.Minute)},
		},
		{
			name:         "Retry-After beyond MaxWait: returned as is",
			replies:      []reply{{status: 429, body: "slow down", headers: map[string]string{"Retry-After": "31"}}, ok},
			wantStatus:   429,
			wantBody:     "slow down",
			wantAttempts: 1,
		},
		{
			name: "primary reset beyond MaxWait: returned as is",
			replies: []reply{{status: 403, body: "limit", headers: map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Hour).Unix(), 10),
			}}, ok},
			wantStatus:   403,
			wantBody:     "limit",
			wantAttempts: 1,
		},
		{
			name:         "403 that is not a rate limit is not retried",
			replies:      []reply{{status: 403, body: notRateLimit}, ok},
			wantStatus:   403,
			wantBody:     notRateLimit,
			wantAttempts: 1,
		},
		{
			name:         "404 is not retried",
			replies:      []reply{{status: 404, body: `{"message":"Not Found"}`}, ok},
			wantStatus:   404,
			wantBody:     `{"message":"Not Found"}`,
			wantAttempts: 1,
		},
		{
			name:         "302 is returned, not followed or retried",
			replies:      []reply{{status: 302, headers: map[string]string{"Location": "http://blob.invalid/x"}}, ok},
			wantStatus:   302,
			wantAttempts: 1,
		},
		{
			name:         "POST is not retried",
			method:       http.MethodPost,
			replies:      []reply{{status: 503, body: "busy"}, ok},
			wantStatus:   503,
			wantBody:     "busy",
			wantAttempts: 1,
		},
		{
			name:         "HEAD is retried",
			method:       http.MethodHead,
			replies:      []reply{{status: 503}, {status: 200}},
			wantStatus:   200,
			wantAttempts: 2,
			wantSleeps:   []span{{250 * time.Millisecond, 500 * time.Millisecond}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, attempts := scripted(t, tt.replies...)
			tracker := &bodyTracker{base: srv.Client().Transport}
			var slept sleeps
			opts := tt.opts
			opts.Sleep = slept.sleep
			opts.Now = func() time.Time { return now }
			client := &http.Client{
				Transport:     NewTransport(tracker, opts),
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/repos/o/r/actions/artifacts", nil)
			require.NoError(t, err)

			resp, err := client.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())

			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantBody, string(body))
			assert.Equal(t, tt.wantAttempts, int(attempts.Load()), "attempts")
			got := slept.got()
			require.Len(t, got, len(tt.wantSleeps), "waits: %v", got)
			for i, w := range tt.wantSleeps {
				assert.True(t, got[i] >= w.lo && got[i] <= w.hi, "wait %d = %v, want in [%v, %v]", i, got[i], w.lo, w.hi)
			}
			tracker.mu.Lock()
			defer tracker.mu.Unlock()
			require.Len(t, tracker.all, tt.wantAttempts)
			for i, b := range tracker.all {
				assert.True(t, b.closed.Load(), "body of response %d closed", i)
			}
		})
	}
}

// failing fails the first n requests with err, then sends them to base.
type failing struct {
	base  http.RoundTripper
	n     atomic.Int32
	err   error
	calls atomic.Int32
}

func (f *failing) RoundTrip(req *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	if f.n.Add(-1) >= 0 {
		return nil, f.err
	}
	return f.base.RoundTrip(req)
}

func TestTransportNetworkErrors(t *testing.T) {
	t.Parallel()
	certErr := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	tests := []struct {
		name      string
		failures  int32
		err       error
		wantErr   error // nil: success
		wantCalls int32
	}{
		{name: "two connection resets, then success", failures: 2, err: errors.New("read: connection reset by peer"), wantCalls: 3},
		{name: "failing on every attempt", failures: 10, err: io.ErrUnexpectedEOF, wantErr: io.ErrUnexpectedEOF, wantCalls: 4},
		{name: "certificate errors are not retried", failures: 10, err: certErr, wantErr: certErr, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := scripted(t, reply{status: 200, body: "ok"})
			f := &failing{base: srv.Client().Transport, err: tt.err}
			f.n.Store(tt.failures)
			var slept sleeps
			client := &http.Client{Transport: NewTransport(f, Options{Sleep: slept.sleep})}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			assert.Equal(t, tt.wantCalls, f.calls.Load(), "calls")
			assert.Len(t, slept.got(), int(tt.wantCalls-1), "waits")
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
		})
	}
}

func TestTransportContext(t *testing.T) {
	t.Parallel()
	t.Run("cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		srv, attempts := scripted(t, reply{status: 503}, reply{status: 200})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		opts := Options{Sleep: func(ctx context.Context, _ time.Duration) error {
			cancel()
			return ctx.Err()
		}}
		client := &http.Client{Transport: NewTransport(srv.Client().Transport, opts)}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
		require.NoError(t, err)
		_, err = client.Do(req)
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, "before retrying GET /x")
		assert.Equal(t, int32(1), attempts.Load(), "no attempt after the cancellation")
	})
	t.Run("default sleep returns when the context is done", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		assert.ErrorIs(t, sleep(ctx, time.Hour), context.Canceled)
		assert.NoError(t, sleep(t.Context(), time.Nanosecond))
		assert.NoError(t, sleep(t.Context(), 0))
	})
	t.Run("default sleep is used through the transport", func(t *testing.T) {
		t.Parallel()
		srv, attempts := scripted(t, reply{status: 503, headers: map[string]string{"Retry-After": "20"}}, reply{status: 200})
		ctx, cancel := context.WithCancel(t.Context())
		client := &http.Client{Transport: NewTransport(srv.Client().Transport, Options{Logf: func(string, ...any) { cancel() }})}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		_, err = client.Do(req)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, int32(1), attempts.Load())
	})
}

func TestTransportDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     reply
		deadline  time.Duration
		wantCalls int32
		wantSlept []time.Duration
	}{
		{
			name:      "a wait the deadline allows is made",
			reply:     reply{status: 503, headers: map[string]string{"Retry-After": "2"}},
			deadline:  time.Hour,
			wantCalls: 2,
			wantSlept: []time.Duration{2 * time.Second},
		},
		{
			name:      "a wait past the deadline is not started: GitHub's answer is returned",
			reply:     reply{status: 503, headers: map[string]string{"Retry-After": "20"}},
			deadline:  10 * time.Second,
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, attempts := scripted(t, tt.reply, reply{status: 200})
			var slept sleeps
			client := &http.Client{Transport: NewTransport(srv.Client().Transport, Options{Sleep: slept.sleep})}
			ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.wantCalls, attempts.Load())
			assert.Equal(t, tt.wantSlept, slept.got())
			if tt.wantCalls == 1 {
				assert.Equal(t, 503, resp.StatusCode)
			}
		})
	}
}

func TestNewTransportDefaults(t *testing.T) {
	t.Parallel()
	tr, ok := NewTransport(nil, Options{}).(*transport)
	require.True(t, ok)
	got := struct {
		Base                  http.RoundTripper
		MaxAttempts           int
		MaxWait, BaseDelay    time.Duration
		HasSleep, HasNow, Log bool
	}{tr.base, tr.o.MaxAttempts, tr.o.MaxWait, tr.o.BaseDelay, tr.o.Sleep != nil, tr.o.Now != nil, tr.o.Logf != nil}
	want := got
	want.Base, want.MaxAttempts, want.MaxWait, want.BaseDelay = http.DefaultTransport, 4, 30*time.Second, 500*time.Millisecond
	want.HasSleep, want.HasNow, want.Log = true, true, false
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b http.RoundTripper) bool { return a == b })); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestTransportLogs(t *testing.T) {
	t.Parallel()
	srv, _ := scripted(t, reply{status: 503}, reply{status: 200})
	var lines []string
	var slept sleeps
	client := &http.Client{Transport: NewTransport(srv.Client().Transport, Options{
		Sleep: slept.sleep,
		Logf:  func(format string, args ...any) { lines = append(lines, format) },
	})}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/repos/o/r", nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Len(t, lines, 1)
	assert.True(t, strings.Contains(lines[0], "retrying in"), lines[0])
}

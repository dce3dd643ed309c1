package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The recorded task definition must be the service's own: a revision of
// another account or region, or one that cannot be read, is never trusted.

// TestE2ERecordedARNOfAnotherAccount records a staging account's ARN of
// web:45, equal by family and number to the revision the failed deploy left:
// the rollback is not a silent already-current; it warns, naming the ARN,
// and finds the target by its image tag.
func TestE2ERecordedARNOfAnotherAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	staging := strings.Replace(w.revs[45], "123456789012", "210987654321", 1)
	w.addDeployRun(4010, "c2c2c2c", "prod", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), staging)
	res := w.run(nil)
	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "42", res.outputs["to-revision"], "found by image tag c2c2c2c")
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	var warned bool
	for line := range strings.Lines(res.stdout) {
		if strings.HasPrefix(line, "::warning") && strings.Contains(line, staging) && strings.Contains(line, "another account or region") {
			warned = true
		}
	}
	assert.True(t, warned, "a ::warning names the staging ARN")
}

// TestE2ERecordedARNAccessDenied answers AccessDenied to the describe of
// the recorded task definition alone: the run fails with ecs-error and
// changes nothing, rather than quietly searching by tag.
func TestE2ERecordedARNAccessDenied(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addDeployRun(4010, "c2c2c2c", "prod", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), w.revs[41])
	w.env = map[string]string{"AWS_ENDPOINT_URL_ECS": denyDescribe(t, w.ecs.URL(), w.revs[41])}
	res := w.run(nil)
	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "ecs-error", res.outputs["reason"])
	assert.Contains(t, res.stdout, "describe the recorded task definition "+w.revs[41])
	assert.Contains(t, res.stdout, "AccessDeniedException")
	assert.Empty(t, w.mutations(), "nothing changed")
}

// denyDescribe stands in front of the ECS simulator at upstream and
// answers AccessDeniedException, as ECS does, to every DescribeTaskDefinition
// of arn; everything else passes through.
func denyDescribe(t *testing.T, upstream, arn string) string {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTaskDefinition") && bytes.Contains(body, []byte(`"`+arn+`"`)) {
			rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
			rw.WriteHeader(http.StatusBadRequest)
			io.WriteString(rw, `{"__type":"AccessDeniedException","message":"User is not authorized to perform: ecs:DescribeTaskDefinition"}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestE2ERecordedARNOneDescribe: with the task definition recorded, the
// rollback describes the current revision and the recorded one, nothing
// more: no search of max-revisions candidates.
func TestE2ERecordedARNOneDescribe(t *testing.T) {
	t.Parallel()
	for _, n := range []int32{44, 41} {
		w := newWorld(t)
		w.addDeployRun(4010, revisionTags[n], "prod", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), w.revs[n])
		res := w.run(nil)
		require.Equal(t, 0, res.code, res.stdout)
		assert.Equal(t, fmt.Sprint(n), res.outputs["to-revision"])
		want := 2 // the current revision, and the recorded one
		if n != 44 {
			want = 3 // and the one just below the current, described while GitHub answered
		}
		assert.Equal(t, want, w.ecs.CallCount("DescribeTaskDefinition"), "recorded revision %d", n)
	}
}

package source

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/deplight/ecs-rollback/internal/ghhttp"
)

// CallTimeout bounds each GitHub API call; a download gets twice as long.
const CallTimeout = 30 * time.Second

// NewFinder builds the finder of owner/repo's last successful deployment:
// the GitHub client for apiURL (GITHUB_API_URL; GitHub Enterprise Server
// works too) with token, and the client of the artifact downloads, a plain
// one that never carries the token, since GitHub redirects them to another
// host. Both retry 5xx and rate limits. logf, when set, receives the debug
// lines of the search and one for each retry.
func NewFinder(apiURL, token, owner, repo string, logf func(format string, args ...any)) (*Finder, error) {
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	base, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL", apiURL)
	}
	retries := ghhttp.Options{Logf: logf}
	gh := github.NewClient(&http.Client{Timeout: CallTimeout, Transport: ghhttp.NewTransport(http.DefaultTransport, retries)})
	if token != "" {
		gh = gh.WithAuthToken(token)
	}
	gh.BaseURL = base
	return &Finder{
		GitHub:   gh,
		Download: &http.Client{Timeout: 2 * CallTimeout, Transport: ghhttp.NewTransport(nil, retries)},
		Owner:    owner,
		Repo:     repo,
		Logf:     logf,
	}, nil
}

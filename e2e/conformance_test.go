package e2e

// The conformance check every end-to-end test runs: each request the
// action sent to a simulator, and each answer the simulator gave, is
// checked against the real API's published definition (botocore's AWS
// models, GitHub's OpenAPI description, the ECS AppSpec reference). A
// violation fails the test and names the member path.

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/deplight/ecs-rollback/internal/conformance"
	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
	"github.com/deplight/ecs-rollback/internal/sim/cdsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecrsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// definitions returns the API definitions. Without them a test that needs
// them skips, saying how to install them, except in CI (CI=true), where
// they must be there.
func definitions(tb testing.TB) *conformance.Definitions {
	tb.Helper()
	d, err := conformance.Load()
	if err != nil {
		if inCI() {
			tb.Fatalf("CI checks every test against the real API definitions: %v", err)
		}
		tb.Skipf("the real API definitions are not installed: %v", err)
	}
	return d
}

// inCI reports whether the tests run in CI, where nothing may be skipped
// for want of a tool.
func inCI() bool { return os.Getenv("CI") == "true" }

var warnOnce sync.Once

// peers are the simulators of one test.
type peers struct {
	ecs *ecssim.Server
	ecr *ecrsim.Server
	cd  *cdsim.Server
	gh  *ghsim.Server
}

// checkConformance checks, when the test ends, every exchange the
// simulators logged against the real definitions. Register it after the
// simulators' Close: cleanups run last first, and the logs outlive Close.
// Without the definitions, it fails in CI and says once, elsewhere, that
// the check did not run and how to install them.
func checkConformance(tb testing.TB, p peers) {
	tb.Helper()
	tb.Cleanup(func() {
		d, err := conformance.Load()
		if err != nil {
			if inCI() {
				tb.Errorf("conformance check: %v", err)
				return
			}
			warnOnce.Do(func() { fmt.Fprintf(os.Stderr, "e2e: conformance check NOT run: %v\n", err) })
			tb.Logf("conformance check not run: %v", err)
			return
		}
		vs := conformanceViolations(d, p)
		if len(vs) > 0 {
			tb.Errorf("%d exchanges break the real API definitions (fix the action or the simulator, whichever is wrong):\n%s", len(vs), conformance.Summary(vs))
		}
	})
}

// conformanceViolations checks the logs of the simulators.
func conformanceViolations(d *conformance.Definitions, p peers) []conformance.Violation {
	var vs []conformance.Violation
	aws := func(service string, calls []awsjson.Call) {
		for _, c := range calls {
			if c.Err == awsjson.ErrRequestAbandoned {
				vs = append(vs, d.CheckAWSExchange(service, c.Op, c.Body, 0, nil)...)
				continue
			}
			vs = append(vs, d.CheckAWSExchange(service, c.Op, c.Body, c.Status, c.Response)...)
		}
	}
	if p.ecs != nil {
		aws("ECS", p.ecs.Calls())
	}
	if p.ecr != nil {
		aws("ECR", p.ecr.Calls())
	}
	if p.cd != nil {
		aws("CodeDeploy", p.cd.Calls())
	}
	if p.gh != nil {
		for _, c := range p.gh.Calls() {
			if c.Host != "api" {
				continue // the blob host is not part of the REST API
			}
			path := strings.TrimPrefix(c.Path, ghsim.APIPrefix)
			vs = append(vs, d.CheckGitHubExchange(c.Method, path, c.Query, c.Status, c.Header, c.Body)...)
		}
	}
	return vs
}

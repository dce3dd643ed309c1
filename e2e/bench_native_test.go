package e2e

// The native-rollback benchmark: a failed blue/green deploy still in its
// bake, every request to the ECS, ECR and GitHub simulators delayed 40 ms.
// The built binary rolls back twice on the same world, side by side:
//
//   - native: ECS's history is readable, so the action stops the
//     deployment with ROLLBACK and ECS switches production traffic back to
//     the good revision's tasks, still running;
//   - update-service: the role lacks ecs:ListServiceDeployments, so the
//     action does what it did before history existed, UpdateService, and
//     traffic comes back after a full rollout (60 s of scale-up in the
//     simulator). This contender runs with wait: false and the benchmark
//     watches the simulator, since without history the action would wait
//     out the 30-minute bake.
//
// Run it with
//
//	go test ./e2e -run '^$' -bench BenchmarkNativeRollback -benchtime 1x
//
// Environment: BENCH_LATENCY (default 40ms), BENCH_ROLLOUT (the full
// rollout of the UpdateService path, default 60s). Figures are medians of
// the runs: process start → production traffic back on the good revision,
// process start → exit, and the ECS calls of the last run.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deplight/ecs-rollback/internal/deploystate"
	"github.com/deplight/ecs-rollback/internal/sim/ecrsim"
	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
	"github.com/deplight/ecs-rollback/internal/sim/ghsim"
)

// nativeBench is one fresh world of the benchmark.
type nativeBench struct {
	tb        testing.TB
	dir       string
	ecs       *ecssim.Server
	ecr       *ecrsim.Server
	gh        *ghsim.Server
	good, bad string // task definitions 42 and 45
}

func newNativeBench(tb testing.TB, latency, rollout time.Duration) *nativeBench {
	tb.Helper()
	nb := &nativeBench{tb: tb, dir: tb.TempDir()}
	nb.ecs = ecssim.New()
	tb.Cleanup(nb.ecs.Close)
	nb.ecr = ecrsim.New()
	tb.Cleanup(nb.ecr.Close)
	nb.gh = ghsim.New(owner, repoName, ghsim.WithToken(token), ghsim.WithDefaultBranch("main"))
	tb.Cleanup(nb.gh.Close)

	revs := map[int32]string{}
	for n := int32(40); n <= 45; n++ {
		image := ecrRepo + ":" + revisionTags[n]
		revs[n] = nb.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: family, Containers: []ecssim.Container{
			{Name: "app", Image: image},
			{Name: "log-router", Image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"},
		}})
		if _, err := nb.ecr.PutImageRef(image); err != nil {
			tb.Fatal(err)
		}
	}
	nb.good, nb.bad = revs[42], revs[45]
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(nb.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "web", TaskDefinition: revs[41], DesiredCount: 3}))
	_, err := nb.ecs.Deploy(cluster, "web", nb.good, 2*time.Hour)
	must(err)
	// The failed deploy: blue/green, one minute of scale-up, three minutes
	// ago, so in the third minute of a 30-minute bake.
	must(nb.ecs.SetDeploymentConfig(cluster, "web", ecssim.DeploymentConfig{Strategy: ecssim.StrategyBlueGreen, BakeTime: 30 * time.Minute}))
	nb.ecs.SetRollout(cluster, "web", ecssim.Rollout{Settle: time.Minute})
	_, err = nb.ecs.Deploy(cluster, "web", nb.bad, 3*time.Minute)
	must(err)
	nb.ecs.SetRollout(cluster, "web", ecssim.Rollout{Settle: rollout})
	if to, _, _ := nb.ecs.Traffic(cluster, "web"); to != nb.bad {
		tb.Fatalf("the scenario should start with traffic on %s, not %s", nb.bad, to)
	}

	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	nb.gh.AddRun(ghsim.Run{
		ID: 4002, RunNumber: 2, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("c2c2c2c"), Event: "push", Status: "completed", Conclusion: "success", CreatedAt: at,
	})
	zip, err := deploystate.Zip(deploystate.State{ImageTag: "c2c2c2c", Environment: "prod", CommitSHA: sha("c2c2c2c"), Timestamp: at.Format(time.RFC3339)})
	must(err)
	nb.gh.AddArtifact(4002, "deployment-state", zip, false)
	nb.gh.AddRun(ghsim.Run{
		ID: failedRunID, RunNumber: 99, WorkflowID: deployWFID, WorkflowPath: deployPath, Name: "Deploy Service",
		HeadBranch: "main", HeadSHA: sha("f5f5f5f"), Event: "push", Status: "completed", Conclusion: "failure",
		CreatedAt: at.Add(24 * time.Hour),
	})

	nb.ecs.SetLatency(latency)
	nb.ecr.SetLatency(latency)
	nb.gh.SetLatency(latency)
	return nb
}

// nativeFigures are one run's measurements.
type nativeFigures struct {
	trafficBack time.Duration // process start → production traffic on 42
	exit        time.Duration // process start → exit
	calls       map[string]int
}

// run runs the binary with the runner's environment and inputs, then waits
// (up to limit) for production traffic to be back on the good revision.
func (nb *nativeBench) run(inputs map[string]string, limit time.Duration) nativeFigures {
	nb.tb.Helper()
	out, sum := filepath.Join(nb.dir, "output"), filepath.Join(nb.dir, "summary.md")
	for _, f := range []string{out, sum} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			nb.tb.Fatal(err)
		}
	}
	sc := &benchScenario{tb: nb.tb, dir: nb.dir}
	env := runnerSetup{
		dir: nb.dir, eventName: "workflow_run", eventPath: sc.eventFile(), output: out, summary: sum,
		workspace: nb.dir, gitHubAPI: nb.gh.APIURL(),
		endpoints: map[string]string{"ECS": nb.ecs.URL(), "ECR": nb.ecr.URL(), "CODEDEPLOY": "http://127.0.0.1:9"},
	}.env(nb.tb)
	for k, v := range inputs {
		env[inputEnv(k)] = v
	}
	cmd := exec.Command(binPath)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	start := time.Now()
	if err := cmd.Run(); err != nil {
		nb.tb.Fatalf("the action failed: %v\n%s", err, stdout.String())
	}
	f := nativeFigures{exit: time.Since(start), calls: map[string]int{}}
	for deadline := time.Now().Add(limit); ; time.Sleep(100 * time.Millisecond) {
		to, at, _ := nb.ecs.Traffic(cluster, "web")
		if to == nb.good {
			f.trafficBack = at.Sub(start)
			break
		}
		if time.Now().After(deadline) {
			nb.tb.Fatalf("production traffic is still on %s after %s\n%s", to, limit, stdout.String())
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(raw), "rolled-back") {
		nb.tb.Fatalf("the action did not roll back (%v); outputs:\n%s\n%s", err, raw, stdout.String())
	}
	for _, c := range nb.ecs.Calls() {
		f.calls[c.Op]++
	}
	return f
}

func BenchmarkNativeRollback(b *testing.B) {
	latency := benchDuration(b, "BENCH_LATENCY", 40*time.Millisecond)
	rollout := benchDuration(b, "BENCH_ROLLOUT", 60*time.Second)
	b.Logf("latency %s per request; a full rollout takes %s", latency, rollout)
	contenders := []struct {
		name   string
		inputs map[string]string
		deny   bool
	}{
		{name: "native"},
		{name: "update-service", inputs: map[string]string{"wait": "false"}, deny: true},
	}
	got := map[string]nativeFigures{}
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) {
			var all []nativeFigures
			for b.Loop() {
				b.StopTimer()
				nb := newNativeBench(b, latency, rollout)
				if c.deny {
					nb.ecs.FailNext("ListServiceDeployments", 1000, ecssim.ErrAccessDenied)
				}
				b.StartTimer()
				all = append(all, nb.run(c.inputs, rollout+30*time.Second))
			}
			med := medianNative(all)
			b.ReportMetric(ms(med.trafficBack), "ms-traffic-back")
			b.ReportMetric(ms(med.exit), "ms-exit")
			for _, k := range sortedKeys(med.calls) {
				b.ReportMetric(float64(med.calls[k]), "calls-"+k)
			}
			got[c.name] = med
		})
	}
	fmt.Print(nativeTable(got["native"], got["update-service"]))
}

func medianNative(all []nativeFigures) nativeFigures {
	if len(all) == 0 {
		return nativeFigures{}
	}
	median := func(get func(nativeFigures) time.Duration) time.Duration {
		ds := make([]time.Duration, len(all))
		for i, f := range all {
			ds[i] = get(f)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	return nativeFigures{
		trafficBack: median(func(f nativeFigures) time.Duration { return f.trafficBack }),
		exit:        median(func(f nativeFigures) time.Duration { return f.exit }),
		calls:       all[len(all)-1].calls,
	}
}

func nativeTable(native, update nativeFigures) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-36s %14s %14s\n", "metric", "native", "update-service")
	fmt.Fprintf(&sb, "%-36s %14.0f %14.0f\n", "ms-traffic-back", ms(native.trafficBack), ms(update.trafficBack))
	fmt.Fprintf(&sb, "%-36s %14.0f %14.0f\n", "ms-exit", ms(native.exit), ms(update.exit))
	keys := sortedKeys(native.calls)
	for _, k := range sortedKeys(update.calls) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, "%-36s %14d %14d\n", "calls-"+k, native.calls[k], update.calls[k])
	}
	if native.trafficBack > 0 {
		fmt.Fprintf(&sb, "traffic back: update-service / native = %.0f×\n", float64(update.trafficBack)/float64(native.trafficBack))
	}
	return sb.String()
}

package e2e

// The recovery benchmark: the full auto-rollback, run by the built binary,
// against the ECS and GitHub simulators with latency injected on every
// request, side by side with the shell + aws CLI baseline it replaces
// (testdata/baseline/rollback.sh). Run it with
//
//	go test -run '^$' -bench . -benchtime 3x .
//
// Environment:
//
//	BENCH_LATENCY   latency of every request to either simulator (default 40ms)
//	BENCH_SETTLE    how long the rollout takes to settle (default 0s)
//	BENCH_BASELINE  "0" skips the baseline (it takes about a minute a run)
//
// The scenario (newBenchScenario): 100 ACTIVE revisions below the current
// one with the match at the oldest (max-revisions: 100); 25 successful
// deploy runs, the newest 10 without an artifact. Every figure is the
// median of the runs; the calls are those of the last run.

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// benchFigureUnits are the metrics reported for each contender, in order.
var benchFigureUnits = []struct {
	unit string
	get  func(benchFigures) float64
}{
	{"ms-first-request", func(f benchFigures) float64 { return ms(f.firstRequest) }},
	{"ms-update-sent", func(f benchFigures) float64 { return ms(f.updateSent) }},
	{"ms-update-answered", func(f benchFigures) float64 { return ms(f.updateAnswered) }},
	{"ms-stable-noticed", func(f benchFigures) float64 { return ms(f.stableNoticed) }},
	{"ms-exit", func(f benchFigures) float64 { return ms(f.exit) }},
	{"rt-before-update", func(f benchFigures) float64 { return float64(f.roundTrips) }},
}

func BenchmarkRollback(b *testing.B) {
	latency := benchDuration(b, "BENCH_LATENCY", 40*time.Millisecond)
	settle := benchDuration(b, "BENCH_SETTLE", 0)
	b.Logf("latency %s per request, rollout settles in %s", latency, settle)

	var ours, base benchFigures
	b.Run("ours", func(b *testing.B) {
		ours = benchContender(b, latency, settle, (*benchScenario).runOurs)
		if fi, err := os.Stat(binPath); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "MB-binary")
		}
	})
	b.Run("baseline", func(b *testing.B) {
		if os.Getenv("BENCH_BASELINE") == "0" {
			b.Skip("BENCH_BASELINE=0")
		}
		for _, tool := range []string{"bash", "aws", "curl", "jq", "unzip"} {
			if _, err := exec.LookPath(tool); err != nil {
				b.Skipf("the baseline needs %s: %v", tool, err)
			}
		}
		base = benchContender(b, latency, settle, (*benchScenario).runBaseline)
		if ours.updateAnswered > 0 {
			b.ReportMetric(float64(base.updateAnswered)/float64(ours.updateAnswered), "x-slower-decide+apply")
		}
	})
	// Printed, not logged: a parent benchmark's log shows only with -v.
	fmt.Print(benchTable(ours, base))
}

// benchContender runs one contender b.N times, each on a fresh scenario,
// and reports the median figures.
func benchContender(b *testing.B, latency, settle time.Duration, run func(*benchScenario) benchRun) benchFigures {
	var all []benchFigures
	for b.Loop() {
		b.StopTimer()
		sc := newBenchScenario(b, latency, settle)
		b.StartTimer()
		r := run(sc)
		b.StopTimer()
		f, err := r.figures()
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, f)
		b.StartTimer()
	}
	med := medianFigures(all)
	for _, u := range benchFigureUnits {
		b.ReportMetric(u.get(med), u.unit)
	}
	for _, k := range sortedKeys(med.calls) {
		b.ReportMetric(float64(med.calls[k]), "calls-"+k)
	}
	return med
}

// medianFigures takes the median of each duration and round-trip count;
// the calls are the last run's (the scenario is deterministic).
func medianFigures(all []benchFigures) benchFigures {
	if len(all) == 0 {
		return benchFigures{}
	}
	median := func(get func(benchFigures) time.Duration) time.Duration {
		ds := make([]time.Duration, len(all))
		for i, f := range all {
			ds[i] = get(f)
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	rts := make([]int, len(all))
	for i, f := range all {
		rts[i] = f.roundTrips
	}
	slices.Sort(rts)
	return benchFigures{
		firstRequest:   median(func(f benchFigures) time.Duration { return f.firstRequest }),
		updateSent:     median(func(f benchFigures) time.Duration { return f.updateSent }),
		updateAnswered: median(func(f benchFigures) time.Duration { return f.updateAnswered }),
		stableNoticed:  median(func(f benchFigures) time.Duration { return f.stableNoticed }),
		exit:           median(func(f benchFigures) time.Duration { return f.exit }),
		roundTrips:     rts[len(rts)/2],
		calls:          all[len(all)-1].calls,
	}
}

// benchTable lays the two contenders side by side, with the ratio.
func benchTable(ours, base benchFigures) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-36s %12s %12s\n", "metric", "ours", "baseline")
	for _, u := range benchFigureUnits {
		fmt.Fprintf(&sb, "%-36s %12.0f %12.0f\n", u.unit, u.get(ours), u.get(base))
	}
	keys := sortedKeys(ours.calls)
	for _, k := range sortedKeys(base.calls) {
		if _, ok := ours.calls[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, "%-36s %12d %12d\n", "calls-"+k, ours.calls[k], base.calls[k])
	}
	if ours.updateAnswered > 0 && base.updateAnswered > 0 {
		fmt.Fprintf(&sb, "decide+apply (start → UpdateService answered): baseline / ours = %.0f×\n",
			float64(base.updateAnswered)/float64(ours.updateAnswered))
	}
	return sb.String()
}

func benchDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		b.Fatalf("%s=%q is not a duration", name, v)
	}
	return d
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

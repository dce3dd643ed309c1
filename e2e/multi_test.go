package e2e

// Several services in one run: planned together, refused together, applied
// concurrently, each to its own target.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deplight/ecs-rollback/internal/sim/ecssim"
)

const workerRepo = "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker"

// addWorker adds service worker, of its own family worker, on revision 4
// (tag f5f5f5f); revision 2 carries c2c2c2c, the last successful tag. Its
// images are in ECR unless missing names a tag that is not.
func (w *world) addWorker(missing ...string) map[int32]string {
	w.t.Helper()
	revs := map[int32]string{}
	for n, tag := range []string{"a0a0a0a", "c2c2c2c", "d3d3d3d", "f5f5f5f"} {
		revs[int32(n+1)] = w.ecs.RegisterTaskDefinition(ecssim.TaskDef{Family: "worker", Containers: []ecssim.Container{
			{Name: "worker", Image: workerRepo + ":" + tag},
		}})
		if !contains(missing, tag) {
			_, err := w.ecr.PutImageRef(workerRepo + ":" + tag)
			require.NoError(w.t, err)
		}
	}
	require.NoError(w.t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: "worker", TaskDefinition: revs[4], DesiredCount: 2}))
	return revs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// servicesOutput parses the services output.
func servicesOutput(t *testing.T, res result) map[string]map[string]any {
	t.Helper()
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.outputs["services"]), &list))
	out := map[string]map[string]any{}
	for _, s := range list {
		out[s["service"].(string)] = s
	}
	require.Len(t, out, len(list), "one object per service")
	return out
}

func TestE2EMultiBothRolledBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	workerRevs := w.addWorker()

	res := w.run(map[string]string{"service": "web, worker"})

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition())
	st, _ := w.ecs.Service(cluster, "worker")
	assert.Equal(t, workerRevs[2], st.TaskDefinition)
	assert.Equal(t, []string{"UpdateService", "UpdateService"}, w.mutations())

	services := servicesOutput(t, res)
	require.Len(t, services, 2)
	assert.Equal(t, w.revs[42], services["web"]["to-task-definition"])
	assert.Equal(t, "42", services["web"]["to-revision"])
	assert.Equal(t, workerRevs[2], services["worker"]["to-task-definition"])
	assert.Equal(t, "2", services["worker"]["to-revision"])
	assert.Equal(t, workerRevs[4], services["worker"]["from-task-definition"])
	for _, s := range services {
		assert.Equal(t, "rolled-back", s["result"])
	}

	// One summary row per service.
	assert.Regexp(t, `(?m)^\| web \| ✅ rolled-back \| revision 45 .* \| revision 42 `, res.summary)
	assert.Regexp(t, `(?m)^\| worker \| ✅ rolled-back \| revision 4 .* \| revision 2 `, res.summary)
	assert.Contains(t, res.summary, "### Service web")
	assert.Contains(t, res.summary, "### Service worker")
}

func TestE2EMultiOneRefusedChangesNone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addWorker("c2c2c2c") // worker's target image was expired from ECR

	res := w.run(map[string]string{"service": "web\nworker"})

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "image-missing", res.outputs["reason"])
	assert.Empty(t, w.mutations(), "a refusal while planning changes no service: no UpdateService at all")
	assert.Equal(t, w.revs[45], w.serviceTaskDefinition())
	assert.Contains(t, res.stdout, "worker")
	assert.Contains(t, res.stdout, "No service was changed")

	services := servicesOutput(t, res)
	assert.Equal(t, "image-missing", services["worker"]["reason"])
	assert.Equal(t, "other-service-failed", services["web"]["reason"])
	assert.Equal(t, "failed", services["web"]["result"])
}

func TestE2EMultiOneFailsAfterTheOtherRolledBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addWorker()
	w.ecs.SetRollout(cluster, "worker", ecssim.Rollout{Fail: true})

	res := w.run(map[string]string{"service": "web,worker"})

	require.Equal(t, 1, res.code, res.stdout)
	assert.Equal(t, "failed", res.outputs["result"])
	assert.Equal(t, "rollout-failed", res.outputs["reason"])
	assert.Equal(t, w.revs[42], w.serviceTaskDefinition(), "web was rolled back all the same")
	services := servicesOutput(t, res)
	assert.Equal(t, "rolled-back", services["web"]["result"])
	assert.Equal(t, "failed", services["worker"]["result"])
	// The message says which were rolled back and which not.
	assert.Contains(t, res.stdout, "1 of 2 services failed (worker)")
	assert.Contains(t, res.stdout, "Rolled back: web.")
}

func TestE2EMultiDescribeServicesBatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var names []string
	for i := 1; i <= 12; i++ {
		name := fmt.Sprintf("svc%02d", i)
		require.NoError(t, w.ecs.AddService(ecssim.ServiceSpec{Cluster: cluster, Name: name, TaskDefinition: w.revs[45], DesiredCount: 1}))
		names = append(names, name)
	}

	res := w.run(map[string]string{"service": strings.Join(names, "\n")})

	require.Equal(t, 0, res.code, res.stdout)
	assert.Len(t, servicesOutput(t, res), 12)
	assert.Len(t, w.mutations(), 12)
	for _, name := range names {
		st, _ := w.ecs.Service(cluster, name)
		assert.Equal(t, w.revs[42], st.TaskDefinition, name)
	}
	// Planning describes the 12 services in two calls, 10 and 2; every
	// later call (waiting, verifying) asks about one service.
	var batches []int
	for _, c := range w.ecs.Calls() {
		if c.Op != "DescribeServices" {
			continue
		}
		var body struct {
			Services []string `json:"services"`
		}
		require.NoError(t, json.Unmarshal(c.Body, &body))
		if len(body.Services) > 1 {
			batches = append(batches, len(body.Services))
		}
	}
	assert.ElementsMatch(t, []int{10, 2}, batches)
}

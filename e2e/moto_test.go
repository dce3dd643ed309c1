package e2e

// The same binary against moto_server, a widely used AWS emulator written
// independently of our simulator. moto has quirks the action must cope with:
// it ignores sort=DESC in ListTaskDefinitions and returns a bare
// family:revision from UpdateService.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startMoto starts moto_server on a free loopback port and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		const install = "install it with: pip install 'moto[server]==5.2.1'"
		if os.Getenv("CI") != "" {
			t.Fatalf("moto_server is required in CI (%v); %s", err, install)
		}
		t.Skipf("moto_server is not installed, so the action is not tried against moto; %s", install)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 30s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestE2EMoto(t *testing.T) {
	t.Parallel()
	motoURL := startMoto(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	api := ecs.New(ecs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(motoURL),
	})
	_, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)})
	require.NoError(t, err)
	arns := map[int32]string{}
	for n := int32(1); n <= 5; n++ {
		tag := map[int32]string{1: "a0a0a0a", 2: "b1b1b1b", 3: "c2c2c2c", 4: "d3d3d3d", 5: "f5f5f5f"}[n]
		out, err := api.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String(ecrRepo + ":" + tag), Memory: aws.Int32(256),
			}},
		})
		require.NoError(t, err)
		arns[n] = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	}
	_, err = api.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String("web"), TaskDefinition: aws.String(arns[5]), DesiredCount: aws.Int32(1),
	})
	require.NoError(t, err)

	w := newWorld(t)
	w.env["AWS_ENDPOINT_URL_ECS"] = motoURL
	res := w.run(map[string]string{"wait": "false"})

	require.Equal(t, 0, res.code, res.stdout)
	assert.Equal(t, "rolled-back", res.outputs["result"])
	assert.Equal(t, "3", res.outputs["to-revision"])
	assert.Equal(t, arns[3], res.outputs["to-task-definition"])
	assert.Equal(t, arns[5], res.outputs["from-task-definition"])

	out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"web"}})
	require.NoError(t, err)
	require.Len(t, out.Services, 1)
	assert.Contains(t, aws.ToString(out.Services[0].TaskDefinition), "web:3", "moto's service now runs revision 3")
	assert.Empty(t, w.ecs.Calls(), "every ECS call went to moto")
}

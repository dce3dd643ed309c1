package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// The npm packages that hold GitHub's definitions, at the versions the
// tests are pinned to (.ci/run installs the same).
const (
	OpenAPIPackage          = "@octokit/openapi@23.0.2"
	OpenAPIWebhooksPackage  = "@octokit/openapi-webhooks@12.1.0"
	WebhooksExamplesPackage = "@octokit/webhooks-examples@7.6.1"
)

// Environment variables that say where the definitions are.
const (
	// EnvNPMDir names the folder the npm packages are installed in (it holds
	// node_modules/@octokit/…); default <user cache dir>/ecs-rollback/api-definitions.
	EnvNPMDir = "ECS_ROLLBACK_API_DEFINITIONS"
	// EnvBotocoreData names botocore's data folder; default: found through
	// python3's botocore.
	EnvBotocoreData = "ECS_ROLLBACK_BOTOCORE_DATA"
)

// InstallHint says how to install the definitions.
func InstallHint() string {
	return fmt.Sprintf("install them with `pip install botocore` and `npm install --prefix %s --no-save %s %s %s` (or run .ci/run, which does both)",
		NPMDir(), OpenAPIPackage, OpenAPIWebhooksPackage, WebhooksExamplesPackage)
}

// NPMDir is the folder the npm packages are expected in.
func NPMDir() string {
	if d := os.Getenv(EnvNPMDir); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "ecs-rollback", "api-definitions")
	}
	return filepath.Join(os.TempDir(), "ecs-rollback-api-definitions")
}

// BotocoreData is botocore's data folder (data/<service>/<version>/…).
func BotocoreData() (string, error) {
	if d := os.Getenv(EnvBotocoreData); d != "" {
		return d, nil
	}
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		return "", fmt.Errorf("find botocore through python3: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "data"), nil
}

// Definitions are the API definitions the checks use.
type Definitions struct {
	// AWS holds the service models by serviceId: "ECS", "ECR", "CodeDeploy".
	AWS map[string]*AWSModel
	// GitHub is GitHub's REST API description (api.github.com).
	GitHub *OpenAPI
	// Webhooks is GitHub's webhook description (api.github.com).
	Webhooks *OpenAPI
	// examples is @octokit/webhooks-examples' api.github.com/index.json.
	examples string
}

// awsServices are the botocore folders of the services the action calls.
var awsServices = []string{"ecs", "ecr", "codedeploy"}

var (
	loadOnce sync.Once
	loaded   *Definitions
	loadErr  error
)

// Load finds and reads the definitions once per process; later calls
// return the same result.
func Load() (*Definitions, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() (*Definitions, error) {
	d := &Definitions{AWS: map[string]*AWSModel{}}
	var errs []error
	data, err := BotocoreData()
	if err != nil {
		errs = append(errs, err)
	} else {
		for _, svc := range awsServices {
			path, err := latestModel(data, svc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			m, err := LoadAWSModel(path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			d.AWS[m.Service] = m
		}
	}
	npm := filepath.Join(NPMDir(), "node_modules", "@octokit")
	if d.GitHub, err = LoadOpenAPI(filepath.Join(npm, "openapi", "generated", "api.github.com.json")); err != nil {
		errs = append(errs, err)
	}
	if d.Webhooks, err = LoadOpenAPI(filepath.Join(npm, "openapi-webhooks", "generated", "api.github.com.json")); err != nil {
		errs = append(errs, err)
	}
	d.examples = filepath.Join(npm, "webhooks-examples", "api.github.com", "index.json")
	if _, err := os.Stat(d.examples); err != nil {
		errs = append(errs, fmt.Errorf("find GitHub's webhook examples: %w", err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("API definitions not found: %w; %s", errors.Join(errs...), InstallHint())
	}
	return d, nil
}

// latestModel is the newest service-2.json(.gz) of a botocore service.
func latestModel(data, svc string) (string, error) {
	versions, err := filepath.Glob(filepath.Join(data, svc, "*"))
	if err != nil || len(versions) == 0 {
		return "", fmt.Errorf("no botocore model for %s under %s", svc, data)
	}
	sort.Strings(versions)
	for i := len(versions) - 1; i >= 0; i-- {
		for _, name := range []string{"service-2.json.gz", "service-2.json"} {
			p := filepath.Join(versions[i], name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("no service-2.json for %s under %s", svc, data)
}

// WebhookExamples returns GitHub's published examples of an event, as
// @octokit/webhooks-examples holds them.
func (d *Definitions) WebhookExamples(event string) ([]json.RawMessage, error) {
	raw, err := os.ReadFile(d.examples)
	if err != nil {
		return nil, fmt.Errorf("read webhook examples: %w", err)
	}
	var index []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("parse webhook examples: %w", err)
	}
	for _, e := range index {
		if e.Name == event {
			return e.Examples, nil
		}
	}
	return nil, fmt.Errorf("no webhook examples of %s", event)
}

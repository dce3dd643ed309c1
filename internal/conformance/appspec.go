package conformance

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// appSpecHooks are the lifecycle events of an ECS deployment.
var appSpecHooks = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// CheckECSAppSpec checks the content of an ECS AppSpec (YAML or JSON), as a
// CodeDeploy CreateDeployment request carries it in
// revision.appSpecContent.content, against the AppSpec reference: version
// 0.0; one resource of Type AWS::ECS::Service whose Properties have a
// TaskDefinition and a LoadBalancerInfo with ContainerName and
// ContainerPort (all required); the optional PlatformVersion,
// NetworkConfiguration and CapacityProviderStrategy; Hooks naming ECS
// lifecycle events only. The CodeDeploy API model treats the content as
// an opaque string, so this is the only check of it.
// See https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
// and https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-ecs
func CheckECSAppSpec(content string) []Violation {
	const where = "ECS AppSpec"
	var out []Violation
	add := func(path, format string, args ...any) {
		out = append(out, Violation{Where: where, Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	var doc any
	if err := yaml.Unmarshal([]byte(content), &doc); err != nil {
		return []Violation{{Where: where, Problem: "not YAML or JSON: " + err.Error()}}
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return []Violation{{Where: where, Problem: "not a mapping"}}
	}
	known(add, "", top, "version", "Resources", "Hooks")
	switch v := top["version"].(type) {
	case string:
		if v != "0.0" {
			add("version", "%q, want 0.0", v)
		}
	case float64:
		if v != 0 {
			add("version", "%v, want 0.0", v)
		}
	case int:
		if v != 0 {
			add("version", "%v, want 0.0", v)
		}
	case nil:
		add("version", "required member missing")
	default:
		add("version", "want 0.0, got %v", v)
	}
	resources, ok := top["Resources"].([]any)
	switch {
	case top["Resources"] == nil:
		add("Resources", "required member missing")
	case !ok:
		add("Resources", "want a list")
	case len(resources) != 1:
		add("Resources", "%d resources, an ECS deployment has exactly one", len(resources))
	}
	for i, r := range resources {
		checkAppSpecResource(add, indexPath("Resources", i), r)
	}
	if hooks, ok := top["Hooks"]; ok {
		list, ok := hooks.([]any)
		if !ok {
			add("Hooks", "want a list")
		}
		for i, h := range list {
			path := indexPath("Hooks", i)
			m, ok := h.(map[string]any)
			if !ok || len(m) != 1 {
				add(path, "want one lifecycle event and its Lambda function")
				continue
			}
			for name, fn := range m {
				if !slices.Contains(appSpecHooks, name) {
					add(joinPath(path, name), "not an ECS lifecycle event (%s)", strings.Join(appSpecHooks, ", "))
				}
				if s, ok := fn.(string); !ok || s == "" {
					add(joinPath(path, name), "want the name or ARN of a Lambda function")
				}
			}
		}
	}
	return out
}

func checkAppSpecResource(add func(string, string, ...any), path string, r any) {
	m, ok := r.(map[string]any)
	if !ok || len(m) != 1 {
		add(path, "want one named resource, e.g. TargetService")
		return
	}
	for name, body := range m {
		path := joinPath(path, name)
		res, ok := body.(map[string]any)
		if !ok {
			add(path, "want a mapping with Type and Properties")
			continue
		}
		known(add, path, res, "Type", "Properties")
		if res["Type"] != "AWS::ECS::Service" {
			add(joinPath(path, "Type"), "%v, want AWS::ECS::Service", res["Type"])
		}
		props, ok := res["Properties"].(map[string]any)
		if !ok {
			add(joinPath(path, "Properties"), "required member missing")
			continue
		}
		path = joinPath(path, "Properties")
		known(add, path, props, "TaskDefinition", "LoadBalancerInfo", "PlatformVersion", "NetworkConfiguration", "CapacityProviderStrategy")
		if s, ok := props["TaskDefinition"].(string); !ok || s == "" {
			add(joinPath(path, "TaskDefinition"), "required: the ARN of the task definition to deploy")
		}
		lb, ok := props["LoadBalancerInfo"].(map[string]any)
		if !ok {
			add(joinPath(path, "LoadBalancerInfo"), "required member missing (ContainerName and ContainerPort route the traffic)")
		} else {
			lbPath := joinPath(path, "LoadBalancerInfo")
			known(add, lbPath, lb, "ContainerName", "ContainerPort")
			if s, ok := lb["ContainerName"].(string); !ok || s == "" {
				add(joinPath(lbPath, "ContainerName"), "required member missing")
			}
			if p, ok := lb["ContainerPort"].(int); !ok {
				add(joinPath(lbPath, "ContainerPort"), "required member missing or not an integer")
			} else if p < 1 || p > 65535 {
				add(joinPath(lbPath, "ContainerPort"), "%d is not a port", p)
			}
		}
		if v, ok := props["PlatformVersion"]; ok {
			if _, ok := v.(string); !ok {
				add(joinPath(path, "PlatformVersion"), "want a string")
			}
		}
		if v, ok := props["NetworkConfiguration"]; ok {
			checkAppSpecNetwork(add, joinPath(path, "NetworkConfiguration"), v)
		}
		if v, ok := props["CapacityProviderStrategy"]; ok {
			list, ok := v.([]any)
			if !ok {
				add(joinPath(path, "CapacityProviderStrategy"), "want a list")
			}
			for i, e := range list {
				p := indexPath(joinPath(path, "CapacityProviderStrategy"), i)
				cp, ok := e.(map[string]any)
				if !ok {
					add(p, "want a mapping")
					continue
				}
				known(add, p, cp, "Base", "CapacityProvider", "Weight")
				if s, ok := cp["CapacityProvider"].(string); !ok || s == "" {
					add(joinPath(p, "CapacityProvider"), "required member missing")
				}
			}
		}
	}
}

func checkAppSpecNetwork(add func(string, string, ...any), path string, v any) {
	nc, ok := v.(map[string]any)
	if !ok {
		add(path, "want a mapping")
		return
	}
	known(add, path, nc, "AwsvpcConfiguration")
	aws, ok := nc["AwsvpcConfiguration"].(map[string]any)
	if !ok {
		add(joinPath(path, "AwsvpcConfiguration"), "required member missing")
		return
	}
	path = joinPath(path, "AwsvpcConfiguration")
	known(add, path, aws, "Subnets", "SecurityGroups", "AssignPublicIp")
	if _, ok := aws["Subnets"].([]any); !ok {
		add(joinPath(path, "Subnets"), "required: a list of subnet IDs")
	}
	if ip, ok := aws["AssignPublicIp"]; ok && ip != "ENABLED" && ip != "DISABLED" {
		add(joinPath(path, "AssignPublicIp"), "%v is not one of ENABLED, DISABLED", ip)
	}
}

// known flags the keys of m that are not among names.
func known(add func(string, string, ...any), path string, m map[string]any, names ...string) {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(names, k) {
			add(joinPath(path, k), "unknown member (want %s)", strings.Join(names, ", "))
		}
	}
}

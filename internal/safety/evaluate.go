package safety

import (
	"fmt"
	"strings"

	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/revision"
)

// Names of the checks, in the order Evaluate reports them. NameImagesInECR is
// the check the caller appends once it has asked ECR about the target's
// images.
const (
	NameTargetActive = "target exists and is ACTIVE"
	NameOlder        = "revision is older than the current one"
	NameFamily       = "same task-definition family"
	NameSchema       = "schema version does not go down"
	NameController   = "deployment controller is ECS"
	NameImagesInECR  = "target images exist in ECR"
)

// ECS deployment controller types.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentController.html
const (
	ControllerECS        = "ECS"
	ControllerCodeDeploy = "CODE_DEPLOY"
	ControllerExternal   = "EXTERNAL"
)

// Input is everything the safety checks look at, for one service.
type Input struct {
	Service       string            // service name, for the messages
	ServiceFamily string            // task-definition family the service runs; empty: the current revision's
	Controller    string            // deploymentController.type: ECS, CODE_DEPLOY, EXTERNAL; empty means ECS
	Current       revision.Revision // the revision the service runs now
	Target        revision.Revision // the revision to roll back to; ignored when !TargetFound
	TargetFound   bool              // false when DescribeTaskDefinition found no target
	SchemaLabel   string            // docker label with the schema version; empty skips the schema check
	ContainerName string            // container whose label counts; empty: the first that has it
	// AllowSchemaDowngrade turns a lower schema version from a failure into a
	// warning (the allow-schema-downgrade input).
	AllowSchemaDowngrade bool
	// CodeDeployConfigured is true when codedeploy-application and
	// codedeploy-deployment-group are both set.
	CodeDeployConfigured bool
	// Flags names settings in messages as the CLI's flags, not inputs.
	Flags bool
}

// familyNumber returns the family and number of a revision, from the ARN
// when the fields are not filled.
func familyNumber(rev revision.Revision) (string, int32) {
	if rev.Family != "" && rev.Number > 0 {
		return rev.Family, rev.Number
	}
	if f, n, err := revision.ParseARN(rev.ARN); err == nil {
		return f, n
	}
	return rev.Family, rev.Number
}

// label names a revision in messages: family:number, else its ARN.
func label(rev revision.Revision) string {
	if f, n := familyNumber(rev); f != "" && n > 0 {
		return fmt.Sprintf("%s:%d", f, n)
	}
	if rev.ARN != "" {
		return rev.ARN
	}
	return "(unknown revision)"
}

// serviceFamily is the family of the service: the one given, else the
// current revision's.
func (in Input) serviceFamily() string {
	if in.ServiceFamily != "" {
		return in.ServiceFamily
	}
	f, _ := familyNumber(in.Current)
	return f
}

// AlreadyCurrent reports whether the target is the revision the service
// already runs, so that there is nothing to change (the already-current
// result).
func AlreadyCurrent(in Input) bool {
	if !in.TargetFound {
		return false
	}
	tf, tn := familyNumber(in.Target)
	cf, cn := familyNumber(in.Current)
	return tf != "" && tn > 0 && tf == cf && tn == cn
}

// Evaluate runs the safety checks for rolling one service back from
// in.Current to in.Target and returns them in this order: the target exists
// and is ACTIVE, it is older than the current revision, it has the service's
// family, its schema version is not lower, and the service uses a deployment
// controller the action can drive. Every check is reported, so the summary
// can show them all; use [FirstFailure] to find the one that stops the
// rollback. The check of the target's images in ECR ([NameImagesInECR]) needs
// I/O and is appended by the caller.
func Evaluate(in Input) []Check {
	checks := []Check{checkActive(in)}
	if !in.TargetFound {
		for _, name := range []string{NameOlder, NameFamily, NameSchema} {
			checks = append(checks, Check{Name: name, Status: Skip, Detail: "there is no target revision to check"})
		}
	} else {
		checks = append(checks, checkOlder(in), checkFamily(in), checkSchema(in))
	}
	return append(checks, checkController(in))
}

func checkActive(in Input) Check {
	c := Check{Name: NameTargetActive}
	switch {
	case !in.TargetFound:
		c.Status, c.Detail = Fail, "the target task definition was not found; it may have been deleted"
	case in.Target.Status == "ACTIVE":
		c.Status, c.Detail = Pass, fmt.Sprintf("%s is ACTIVE", label(in.Target))
	case AlreadyCurrent(in):
		c.Status, c.Detail = Warn, fmt.Sprintf("%s is %s, but the service already runs it, so nothing changes", label(in.Target), statusWord(in.Target.Status))
	default:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s is %s; ECS does not deploy a revision that is not ACTIVE", label(in.Target), statusWord(in.Target.Status))
	}
	return c
}

// statusWord is a task-definition status for a message.
func statusWord(status string) string {
	if status == "" {
		return "of unknown status"
	}
	return status
}

func checkOlder(in Input) Check {
	c := Check{Name: NameOlder}
	tf, tn := familyNumber(in.Target)
	cf, cn := familyNumber(in.Current)
	switch {
	case tf != cf || tn == 0 || cn == 0:
		c.Status, c.Detail = Skip, fmt.Sprintf("%s and %s are not revisions of one family, so their numbers cannot be compared", label(in.Target), label(in.Current))
	case tn < cn:
		c.Status, c.Detail = Pass, fmt.Sprintf("revision %d is older than the current revision %d", tn, cn)
	case tn == cn:
		c.Status, c.Detail = Skip, fmt.Sprintf("the service already runs revision %d: already current, nothing to change", tn)
	default:
		c.Status, c.Detail = Fail, fmt.Sprintf("refusing to roll forward: revision %d is newer than the current revision %d", tn, cn)
	}
	return c
}

func checkFamily(in Input) Check {
	c := Check{Name: NameFamily}
	tf, _ := familyNumber(in.Target)
	sf := in.serviceFamily()
	switch {
	case sf == "":
		c.Status, c.Detail = Fail, fmt.Sprintf("the task-definition family of service %s is unknown", in.Service)
	case tf == sf:
		c.Status, c.Detail = Pass, fmt.Sprintf("%s belongs to family %s", label(in.Target), sf)
	default:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s belongs to family %q, but service %s runs family %q", label(in.Target), tf, in.Service, sf)
	}
	return c
}

func checkSchema(in Input) Check {
	c := Check{Name: NameSchema}
	if in.SchemaLabel == "" {
		c.Status, c.Detail = Skip, "no schema-label is configured"
		return c
	}
	cur, curOK := revision.SchemaVersion(in.Current, in.SchemaLabel, in.ContainerName)
	tgt, tgtOK := revision.SchemaVersion(in.Target, in.SchemaLabel, in.ContainerName)
	switch {
	case !curOK && !tgtOK:
		c.Status, c.Detail = Skip, fmt.Sprintf("neither revision has the label %s", in.SchemaLabel)
		return c
	case !tgtOK:
		c.Status, c.Detail = Warn, fmt.Sprintf("the current revision has %s %s but the target has no such label; cannot tell whether the schema goes down", in.SchemaLabel, cur)
		return c
	case !curOK:
		c.Status, c.Detail = Warn, fmt.Sprintf("the target has %s %s but the current revision has no such label; cannot tell whether the schema goes down", in.SchemaLabel, tgt)
		return c
	}
	order, err := revision.CompareSchema(tgt, cur)
	switch {
	case err != nil:
		c.Status, c.Detail = Warn, fmt.Sprintf("%s %s of the target and %s of the current revision cannot be compared", in.SchemaLabel, tgt, cur)
	case order >= 0:
		c.Status, c.Detail = Pass, fmt.Sprintf("%s goes from %s to %s", in.SchemaLabel, cur, tgt)
	case in.AllowSchemaDowngrade:
		c.Status, c.Detail = Warn, fmt.Sprintf("%s goes down from %s to %s; allowed by allow-schema-downgrade", in.SchemaLabel, cur, tgt)
	default:
		c.Status, c.Detail = Fail, fmt.Sprintf("%s would go down from %s to %s; the older code may not work with the newer database schema (set allow-schema-downgrade to true if it does)", in.SchemaLabel, cur, tgt)
	}
	return c
}

func checkController(in Input) Check {
	c := Check{Name: NameController}
	switch strings.ToUpper(in.Controller) {
	case "", ControllerECS:
		c.Status, c.Detail = Pass, "ECS rolling update"
	case ControllerCodeDeploy:
		if in.CodeDeployConfigured {
			c.Status, c.Detail = Pass, "CodeDeploy blue/green"
		} else {
			c.Status, c.Detail = Fail, fmt.Sprintf("service %s uses the CODE_DEPLOY deployment controller, so only CodeDeploy can change it; set %s to roll it back through CodeDeploy", in.Service, config.Setting(in.Flags, "codedeploy-application", "codedeploy-deployment-group"))
		}
	case ControllerExternal:
		c.Status, c.Detail = Fail, fmt.Sprintf("service %s uses the EXTERNAL deployment controller; this action cannot roll back an EXTERNAL controller, roll it back with the tool that manages its task sets", in.Service)
	default:
		c.Status, c.Detail = Fail, fmt.Sprintf("service %s uses the deployment controller %q, which this action does not know", in.Service, in.Controller)
	}
	return c
}

// FirstFailure returns the first check that failed, if any.
func FirstFailure(checks []Check) (Check, bool) {
	for _, c := range checks {
		if c.Status == Fail {
			return c, true
		}
	}
	return Check{}, false
}

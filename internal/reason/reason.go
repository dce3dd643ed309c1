// Package reason names every value of the reason output: why a run was
// skipped, refused or failed. It is the one place they are defined; the
// trigger, the rollback, the CLI and the report all use these.
package reason

// Why a workflow_run does not lead to a rollback (result skipped).
const (
	NotCompleted = "not-completed"        // the run has not completed
	NotAFailure  = "not-a-failure"        // its conclusion is not in failure-conclusions
	LoopGuard    = "loop-guard"           // it is itself a rollback workflow
	Fork         = "fork"                 // it ran for a fork's code
	MissingRun   = "missing-workflow-run" // the event carries no run
	// NewerDeployment: a deployment or deploy run newer than the failed one
	// exists; the rollback would overwrite it.
	NewerDeployment = "newer-deployment"
)

// Why a run was refused before any change (result failed, nothing changed).
const (
	Confirmation       = "confirmation-mismatch"             // the typed phrase is not the expected one
	InvalidInput       = "invalid-input"                     // an input is missing or malformed
	InvalidEvent       = "invalid-event"                     // the event file is missing or not JSON
	AWSConfig          = "aws-config"                        // no AWS region or credentials
	NoPrevious         = "no-previous-deployment"            // no earlier successful deployment with a usable artifact
	NoDeployWorkflow   = "no-deploy-workflow"                // no target and no workflow to search
	SourceError        = "source-error"                      // GitHub could not be searched
	ServiceNotFound    = "service-not-found"                 // the service is not in the cluster
	ECSError           = "ecs-error"                         // ECS could not be read
	NoMatch            = "no-matching-revision"              // no revision carries the image tag
	CheckFailed        = "safety-check-failed"               // a safety check failed
	OtherFamily        = "other-family"                      // the target is of another family
	RollForward        = "roll-forward-refused"              // the target is newer than the current revision
	TargetNotActive    = "target-not-active"                 // the target is not ACTIVE
	Controller         = "unsupported-deployment-controller" // an EXTERNAL controller, or CODE_DEPLOY without its inputs
	SchemaDowngrade    = "schema-downgrade"                  // the target's schema label is older
	ImageMissing       = "image-missing"                     // the target's image is not in ECR
	ImageChanged       = "image-changed"                     // the target's image tag now points to another digest than ECS ran
	ServiceNotActive   = "service-not-active"                // the service is DRAINING or INACTIVE (being deleted)
	OtherServiceFailed = "other-service-failed"              // another service of the run was refused
	PlanChanged        = "plan-changed"                      // the service changed after the confirmed plan (CLI)
	RecordFailed       = "record-failed"                     // record could not write the state
	CodeDeploy         = "codedeploy-error"                  // CodeDeploy refused or failed the deployment
	Cancelled          = "cancelled"                         // SIGINT or SIGTERM, before or after the change
	UpdateFailed       = "update-failed"                     // UpdateService failed
	RolloutFailed      = "rollout-failed"                    // the rollout to the target failed
	WaitTimeout        = "wait-timeout"                      // not stable within wait-timeout
	VerifyFailed       = "verify-failed"                     // the service runs another revision after the wait
)

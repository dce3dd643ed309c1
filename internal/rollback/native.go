package rollback

// ECS as it deploys today: its own deployment history as a second source of
// truth, and the fastest faithful way back for the state the service is in
// (StopServiceDeployment or ContinueServiceDeployment with ROLLBACK for a
// deployment still in flight from the target, else UpdateService), with a
// wait that knows the BLUE_GREEN, LINEAR and CANARY strategies and fails
// at once when ECS undoes the rollback.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/apply"
	"github.com/deplight/ecs-rollback/internal/config"
	"github.com/deplight/ecs-rollback/internal/ecsread"
	"github.com/deplight/ecs-rollback/internal/reason"
	"github.com/deplight/ecs-rollback/internal/revision"
	"github.com/deplight/ecs-rollback/internal/safety"
	"github.com/deplight/ecs-rollback/internal/target"
	"github.com/deplight/ecs-rollback/internal/wait"
)

// mechanism is how a service is put back on its target.
type mechanism string

const (
	mechUpdate   mechanism = "UpdateService"
	mechStop     mechanism = "StopServiceDeployment"
	mechContinue mechanism = "ContinueServiceDeployment"
	// mechJoin: ECS is already rolling back to the target; wait for it.
	mechJoin mechanism = "no call (ECS is already rolling back)"
)

// nativeState is what ECS's deployment history lets one service's rollback
// do.
type nativeState struct {
	// history is nil when it could not be read or the service is not
	// ECS-controlled: the rollback then behaves as before history existed.
	history *ecsread.History
	mech    mechanism
	// inFlight is the deployment to stop (or continue) for mechStop and
	// mechContinue; hook the one it is paused at.
	inFlight ecsread.ServiceDeployment
	hook     ecsread.Hook
	why      string // why this mechanism, for the dry run and the summary
	// pin maps container → recorded digest, with pin-digests, when the
	// target's tags now resolve to other images.
	pin      map[string]string
	original *revision.Revision // the target the pinned copy was made from
}

// native reports whether the rollback goes through ECS's own rollback.
func (n *nativeState) native() bool {
	return n != nil && (n.mech == mechStop || n.mech == mechContinue || n.mech == mechJoin)
}

// planText says, for the dry run, which mechanism would be used and why.
func (n *nativeState) planText() string {
	if n == nil || n.history == nil {
		return ""
	}
	s := fmt.Sprintf(" with %s", n.mech)
	if n.why != "" {
		s += " (" + n.why + ")"
	}
	if len(n.pin) > 0 {
		s += ", to a copy of the target pinned to the image digests ECS recorded"
	}
	return s
}

func isECSController(c string) bool {
	return c == "" || strings.EqualFold(c, safety.ControllerECS)
}

// startHistory reads the service's deployment history into out, alongside
// the other reads of prepare; wg is theirs.
func (r *Runner) startHistory(ctx context.Context, svc ecsread.Service, cluster string, out *prepared, wg *sync.WaitGroup) {
	if r.ECS == nil || !isECSController(svc.Controller) {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		h, err := ecsread.ReadHistory(ctx, r.ECS, cluster, svc.Name)
		if err != nil {
			out.historyErr = err
			return
		}
		out.history = &h
		r.debugf("%s: ECS holds %d service deployments", svc.Name, len(h.Deployments))
	}()
}

// historyWarning is the one warning a failed history read gives, naming
// the permission when it was denied; "" when the endpoint simply has no
// history to offer.
func historyWarning(err error) string {
	var he *ecsread.HistoryError
	if !errors.As(err, &he) {
		return fmt.Sprintf("ECS's deployment history could not be read (%s); the rollback went on without it.", briefError(err))
	}
	if he.Unsupported() {
		return ""
	}
	if he.Denied() {
		return fmt.Sprintf("ECS's deployment history could not be read: the role lacks ecs:%s (%s). The rollback went on without it; grant ecs:ListServiceDeployments, ecs:DescribeServiceDeployments and ecs:DescribeServiceRevisions to use ECS's own record and native rollback.", he.Op, briefError(he.Err))
	}
	return fmt.Sprintf("ECS's deployment history could not be read (%s: %s); the rollback went on without it.", he.Op, briefError(he.Err))
}

// historyMayDecide reports whether, with no usable artifact, ECS's history
// may still name the target: source auto, and the artifact search found
// nothing usable (or GitHub could not be searched).
func historyMayDecide(cfg config.Config, f *failure) bool {
	if cfg.Source != config.SourceAuto || f == nil {
		return false
	}
	switch f.reason {
	case reason.NoPrevious, reason.NoDeployWorkflow, reason.SourceError:
		return true
	}
	return false
}

// sources is what target.ChooseFrom needs of the source input for one
// service.
func sources(cfg config.Config, pre prepared) target.Sources {
	src := target.Sources{Mode: string(cfg.Source), Artifact: pre.artifact, Manual: cfg.Revision != "" || cfg.ImageTag != ""}
	switch {
	case pre.history != nil:
		src.History = pre.history.LastGood(pre.current.ARN, revision.SameRevision)
		if src.History == "" {
			src.NoHistory = "ECS's deployment history holds no successful deployment of another revision than the current one"
		}
	case pre.historyErr != nil:
		src.NoHistory = "ECS's deployment history could not be read: " + briefError(errors.Unwrap(pre.historyErr))
	default:
		src.NoHistory = "ECS keeps no deployment history for this service"
	}
	return src
}

// chooseFrom is target.ChooseFrom, except that with no usable artifact
// and nothing in ECS's history the artifact search's own failure stands.
func chooseFrom(snap target.Snapshot, cfg config.Config, pre prepared) (target.Decision, *failure) {
	src := sources(cfg, pre)
	if !src.Manual && !pre.artifact && pre.srcFail != nil && src.History == "" {
		return target.Decision{}, pre.srcFail
	}
	return target.ChooseFrom(snap, src), nil
}

// serviceStateFailure refuses a service that is being deleted.
// See https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
func serviceStateFailure(svc ecsread.Service) *failure {
	if svc.Status == "DRAINING" || svc.Status == "INACTIVE" {
		return fail(reason.ServiceNotActive, "service %s is %s (being deleted): it cannot be rolled back. Nothing was changed.", svc.Name, svc.Status)
	}
	return nil
}

// planNative is the ECS controller's planning: the mechanism, and the
// mutable-tag check when UpdateService would resolve tags again.
func (r *Runner) planNative(ctx context.Context, cfg config.Config, p *plan) *failure {
	n := p.nat
	if n == nil || n.history == nil {
		return nil
	}
	n.mech = mechUpdate
	to, from := p.result.To, p.result.From
	if to == nil || from == nil || revision.SameRevision(to.ARN, from.ARN) {
		return nil
	}
	h := *n.history
	if d, ok := rollingBackTo(h, to.ARN); ok {
		n.mech, n.inFlight = mechJoin, d
		n.why = fmt.Sprintf("ECS is already rolling deployment %s back to revision %d (%s): the action waits for it rather than start another rollout", lastPart(d.ARN), to.Number, cmpOr(rollbackReason(d), d.Status))
		return nil
	}
	if d, ok := h.InFlightDeployment(); ok {
		fromTarget := slices.ContainsFunc(d.Sources, func(arn string) bool {
			return revision.SameRevision(h.TaskDefinition(arn), to.ARN)
		})
		switch {
		case !fromTarget:
			n.why = fmt.Sprintf("the deployment in flight, %s, started from another revision than the target: UpdateService supersedes it", lastPart(d.ARN))
		default:
			n.inFlight = d
			if hook, ok := d.Awaiting(); ok {
				n.mech, n.hook = mechContinue, hook
				n.why = fmt.Sprintf("deployment %s is paused at a lifecycle hook in %s: ContinueServiceDeployment with ROLLBACK restores revision %d", lastPart(d.ARN), d.Stage, to.Number)
			} else {
				n.mech = mechStop
				n.why = fmt.Sprintf("deployment %s (%s%s) is still %s from revision %d: StopServiceDeployment with ROLLBACK restores its whole previous service revision", lastPart(d.ARN), d.Strategy, stageText(d), d.Status, to.Number)
				if d.Strategy != ecsread.StrategyRolling && d.Stage == ecsread.StageBakeTime {
					n.why += ", a traffic switch back to tasks still running"
				}
			}
			return nil
		}
	} else {
		n.why = "no deployment is in flight"
	}
	return r.checkDigests(ctx, cfg, p)
}

func stageText(d ecsread.ServiceDeployment) string {
	if d.Stage == "" {
		return ""
	}
	return ", " + d.Stage
}

// lastPart is the id at the end of an ARN.
func lastPart(arn string) string {
	return arn[strings.LastIndex(arn, "/")+1:]
}

// applyNative is the ECS controller's apply: ECS's own rollback for a
// deployment in flight from the target, else UpdateService, waiting as the
// service's deployment strategy requires.
func (r *Runner) applyNative(ctx context.Context, cfg config.Config, p *plan) *failure {
	n, sr := p.nat, &p.result
	if p.service.DesiredCount == 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%s has desiredCount 0: it was rolled back to revision %d, but no task of it runs until the service is scaled up.", sr.Service, sr.To.Number))
	}
	if n == nil || n.history == nil || p.join {
		return r.applyECS(ctx, cfg, p)
	}
	if n.mech == mechJoin {
		return r.joinRollback(ctx, cfg, p)
	}
	if n.native() {
		f, fellBack := r.applyStop(ctx, cfg, p)
		if !fellBack {
			return f
		}
		sr.Superseded = p.service.TaskDefinition
		if f := r.checkDigests(ctx, cfg, p); f != nil {
			return f
		}
	}
	if len(n.pin) > 0 {
		if f := r.registerPinned(ctx, p); f != nil {
			return f
		}
	}
	return r.applyUpdate(ctx, cfg, p)
}

// applyStop rolls back through ECS: StopServiceDeployment (or, paused at a
// hook, ContinueServiceDeployment) with ROLLBACK, then waits for
// ROLLBACK_SUCCESSFUL. fellBack is true when ECS refused because the
// deployment had just ended: the caller goes on with UpdateService.
func (r *Runner) applyStop(ctx context.Context, cfg config.Config, p *plan) (f *failure, fellBack bool) {
	n, sr := p.nat, &p.result
	api := r.ECS
	var err error
	if n.mech == mechContinue {
		r.logf("ContinueServiceDeployment %s at hook %s with ROLLBACK", n.inFlight.ARN, n.hook.ID)
		err = apply.ContinueRollback(ctx, api, n.inFlight.ARN, n.hook.ID)
		if err != nil && apply.Refused(err) {
			// The hook no longer waits: stop the deployment instead.
			r.logf("the hook no longer waits (%s); StopServiceDeployment %s with ROLLBACK", briefError(err), n.inFlight.ARN)
			n.mech = mechStop
			err = apply.StopRollback(ctx, api, n.inFlight.ARN)
		}
	} else {
		r.logf("StopServiceDeployment %s with ROLLBACK", n.inFlight.ARN)
		err = apply.StopRollback(ctx, api, n.inFlight.ARN)
	}
	sr.UpdateSent = mayHaveApplied(err)
	if sr.UpdateSent {
		sr.Mechanism = string(n.mech)
	}
	if err != nil {
		if apply.Refused(err) {
			note := fmt.Sprintf("%s was refused (%s): the deployment had just ended, so the action rolled back with UpdateService instead", n.mech, briefError(err))
			r.logf("%s", note)
			addNote(sr, note)
			n.mech, n.why, sr.Mechanism = mechUpdate, note, ""
			return nil, true
		}
		if apply.Denied(err) {
			p.warnings = append(p.warnings, fmt.Sprintf("%s: the role lacks ecs:%s (%s), so ECS could not roll the deployment back itself; the action rolled back with UpdateService instead. Grant ecs:StopServiceDeployment (and ecs:ContinueServiceDeployment) for the faster native rollback.", sr.Service, n.mech, briefError(err)))
			addNote(sr, fmt.Sprintf("%s was denied, so the action rolled back with UpdateService instead", n.mech))
			n.mech, sr.Mechanism = mechUpdate, ""
			return nil, true
		}
		return r.applyFailure(ctx, err, reason.UpdateFailed, fmt.Sprintf("%s %s with ROLLBACK", n.mech, n.inFlight.ARN)), false
	}
	addNote(sr, fmt.Sprintf("rolled back by ECS itself: %s", n.why))
	if !cfg.Wait {
		// ECS has the rollback in hand; the service may still list the
		// revision it leaves until it is done.
		p.unverified = true
		return nil, false
	}
	prog, err := r.waitDeployment(ctx, cfg, p, n.inFlight.ARN, wait.GoalRolledBack)
	if err != nil {
		return r.nativeWaitFailure(ctx, cfg, p, err), false
	}
	p.observed = &prog.Service
	return nil, false
}

// rollingBackTo finds the newest deployment, when ECS is rolling it back
// (ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS) onto target.
func rollingBackTo(h ecsread.History, target string) (ecsread.ServiceDeployment, bool) {
	if len(h.Deployments) == 0 {
		return ecsread.ServiceDeployment{}, false
	}
	d := h.Deployments[0]
	if d.Status != "ROLLBACK_REQUESTED" && d.Status != "ROLLBACK_IN_PROGRESS" {
		return d, false
	}
	to := ""
	if d.Rollback != nil {
		to = h.TaskDefinition(d.Rollback.ServiceRevision)
	}
	if to == "" && len(d.Sources) > 0 {
		to = h.TaskDefinition(d.Sources[0])
	}
	return d, to != "" && revision.SameRevision(to, target)
}

func rollbackReason(d ecsread.ServiceDeployment) string {
	if d.Rollback != nil {
		return d.Rollback.Reason
	}
	return d.StatusReason
}

// joinRollback waits for the rollback ECS is already making onto the
// target.
func (r *Runner) joinRollback(ctx context.Context, cfg config.Config, p *plan) *failure {
	n, sr := p.nat, &p.result
	r.logf("%s", n.why)
	addNote(sr, n.why)
	if !cfg.Wait {
		p.unverified = true
		return nil
	}
	prog, err := r.waitDeployment(ctx, cfg, p, n.inFlight.ARN, wait.GoalRolledBack)
	if err != nil {
		return r.nativeWaitFailure(ctx, cfg, p, err)
	}
	p.observed = &prog.Service
	return nil
}

// applyUpdate calls UpdateService and waits for the deployment it started,
// as its strategy requires.
func (r *Runner) applyUpdate(ctx context.Context, cfg config.Config, p *plan) *failure {
	sr := &p.result
	to := sr.To
	r.logf("UpdateService %s → %s", sr.Service, to.ARN)
	out, err := r.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:        optionalString(cfg.Cluster),
		Service:        aws.String(sr.Service),
		TaskDefinition: aws.String(to.ARN),
	})
	sr.UpdateSent = mayHaveApplied(err)
	if err != nil {
		return r.applyFailure(ctx, fmt.Errorf("update service %s in cluster %s to %s: %w", sr.Service, cfg.Cluster, to.ARN, err), reason.UpdateFailed,
			fmt.Sprintf("update service %s to %s", sr.Service, to.ARN))
	}
	if !cfg.Wait {
		return nil
	}
	arn := ""
	if out.Service != nil {
		arn = aws.ToString(out.Service.CurrentServiceDeployment)
	}
	if arn == "" {
		p.join = true // UpdateService was sent: only the wait is left
		return r.applyECS(ctx, cfg, p)
	}
	prog, err := r.waitDeployment(ctx, cfg, p, arn, wait.GoalDeployed)
	if err != nil {
		return r.nativeWaitFailure(ctx, cfg, p, err)
	}
	p.observed = &prog.Service
	if d := prog.Deployment; d.Strategy != "" && d.Strategy != ecsread.StrategyRolling && d.Status != ecsread.SDSuccessful {
		addNote(sr, bakeNote(d, to.Number))
	}
	return nil
}

// bakeNote says that production traffic is back and the bake goes on.
func bakeNote(d ecsread.ServiceDeployment, number int32) string {
	s := fmt.Sprintf("production traffic is entirely on revision %d (%s deployment, stage %s)", number, d.Strategy, d.Stage)
	if d.BakeTime > 0 && d.Stage == ecsread.StageBakeTime {
		s += fmt.Sprintf("; ECS bakes it for up to %s more before it stops the old tasks, and may still roll back on an alarm in that time", d.BakeTime)
	}
	return s
}

// waitDeployment waits for a service deployment, printing each new service
// event once as it comes.
func (r *Runner) waitDeployment(ctx context.Context, cfg config.Config, p *plan, arn string, goal wait.Goal) (wait.Progress, error) {
	sr := &p.result
	api := r.ECS
	r.logf("waiting up to %s for %s (service deployment %s)", cfg.WaitTimeout, sr.Service, lastPart(arn))
	return wait.Deployment(ctx, api, cfg.Cluster, sr.Service, arn, sr.To.ARN, goal, wait.Options{
		Timeout:   cfg.WaitTimeout,
		FirstPoll: r.FirstPoll,
		MaxPoll:   r.MaxPoll,
		OnService: r.printEvents(p),
	})
}

// nativeWaitFailure explains a deployment wait that failed: ECS undid the
// rollback (never advising a longer wait-timeout then), the native
// rollback failed, or the wait ran out.
func (r *Runner) nativeWaitFailure(ctx context.Context, cfg config.Config, p *plan, err error) *failure {
	sr := &p.result
	var (
		undone *wait.UndoneError
		rbf    *wait.RollbackFailedError
	)
	switch {
	case errors.As(err, &undone):
		verb := "undid"
		switch {
		case undone.Missing:
			verb = "lost track of"
		case !strings.HasPrefix(undone.Deployment.Status, "ROLLBACK"):
			verb = "stopped"
		}
		f := fail(reason.RolloutFailed, "ECS %s the rollback of %s to revision %d: %s. %s Nothing more will happen on its own: read the service events below, fix the cause, then roll back again.",
			verb, sr.Service, sr.To.Number, whatECSDid(undone.Deployment, undone.Missing), nowState(undone, sr))
		r.readDiagnostics(ctx, cfg.Cluster, sr, sr.To.ARN)
		return f
	case errors.As(err, &rbf):
		f := fail(reason.RolloutFailed, "ECS's rollback of deployment %s for %s did not succeed: it ended %s (%s). %s Read the service events below.",
			lastPart(rbf.Deployment.ARN), sr.Service, cmpOr(rbf.Deployment.Status, "unknown"), cmpOr(rbf.Deployment.StatusReason, "no reason given"), runsNow(rbf.Last))
		r.readDiagnostics(ctx, cfg.Cluster, sr, "")
		return f
	}
	return r.waitFailure(ctx, cfg, p, err)
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// whatECSDid names what ended the deployment: the circuit breaker, an
// alarm, or something else, with ECS's own words.
func whatECSDid(d ecsread.ServiceDeployment, missing bool) string {
	if missing {
		return fmt.Sprintf("its service deployment %s is no longer known to ECS (a newer deployment or a deleted service)", lastPart(d.ARN))
	}
	var cause string
	switch {
	case d.CircuitBreaker == "TRIGGERED":
		cause = "the deployment circuit breaker tripped (tasks of the target failed to start or to pass health checks)"
	case d.Alarms == "TRIGGERED":
		cause = fmt.Sprintf("the CloudWatch alarm %s went into ALARM", strings.Join(d.TriggeredAlarms, ", "))
	default:
		cause = "the deployment was stopped"
	}
	s := fmt.Sprintf("%s and ECS ended deployment %s %s", cause, lastPart(d.ARN), d.Status)
	why := d.StatusReason
	if d.Rollback != nil && d.Rollback.Reason != "" {
		why = d.Rollback.Reason
	}
	if why != "" {
		s += fmt.Sprintf(" (%q)", why)
	}
	return s
}

// nowState says what the service runs now, or is being put back on.
func nowState(u *wait.UndoneError, sr *ServiceResult) string {
	switch u.Deployment.Status {
	case "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS":
		if sr.From != nil {
			return fmt.Sprintf("ECS is putting back revision %d (%s), which the service ran before the rollback.", sr.From.Number, sr.From.ARN)
		}
	}
	return runsNow(u.Last)
}

// runsNow says which revision the service runs, as last described.
func runsNow(s ecsread.Service) string {
	if s.TaskDefinition == "" {
		return ""
	}
	if _, n, err := revision.ParseARN(s.TaskDefinition); err == nil {
		return fmt.Sprintf("The service runs revision %d (%s) now.", n, s.TaskDefinition)
	}
	return fmt.Sprintf("The service runs %s now.", s.TaskDefinition)
}

// addNote adds a note to a service's message (the summary shows it).
func addNote(sr *ServiceResult, note string) {
	if sr.Message == "" {
		sr.Message = note
		return
	}
	sr.Message += "; " + note
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// deregisterRolledBack, after a run that ended already-current, deregisters
// for each service the revision ECS itself rolled it back from (named by
// its newest deployment, ROLLBACK_SUCCESSFUL onto the current revision),
// never the current one.
func (r *Runner) deregisterRolledBack(ctx context.Context, cfg config.Config, plans []*plan, res *Result) {
	if !cfg.DeregisterFailed || cfg.DryRun {
		return
	}
	for _, p := range plans {
		if p.nat == nil || p.nat.history == nil || p.result.To == nil {
			continue
		}
		cur := p.result.To.ARN
		from := p.nat.history.RolledBackFrom(cur, revision.SameRevision)
		if from == "" || revision.SameRevision(from, p.service.TaskDefinition) {
			continue
		}
		r.logf("DeregisterTaskDefinition %s (ECS rolled %s back from it)", from, p.result.Service)
		if err := apply.Deregister(ctx, r.ECS, from); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf(
				"ECS had already rolled %s back, but deregistering the revision it rolled back from failed (%s). Deregister %s by hand if it should not be deployed again; the role needs ecs:DeregisterTaskDefinition.",
				p.result.Service, briefError(err), from))
			continue
		}
		p.result.Deregistered = from
	}
}

// settleSources, once every service is planned, sets the source output and
// drops repeated warnings (the history warning is the same for every
// service).
func settleSources(cfg config.Config, plans []*plan, res *Result) {
	var warns []string
	for _, w := range res.Warnings {
		if !slices.Contains(warns, w) {
			warns = append(warns, w)
		}
	}
	res.Warnings = warns
	if cfg.Revision != "" || cfg.ImageTag != "" {
		res.SourceKind = "manual"
		return
	}
	for _, p := range plans {
		switch {
		case p.result.How == target.HowECSHistory:
			res.SourceKind = "ecs"
			if res.Source == nil {
				return
			}
		case p.result.How != "" && res.Source != nil:
			res.SourceKind = "artifact"
			return
		}
	}
}

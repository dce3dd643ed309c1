// Package apply holds the mechanisms that put a service on its target
// revision: UpdateService for services with the ECS deployment controller,
// a CodeDeploy deployment (or stopping one with auto-rollback) for those
// with CODE_DEPLOY, and deregistering the revision left behind. Each is a
// small function over a narrow aws-sdk-go-v2 interface.
package apply

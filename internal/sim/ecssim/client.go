package ecssim

import (
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// Client returns a real aws-sdk-go-v2 ECS client pointed at the simulator,
// with static credentials and the standard retryer (3 attempts) but with
// backoff capped at 10ms and no client-side retry quota, so injected
// throttles are retried without slowing tests down. optFns adjust it
// further.
// See https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/service/ecs#NewFromConfig
func (s *Server) Client(optFns ...func(*ecs.Options)) *ecs.Client {
	return ecs.NewFromConfig(awsjson.ClientConfig(s.URL(), Region), optFns...)
}

package cdsim

import (
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/deplight/ecs-rollback/internal/sim/awsjson"
)

// Client returns a real aws-sdk-go-v2 CodeDeploy client pointed at the
// simulator, in us-east-1 with static credentials, retrying with backoff
// capped at 10ms and no client-side retry quota. optFns adjust it further.
// See https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/service/codedeploy#NewFromConfig
func (s *Server) Client(optFns ...func(*codedeploy.Options)) *codedeploy.Client {
	return codedeploy.NewFromConfig(awsjson.ClientConfig(s.URL(), "us-east-1"), optFns...)
}

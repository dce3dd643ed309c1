package ecssim

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Client returns a real aws-sdk-go-v2 ECS client pointed at the simulator,
// with static credentials and the standard retryer (3 attempts) but with
// backoff capped at 10ms and no client-side retry quota, so injected
// throttles are retried without slowing tests down. optFns adjust it
// further.
// See https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/service/ecs#New
func (s *Server) Client(optFns ...func(*ecs.Options)) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxBackoff = 10 * time.Millisecond
			o.RateLimiter = ratelimit.None
		}),
	}, optFns...)
}

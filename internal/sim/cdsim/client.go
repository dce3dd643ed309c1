package cdsim

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
)

// Client returns a real aws-sdk-go-v2 CodeDeploy client pointed at the
// simulator, in us-east-1 with static credentials, retrying with backoff
// capped at 10ms and no client-side retry quota. optFns adjust it further.
// See https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/service/codedeploy#New
func (s *Server) Client(optFns ...func(*codedeploy.Options)) *codedeploy.Client {
	return codedeploy.New(codedeploy.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxBackoff = 10 * time.Millisecond
			o.RateLimiter = ratelimit.None
		}),
	}, optFns...)
}

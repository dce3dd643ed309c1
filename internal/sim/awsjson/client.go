package awsjson

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// ClientConfig is the configuration of a real aws-sdk-go-v2 client pointed
// at a simulator's endpoint, for a service's NewFromConfig: region, static
// credentials, and the standard retryer (3 attempts) with backoff capped at
// 10ms and no client-side retry quota, so that injected throttles are
// retried without slowing tests down.
// See https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/aws#Config
func ClientConfig(endpoint, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxBackoff = 10 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

package jaas

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/twmb/franz-go/pkg/sasl"
	awsmsk "github.com/twmb/franz-go/pkg/sasl/aws"
)

// iamModule is the login module of Amazon MSK's IAM authentication library,
// and iamHandler its callback handler, which MSK's instructions set.
const (
	iamModule  = "software.amazon.msk.auth.iam.IAMLoginModule"
	iamHandler = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
)

// awsMechanism builds AWS_MSK_IAM: requests signed with the AWS SDK's
// default credential chain (environment, shared files, SSO, web identity,
// container and instance roles), or with the JAAS options of
// aws-msk-iam-auth: awsProfileName, and awsRoleArn (assumed through STS,
// with awsRoleSessionName and awsStsRegion). The region comes from the
// broker's host name, else AWS_REGION.
func awsMechanism(get Lookup, m Module, jaasName string) (sasl.Mechanism, error) {
	if h, hName, ok := get("sasl.client.callback.handler.class"); ok && h != "" && h != iamHandler {
		return nil, fmt.Errorf("%s: %q is not %s", hName, h, iamHandler)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if p := m.Options["awsProfileName"]; p != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(p))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: AWS configuration: %v", jaasName, err)
	}
	creds := cfg.Credentials
	if arn := m.Options["awsRoleArn"]; arn != "" {
		stsCfg := cfg.Copy()
		if r := m.Options["awsStsRegion"]; r != "" {
			stsCfg.Region = r
		}
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), arn, func(o *stscreds.AssumeRoleOptions) {
			if s := m.Options["awsRoleSessionName"]; s != "" {
				o.RoleSessionName = s
			}
		}))
	}
	if creds == nil {
		return nil, fmt.Errorf("%s: the AWS SDK found no credentials provider", jaasName)
	}
	return awsmsk.ManagedStreamingIAM(func(ctx context.Context) (awsmsk.Auth, error) {
		c, err := creds.Retrieve(ctx)
		if err != nil {
			return awsmsk.Auth{}, fmt.Errorf("AWS credentials: %w", err)
		}
		return awsmsk.Auth{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken, UserAgent: "krest"}, nil
	}), nil
}

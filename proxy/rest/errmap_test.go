package rest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/consumer"
)

// TestConsumerErrorMapping: the errors of package consumer get the status,
// code and message of Confluent's proxy.
func TestConsumerErrorMapping(t *testing.T) {
	t.Parallel()
	regexpErr := errors.New("error parsing regexp: missing closing ): `a(`")
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{consumer.ErrInstanceNotFound, 404, `{"error_code":40403,"message":"Consumer instance not found."}`},
		{consumer.ErrInstanceExists, 409, `{"error_code":40902,"message":"Consumer with specified consumer ID already exists in the specified consumer group."}`},
		{consumer.ErrTooManyInstances, 429, `{"error_code":429,"message":"Too many consumer instances: consumer.instances.max is reached; delete unused instances or raise it"}`},
		{consumer.ErrMemory, 429, `{"error_code":429,"message":"Consumer memory budget exhausted: consumer.memory.max.bytes cannot hold another instance's consumer.buffer.max.bytes; delete idle instances or raise it"}`},
		{consumer.ErrPartitionNotFound, 404, `{"error_code":40402,"message":"Partition not found."}`},
		{consumer.ErrMixedConsuming, 409, `{"error_code":40903,"message":"Illegal state: Subscription to topics, partitions and pattern are mutually exclusive"}`},
		{consumer.ErrNotConsuming, 409, `{"error_code":40903,"message":"Illegal state: Consumer is not subscribed to any topics or assigned any partitions"}`},
		{&consumer.IllegalStateError{Msg: "No current assignment for partition t-1"}, 409, `{"error_code":40903,"message":"Illegal state: No current assignment for partition t-1"}`},
		{&consumer.PatternError{Pattern: "a(", Err: regexpErr}, 422, `{"error_code":422,"message":"Invalid topic_pattern \"a(\": error parsing regexp: missing closing ): ` + "`a(`" + `"}`},
		{fmt.Errorf("consumer client: %w", errors.New("bad option")), 500, `{"error_code":50002,"message":"Kafka error: consumer client: bad option"}`},
	} {
		var ctx fasthttp.RequestCtx
		WriteError(&ctx, tc.err)
		if status, body := ctx.Response.StatusCode(), string(ctx.Response.Body()); status != tc.status || body != tc.want {
			t.Errorf("%v: %d %s\nwant %d %s", tc.err, status, body, tc.status, tc.want)
		}
	}
}

// TestSecurityErrorMapping: Kafka's refusals are Confluent's 401/40101 and
// 403/40301, on whole requests and per produced record.
func TestSecurityErrorMapping(t *testing.T) {
	t.Parallel()
	sasl := fmt.Errorf("%w: %s", kerr.SaslAuthenticationFailed, "Authentication failed: Invalid username or password")
	tlsErr := fmt.Errorf("unable to dial: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}})
	for _, tc := range []struct {
		err    error
		status int
		want   string
		code   int
	}{
		{sasl, 401, `{"error_code":40101,"message":"Authentication failed: Invalid username or password"}`, CodeKafkaAuthentication},
		{tlsErr, 401, `{"error_code":40101,"message":"SSL handshake failed: the broker's certificate is not signed by a trusted authority (see ssl.truststore.*)"}`, CodeKafkaAuthentication},
		{kerr.TopicAuthorizationFailed, 403, `{"error_code":40301,"message":"Not authorized to access topics: [Topic authorization failed.]"}`, CodeKafkaAuthorization},
		{fmt.Errorf("join: %w", kerr.GroupAuthorizationFailed), 403, `{"error_code":40301,"message":"Not authorized to access group: Group authorization failed."}`, CodeKafkaAuthorization},
	} {
		var ctx fasthttp.RequestCtx
		WriteError(&ctx, tc.err)
		if status, body := ctx.Response.StatusCode(), string(ctx.Response.Body()); status != tc.status || body != tc.want {
			t.Errorf("%v: %d %s\nwant %d %s", tc.err, status, body, tc.status, tc.want)
		}
		if code, _ := RecordError(tc.err); code != tc.code {
			t.Errorf("%v: record error code %d, want %d", tc.err, code, tc.code)
		}
	}
}

package rest

import (
	"errors"
	"fmt"
	"testing"

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

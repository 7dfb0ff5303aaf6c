package v3

import (
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/rest"
)

// parseID parses a broker or partition id of a path.
func parseID(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, err
	}
	return int32(n), nil
}

// idParam is a numeric path parameter ({partition}, {broker}); one that
// is not an int32 names nothing (404), as a JAX-RS int parameter that
// does not convert.
func idParam(ctx *fasthttp.RequestCtx, name string) (int32, error) {
	raw, err := rest.PathParam(ctx, name)
	if err != nil {
		return 0, err
	}
	id, err := parseID(raw)
	if err != nil {
		return 0, rest.ErrNotFound
	}
	return id, nil
}

// partitionParam is the {partition} path parameter.
func partitionParam(ctx *fasthttp.RequestCtx) (int32, error) { return idParam(ctx, "partition") }

// partitionParamToWrite is {topic} and {partition} of a request that
// moves the partition: a negative one is a partition no cluster hosts,
// answered as Kafka answers an unknown partition (40403) without asking.
func partitionParamToWrite(ctx *fasthttp.RequestCtx) (string, int32, error) {
	topic, p, err := partitionParams(ctx)
	if err == nil && p < 0 {
		return "", 0, rest.ErrTopicNotFound
	}
	return topic, p, err
}

// boolQuery reads a boolean query parameter as JAX-RS does: "true" in any
// case is true, anything else false.
func boolQuery(ctx *fasthttp.RequestCtx, name string) bool {
	return strings.EqualFold(string(ctx.QueryArgs().Peek(name)), "true")
}

package v2

import (
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/rest"
)

// instanceSettings validates the body of a consumer creation into the
// instance's settings, with Confluent's codes: 422 for a bad name or
// format, 42204 for a value Kafka's consumer config refuses, 40001 (HTTP
// 422) for fetch.min.bytes out of range.
func (a *API) instanceSettings(req *createConsumerRequest) (consumer.Settings, error) {
	st := consumer.Settings{
		Format:         codec.Binary,
		Reset:          kgo.NewOffset().AtEnd(), // Kafka's default: latest
		AutoCommit:     true,                    // Kafka's default
		FetchMinBytes:  a.Config.Consumers.FetchMinBytes,
		RequestTimeout: a.Config.Consumers.RequestTimeout,
	}
	if req.Name != nil {
		st.Name = *req.Name
	}
	if req.ID != nil && *req.ID != "" {
		st.Name = *req.ID // the legacy id wins over name, as in Confluent's proxy
	}
	if strings.ContainsAny(st.Name, "/?#") {
		return st, rest.Unprocessable("Invalid consumer instance name %q", st.Name)
	}
	if admin.NameTooLong(st.Name) {
		return st, rest.Unprocessable("Invalid consumer instance name: it can't be longer than %d characters, name: %s", admin.MaxGroupNameLength, codec.Clip(st.Name, 40))
	}
	if req.Format != nil {
		f, ok := codec.ParseFormat(*req.Format)
		if !ok {
			return st, rest.Unprocessable("Invalid format type.")
		}
		if f.UsesSchema() && a.Schemas == nil {
			return st, rest.ErrNoRegistry
		}
		st.Format = f
	}
	if req.AutoOffsetReset != nil {
		switch strings.ToLower(*req.AutoOffsetReset) {
		case "earliest", "smallest":
			st.Reset = kgo.NewOffset().AtStart()
		case "latest", "largest":
			st.Reset = kgo.NewOffset().AtEnd()
		case "none":
			st.Reset = kgo.NewOffset().AtCommitted()
		default:
			return st, rest.Errorf(422, rest.CodeInvalidConsumerConfig, "Invalid consumer configuration: Invalid value %s for configuration auto.offset.reset: String must be one of: latest, earliest, none", *req.AutoOffsetReset)
		}
	}
	if len(req.AutoCommitEnable) > 0 && string(req.AutoCommitEnable) != "null" {
		v := strings.Trim(string(req.AutoCommitEnable), `"`)
		b, err := strconv.ParseBool(v)
		if err != nil {
			return st, rest.Errorf(422, rest.CodeInvalidConsumerConfig, "Invalid consumer configuration: Invalid value %s for configuration enable.auto.commit: Expected value to be either true or false", v)
		}
		st.AutoCommit = b
	}
	minBytes := req.FetchMinBytes
	if minBytes == nil {
		minBytes = req.ResponseMinBytes
	}
	if minBytes != nil {
		if *minBytes < -1 || *minBytes > 10000000 {
			return st, rest.Errorf(422, rest.CodeInvalidConsumerConstraint, "Invalid consumer configuration. It does not abide by the constraints: fetch.min.bytes must be in -1..10000000, got %d", *minBytes)
		}
		st.FetchMinBytes = int64(*minBytes)
	}
	wait := req.RequestTimeoutMs
	if wait == nil {
		wait = req.RequestWaitMs
	}
	if wait != nil && *wait > 0 {
		st.RequestTimeout = time.Duration(*wait) * time.Millisecond
	}
	return st, nil
}

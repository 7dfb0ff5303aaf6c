package v3

import (
	"time"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/rest"
)

// parseInstant reads a record's raw timestamp (not null) as Confluent's
// proxy reads a java.time.Instant (codec.ParseInstant): ok is false for an
// empty string, which is no timestamp. It fails as Jackson does, with a
// 400.
func parseInstant(raw []byte) (time.Time, bool, error) {
	t, ok, err := codec.ParseInstant(raw)
	if err != nil {
		return t, false, rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `java.time.Instant` from %s: %v", abbreviate(raw), err)
	}
	return t, ok, nil
}

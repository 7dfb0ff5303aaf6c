package admin

import (
	"context"

	"github.com/twmb/franz-go/pkg/kadm"
)

// From is where a read of a whole topic starts: FromEarliest, FromLatest,
// or a timestamp in milliseconds (>= 0: the first record at or after it).
type From int64

// The named starting points of From.
const (
	FromEarliest From = -2
	FromLatest   From = -1
)

// Positions returns, for every partition of topic, the offset a read from
// from starts at, as numbers (so that a reader can say exactly where it
// is). ErrTopicNotFound when the topic does not exist.
func (c *Client) Positions(ctx context.Context, topic string, from From) (map[int32]int64, error) {
	var (
		listed kadm.ListedOffsets
		err    error
	)
	switch from {
	case FromEarliest:
		listed, err = c.adm.ListStartOffsets(ctx, topic)
	case FromLatest:
		listed, err = c.adm.ListEndOffsets(ctx, topic)
	default:
		listed, err = c.adm.ListOffsetsAfterMilli(ctx, int64(from), topic)
	}
	if err != nil {
		return nil, err
	}
	if _, missing := listed.Lookup(topic, -1); missing {
		return nil, ErrTopicNotFound
	}
	out := map[int32]int64{}
	for p, o := range listed[topic] {
		if o.Err != nil {
			return nil, o.Err
		}
		out[p] = o.Offset
	}
	if len(out) == 0 {
		return nil, ErrTopicNotFound
	}
	return out, nil
}

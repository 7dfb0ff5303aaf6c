package schema

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/krest-dev/krest/codec"
)

// errNotFramed is data without Confluent's schema framing.
var errNotFramed = errors.New("not in Confluent's schema framing")

// Decoded describes the schema of a key or value AppendDecoded decoded.
type Decoded struct {
	ID     int
	Format codec.Format
	// Subject and Version are where the schema is registered: "" and 0
	// when the registry lists no subject for it.
	Subject string
	Version int
}

// FramedID returns the schema id of data in Confluent's framing (magic
// byte 0, then the id in four bytes, big-endian), and whether data is so
// framed.
func FramedID(data []byte) (int, bool) {
	if len(data) < 5 || data[0] != 0 {
		return 0, false
	}
	return int(int32(binary.BigEndian.Uint32(data[1:5]))), true
}

// AppendDecoded appends the JSON of a schema-framed key or value of topic
// and describes its schema. Its subject is the one the configured
// strategy names for topic and the side when the schema is registered
// there, else the first by name the registry lists for the id. On error
// dst is returned as it was.
func (r *Resolver) AppendDecoded(ctx context.Context, dst, data []byte, topic string, isKey bool) ([]byte, Decoded, error) {
	if r == nil {
		return dst, Decoded{}, ErrNoRegistry
	}
	id, ok := FramedID(data)
	if !ok {
		return dst, Decoded{}, errNotFramed
	}
	sch, err := r.cl.ByID(ctx, id)
	if err != nil {
		return dst, Decoded{}, err
	}
	usages, err := r.cl.SubjectVersions(ctx, id)
	if err != nil {
		return dst, Decoded{}, err
	}
	d := Decoded{ID: id, Format: FormatOf(sch.Type)}
	side, strategy := "value", r.valueStrategy
	if isKey {
		side, strategy = "key", r.keyStrategy
	}
	preferred, _ := subjectName(strategy, topic, side, sch.Codec)
	for i, u := range usages {
		if i == 0 || u.Subject == preferred {
			d.Subject, d.Version = u.Subject, u.Version
		}
		if u.Subject == preferred {
			break
		}
	}
	out, err := r.AppendJSON(ctx, dst, data)
	if err != nil {
		return dst, Decoded{}, err
	}
	return out, d, nil
}

// SubjectVersions returns the subjects and versions registered with the
// schema id, by subject then version, cached.
func (c *Client) SubjectVersions(ctx context.Context, id int) ([]sr.SubjectVersion, error) {
	c.mu.Lock()
	got, ok := c.usages.get(id)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return got, nil
	}
	v, err, _ := c.flight.Do("usages:"+strconv.Itoa(id), func() (any, error) {
		got, err := c.cl.SchemaVersionsByID(ctx, id)
		if err != nil {
			return nil, c.wrap(err, "listing the subjects of schema %d", id)
		}
		slices.SortFunc(got, func(a, b sr.SubjectVersion) int {
			return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Version, b.Version))
		})
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.usages.m == nil {
			c.usages = newBounded[int, []sr.SubjectVersion](MaxCompiled)
		}
		c.usages.put(id, got)
		return got, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]sr.SubjectVersion), nil
}

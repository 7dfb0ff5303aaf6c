package schema

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/krest-dev/krest/codec"
)

// Spec is how a produce names the schema of one side (key or value) of a
// record: v2's key_schema / key_schema_id, v3's schema, schema_id,
// schema_version, subject and subject_name_strategy. At most one of ID,
// Version and Text is set. With none of them, the subject's latest version
// is used.
type Spec struct {
	// Format is the schema format of Text (Avro, JSONSchema, Protobuf).
	// With ID, a non-zero Format is the format the schema must have (v2's
	// content type names it); zero accepts any.
	Format codec.Format
	// Subject names the subject; empty: the strategy's.
	Subject string
	// Strategy is "topic", "record" or "topic_record"; empty: the
	// configured one.
	Strategy string
	ID       *int32
	Version  *int32
	Text     *string
}

// Registered is a schema a v3 produce resolved, with where it sits in the
// registry.
type Registered struct {
	Resolved
	Format  codec.Format
	Subject string
	Version int
}

// FormatOf is the embedded format of a registry schema type.
func FormatOf(t sr.SchemaType) codec.Format {
	switch t {
	case sr.TypeJSON:
		return codec.JSONSchema
	case sr.TypeProtobuf:
		return codec.Protobuf
	}
	return codec.Avro
}

// Resolve resolves one side of a produce to topic, for v2 and v3 alike, as
// Confluent's SchemaManager does: by id (the version looked up under the subject), by
// subject and version, by raw schema text (registered when new), else the
// subject's latest version. The subject is s.Subject, else the strategy's
// name for the schema; a strategy that needs the schema cannot name the
// subject of a version or of the latest schema.
func (r *Resolver) Resolve(ctx context.Context, topic string, isKey bool, s Spec) (*Registered, error) {
	if r == nil {
		return nil, ErrNoRegistry
	}
	side, strategy := "value", r.valueStrategy
	if isKey {
		side, strategy = "key", r.keyStrategy
	}
	if s.Strategy != "" {
		strategy = s.Strategy
	}
	subjectOf := func(c Codec) (string, error) {
		if s.Subject != "" {
			return s.Subject, nil
		}
		return subjectName(strategy, topic, side, c)
	}
	var sch *Schema
	var subject string
	version := -1
	var err error
	switch {
	case s.ID != nil:
		if sch, err = r.cl.ByID(ctx, int(*s.ID)); err != nil {
			return nil, err
		}
		if s.Format != 0 && sch.Type != Type(s.Format) {
			return nil, &SerializeError{Msg: fmt.Sprintf("Schema %d is a %s schema, not %s", sch.ID, sch.Type, Type(s.Format))}
		}
		if subject, err = subjectOf(sch.Codec); err != nil {
			return nil, err
		}
	case s.Version != nil:
		if subject, err = subjectOf(nil); err != nil {
			return nil, err
		}
		ss, err := r.cl.version(ctx, subjectVersion{subject, int(*s.Version)})
		if err != nil {
			return nil, err
		}
		if sch, err = r.cl.ByID(ctx, ss.ID); err != nil {
			return nil, err
		}
		version = ss.Version
	case s.Text != nil:
		typ := Type(s.Format)
		compiled, err := r.cl.Compiled(typ, *s.Text)
		if err != nil {
			return nil, err
		}
		if subject, err = subjectOf(compiled); err != nil {
			return nil, err
		}
		if sch, err = r.cl.Register(ctx, subject, typ, *s.Text); err != nil {
			return nil, err
		}
	default:
		if subject, err = subjectOf(nil); err != nil {
			return nil, err
		}
		if sch, version, err = r.cl.Latest(ctx, subject); err != nil {
			return nil, err
		}
	}
	if version < 0 {
		if version, err = r.cl.VersionOf(ctx, subject, sch); err != nil {
			return nil, err
		}
	}
	return &Registered{Resolved: Resolved{ID: sch.ID, Codec: sch.Codec}, Format: FormatOf(sch.Type), Subject: subject, Version: version}, nil
}

// subjectName is a strategy's subject for a schema of topic's side; c nil
// means no schema is known yet, which only the topic strategy can do
// without.
func subjectName(strategy, topic, side string, c Codec) (string, error) {
	if strategy == "topic" || strategy == "" {
		return topic + "-" + side, nil
	}
	if c == nil {
		return "", &SerializeError{Msg: fmt.Sprintf("Cannot use %s subject name strategy without schema_id or schema.", strategy)}
	}
	name, err := c.RecordName()
	if err != nil {
		return "", &SerializeError{Msg: err.Error()}
	}
	if strategy == "record" {
		return name, nil
	}
	return topic + "-" + name, nil
}

// VersionOf returns the version s has under subject, cached.
func (c *Client) VersionOf(ctx context.Context, subject string, s *Schema) (int, error) {
	key := subjectID{subject, s.ID}
	c.mu.Lock()
	v, ok := c.versionOf[key]
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return v, nil
	}
	got, err, _ := c.flight.Do("ver:"+subject+"\x00"+strconv.Itoa(s.ID), func() (any, error) {
		ss, err := c.cl.LookupSchema(ctx, subject, sr.Schema{Schema: s.Text, Type: s.Type, References: s.Refs})
		if err != nil {
			return nil, c.wrap(err, "looking up schema %d under subject %q", s.ID, subject)
		}
		if ss.ID != s.ID {
			return nil, &Error{Kind: NotFound, Msg: fmt.Sprintf("schema %d is not registered under subject %q", s.ID, subject)}
		}
		c.mu.Lock()
		if len(c.versionOf) > maxVersionOf {
			clear(c.versionOf)
		}
		c.versionOf[key] = ss.Version
		c.mu.Unlock()
		return ss.Version, nil
	})
	if err != nil {
		return 0, err
	}
	return got.(int), nil
}

// maxVersionOf bounds the cache of VersionOf.
const maxVersionOf = 10000

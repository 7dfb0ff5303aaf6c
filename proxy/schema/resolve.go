package schema

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/krest-dev/krest/proxy/config"
)

// ErrNoRegistry means a schema format was used and no
// schema.registry.url is configured.
var ErrNoRegistry = errors.New("schema registry must be configured when using schemas")

// SerializeError is a schema that cannot serve a produce: a type other
// than the request's format, or a schema the subject-name strategy cannot
// name.
type SerializeError struct{ Msg string }

func (e *SerializeError) Error() string { return e.Msg }

// Resolver finds the schemas of produce requests and decodes framed records,
// through a caching Client and the configured subject-name strategies. A
// nil *Resolver (no registry configured) fails with ErrNoRegistry. It is
// safe for concurrent use.
type Resolver struct {
	cl                         *Client
	keyStrategy, valueStrategy string
}

// Stats returns the registry requests made and the answers served from a
// cache so far.
func (r *Resolver) Stats() (requests, hits int64) { return r.cl.Stats() }

// Ping checks that the registry answers.
func (r *Resolver) Ping(ctx context.Context) error { return r.cl.Ping(ctx) }

// NewResolver returns a Resolver of the registry at url, or nil when url is
// empty.
func NewResolver(url string, cfg config.SchemaRegistry) (*Resolver, error) {
	if url == "" {
		return nil, nil
	}
	var opts []sr.ClientOpt
	if cfg.BasicAuthUser != "" {
		opts = append(opts, sr.BasicAuth(cfg.BasicAuthUser, cfg.BasicAuthPassword))
	} else if cfg.BearerToken != "" {
		opts = append(opts, sr.BearerToken(cfg.BearerToken))
	}
	cl, err := New(url, Compile, cfg.Timeout, cfg.TLS, opts...)
	if err != nil {
		return nil, err
	}
	return &Resolver{cl: cl, keyStrategy: cfg.KeyStrategy, valueStrategy: cfg.ValueStrategy}, nil
}

// Resolved is the schema of one side (key or value) of a produce.
type Resolved struct {
	ID    int
	Codec Codec
}

// header is Confluent's wire header: magic 0, schema id, and for Protobuf
// the message indexes.
var header sr.ConfluentHeader

// AppendEncoded appends the framed encoding of jsonValue: the wire header,
// then the payload.
func (r *Resolved) AppendEncoded(dst, jsonValue []byte) ([]byte, error) {
	dst, err := header.AppendEncode(dst, r.ID, r.Codec.Index())
	if err != nil {
		return dst, err
	}
	return r.Codec.AppendPayload(dst, jsonValue)
}

// AppendJSON appends the JSON of a schema-framed key or value.
func (r *Resolver) AppendJSON(ctx context.Context, dst, data []byte) ([]byte, error) {
	id, rest, err := header.DecodeID(data)
	if err != nil {
		return dst, errors.New("Unknown magic byte!") //lint:ignore ST1005 Confluent's exact text
	}
	if r == nil {
		return dst, ErrNoRegistry
	}
	sch, err := r.cl.ByID(ctx, id)
	if err != nil {
		return dst, err
	}
	var index []int
	if sch.Type == sr.TypeProtobuf {
		if index, rest, err = header.DecodeIndex(rest, 64); err != nil {
			return dst, fmt.Errorf("bad Protobuf message index: %w", err)
		}
	}
	return sch.Codec.AppendJSON(dst, rest, index)
}

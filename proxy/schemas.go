package proxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/bytedance/sonic"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/codec/avro"
	"github.com/krest-dev/krest/codec/jsonschema"
	"github.com/krest-dev/krest/codec/protobuf"
	"github.com/krest-dev/krest/proxy/registry"
)

// schemaCodec is a compiled schema of one of the Schema Registry formats: it
// turns the JSON embedded in requests into the payload that follows the
// Confluent wire header, and back.
type schemaCodec interface {
	appendPayload(dst, jsonValue []byte) ([]byte, error)
	appendJSON(dst, payload []byte, index []int) ([]byte, error)
	// index is the Protobuf message-index path written in the header (nil
	// for Avro and JSON Schema).
	index() []int
	// recordName is the name the record subject-name strategies use.
	recordName() (string, error)
}

// compileSchema is the registry's CompileFunc.
func compileSchema(typ sr.SchemaType, text string) (any, error) {
	switch typ {
	case sr.TypeAvro:
		c, err := avro.Parse(text)
		if err != nil {
			return nil, err
		}
		return avroSchema{c}, nil
	case sr.TypeJSON:
		c, err := jsonschema.Compile(text)
		if err != nil {
			return nil, err
		}
		return jsonSchema{c: c, text: text}, nil
	case sr.TypeProtobuf:
		c, err := protobuf.Compile(text)
		if err != nil {
			return nil, err
		}
		return protoSchema{c}, nil
	}
	return nil, fmt.Errorf("unsupported schema type %v", typ)
}

type avroSchema struct{ c *avro.Codec }

func (a avroSchema) appendPayload(dst, v []byte) ([]byte, error) { return a.c.AppendBinary(dst, v) }
func (a avroSchema) appendJSON(dst, p []byte, _ []int) ([]byte, error) {
	return a.c.AppendJSON(dst, p)
}
func (a avroSchema) index() []int { return nil }
func (a avroSchema) recordName() (string, error) {
	if named, ok := a.c.Schema().(interface{ FullName() string }); ok {
		return named.FullName(), nil
	}
	return "", errors.New("the record subject-name strategies need a named Avro schema (record, enum or fixed)")
}

type jsonSchema struct {
	c    *jsonschema.Codec
	text string
}

func (j jsonSchema) appendPayload(dst, v []byte) ([]byte, error) {
	if err := j.c.Validate(v); err != nil {
		return dst, err
	}
	return codec.AppendCompactJSON(dst, v), nil
}

func (j jsonSchema) appendJSON(dst, p []byte, _ []int) ([]byte, error) {
	if !codec.ValidJSON(p) {
		return dst, errors.New("payload is not JSON")
	}
	return append(dst, p...), nil
}

func (j jsonSchema) index() []int { return nil }

// recordName is the schema's "title", as Confluent's JsonSchema.name().
func (j jsonSchema) recordName() (string, error) {
	var doc struct {
		Title string `json:"title"`
	}
	if err := sonic.UnmarshalString(j.text, &doc); err != nil || doc.Title == "" {
		return "", errors.New("the record subject-name strategies need a JSON Schema with a title")
	}
	return doc.Title, nil
}

type protoSchema struct{ c *protobuf.Codec }

func (p protoSchema) appendPayload(dst, v []byte) ([]byte, error) {
	return p.c.AppendBinary(dst, p.c.DefaultIndex(), v)
}

func (p protoSchema) appendJSON(dst, payload []byte, index []int) ([]byte, error) {
	if len(index) == 0 {
		index = p.c.DefaultIndex()
	}
	return p.c.AppendJSON(dst, index, payload)
}

func (p protoSchema) index() []int { return p.c.DefaultIndex() }

func (p protoSchema) recordName() (string, error) { return p.c.MessageName(p.c.DefaultIndex()) }

func schemaType(f codec.Format) sr.SchemaType {
	switch f {
	case codec.JSONSchema:
		return sr.TypeJSON
	case codec.Protobuf:
		return sr.TypeProtobuf
	}
	return sr.TypeAvro
}

var errNoRegistry = newError(422, codePayloadError, "Payload error. Schema Registry must be configured when using schemas.")

// resolvedSchema is the schema of one side (key or value) of a produce.
type resolvedSchema struct {
	id    int
	codec schemaCodec
}

// resolveSchema finds the schema of one side of a produce request: a raw
// schema is registered (if new) under the subject of the configured strategy;
// a schema id is fetched and must be registered under that subject.
func (s *Server) resolveSchema(topic string, format codec.Format, isKey bool, text *string, id *int32) (*resolvedSchema, error) {
	side := "value"
	strategy := s.cfg.SchemaRegistry.ValueStrategy
	if isKey {
		side, strategy = "key", s.cfg.SchemaRegistry.KeyStrategy
	}
	if text != nil && id != nil {
		return nil, newError(400, 400, "Bad Request: %s_schema and %s_schema_id are mutually exclusive", side, side)
	}
	if s.registry == nil {
		return nil, errNoRegistry
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	typ := schemaType(format)
	subject := func(c schemaCodec) (string, error) {
		if strategy == "topic" {
			return topic + "-" + side, nil
		}
		name, err := c.recordName()
		if err != nil {
			return "", newError(422, 42207, "Error serializing message. %s", err)
		}
		if strategy == "record" {
			return name, nil
		}
		return topic + "-" + name, nil
	}
	if text != nil {
		compiled, err := s.registry.Compiled(typ, *text)
		if err != nil {
			return nil, err
		}
		subj, err := subject(compiled.(schemaCodec))
		if err != nil {
			return nil, err
		}
		sch, err := s.registry.Register(ctx, subj, typ, *text)
		if err != nil {
			return nil, err
		}
		return &resolvedSchema{id: sch.ID, codec: sch.Compiled.(schemaCodec)}, nil
	}
	sch, err := s.registry.ByID(ctx, int(*id))
	if err != nil {
		return nil, err
	}
	if sch.Type != typ {
		return nil, newError(422, 42207, "Error serializing message. Schema %d is a %s schema, not %s", sch.ID, sch.Type, typ)
	}
	c := sch.Compiled.(schemaCodec)
	subj, err := subject(c)
	if err != nil {
		return nil, err
	}
	if err := s.registry.CheckSubject(ctx, subj, sch); err != nil {
		return nil, err
	}
	return &resolvedSchema{id: sch.ID, codec: c}, nil
}

// registryError maps a registry failure to Confluent's codes.
func registryError(e *registry.Error) *Error {
	switch e.Kind {
	case registry.Invalid:
		return &Error{Status: 422, Code: 42205, Message: "Invalid schema: " + e.Msg, Err: e}
	case registry.NotFound:
		return &Error{Status: 422, Code: 42207, Message: "Error serializing message. " + e.Msg, Err: e}
	case registry.Rejected:
		if e.Status == 401 || e.Status == 403 {
			return &Error{Status: 403, Code: codeKafkaAuthorization, Message: e.Msg, Err: e}
		}
		return &Error{Status: 422, Code: 42207, Message: "Error serializing message. " + e.Msg, Err: e}
	}
	return &Error{Status: 503, Code: 50301, Message: e.Msg, Err: e}
}

// schemaHeader is Confluent's wire header: magic 0, schema id, and for
// Protobuf the message indexes.
var schemaHeader sr.ConfluentHeader

// appendSchemaData renders a schema-framed key or value as JSON.
func (s *Server) appendSchemaData(dst, data []byte) ([]byte, error) {
	id, rest, err := schemaHeader.DecodeID(data)
	if err != nil {
		return dst, errors.New("Unknown magic byte!") //lint:ignore ST1005 Confluent's exact text
	}
	if s.registry == nil {
		return dst, errNoRegistry
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	sch, err := s.registry.ByID(ctx, id)
	if err != nil {
		return dst, err
	}
	c := sch.Compiled.(schemaCodec)
	var index []int
	if sch.Type == sr.TypeProtobuf {
		if index, rest, err = schemaHeader.DecodeIndex(rest, 64); err != nil {
			return dst, fmt.Errorf("bad Protobuf message index: %w", err)
		}
	}
	return c.appendJSON(dst, rest, index)
}

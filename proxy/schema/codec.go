package schema

import (
	"errors"
	"fmt"

	"github.com/bytedance/sonic"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/codec/avro"
	"github.com/krest-dev/krest/codec/jsonschema"
	"github.com/krest-dev/krest/codec/protobuf"
)

// Codec is a compiled schema of one of the Schema Registry formats: it
// turns the JSON embedded in requests into the payload that follows the
// Confluent wire header, and back.
type Codec interface {
	// AppendPayload appends the encoding of jsonValue to dst.
	AppendPayload(dst, jsonValue []byte) ([]byte, error)
	// AppendJSON appends payload as JSON; index is the Protobuf message
	// index path of the header (nil: the schema's first message).
	AppendJSON(dst, payload []byte, index []int) ([]byte, error)
	// Index is the Protobuf message-index path written in the header (nil
	// for Avro and JSON Schema).
	Index() []int
	// RecordName is the name the record subject-name strategies use.
	RecordName() (string, error)
}

// Compile compiles schema text of a type with the schemas it references:
// the registry client's CompileFunc.
func Compile(typ sr.SchemaType, text string, refs []Reference) (Codec, error) {
	byName := map[string]string{}
	texts := make([]string, 0, len(refs))
	for _, r := range refs {
		byName[r.Name] = r.Text
		texts = append(texts, r.Text)
	}
	switch typ {
	case sr.TypeAvro:
		c, err := avro.ParseWithReferences(text, texts)
		if err != nil {
			return nil, err
		}
		return avroCodec{c}, nil
	case sr.TypeJSON:
		c, err := jsonschema.CompileWithReferences(text, byName)
		if err != nil {
			return nil, err
		}
		return jsonCodec{c: c, text: text}, nil
	case sr.TypeProtobuf:
		c, err := protobuf.CompileWithImports(text, byName)
		if err != nil {
			return nil, err
		}
		return protoCodec{c}, nil
	}
	return nil, fmt.Errorf("unsupported schema type %v", typ)
}

// Type is the registry's schema type of an embedded format.
func Type(f codec.Format) sr.SchemaType {
	switch f {
	case codec.JSONSchema:
		return sr.TypeJSON
	case codec.Protobuf:
		return sr.TypeProtobuf
	}
	return sr.TypeAvro
}

type avroCodec struct{ c *avro.Codec }

func (a avroCodec) AppendPayload(dst, v []byte) ([]byte, error) { return a.c.AppendBinary(dst, v) }
func (a avroCodec) AppendJSON(dst, p []byte, _ []int) ([]byte, error) {
	return a.c.AppendJSON(dst, p)
}
func (a avroCodec) Index() []int { return nil }
func (a avroCodec) RecordName() (string, error) {
	if named, ok := a.c.Schema().(interface{ FullName() string }); ok {
		return named.FullName(), nil
	}
	return "", errors.New("the record subject-name strategies need a named Avro schema (record, enum or fixed)")
}

type jsonCodec struct {
	c    *jsonschema.Codec
	text string
}

func (j jsonCodec) AppendPayload(dst, v []byte) ([]byte, error) {
	if err := j.c.Validate(v); err != nil {
		return dst, err
	}
	return codec.AppendCompactJSON(dst, v), nil
}

func (j jsonCodec) AppendJSON(dst, p []byte, _ []int) ([]byte, error) {
	if !codec.ValidJSON(p) {
		return dst, errors.New("payload is not JSON")
	}
	return append(dst, p...), nil
}

func (j jsonCodec) Index() []int { return nil }

// RecordName is the schema's "title", as Confluent's JsonSchema.name().
func (j jsonCodec) RecordName() (string, error) {
	var doc struct {
		Title string `json:"title"`
	}
	if err := sonic.UnmarshalString(j.text, &doc); err != nil || doc.Title == "" {
		return "", errors.New("the record subject-name strategies need a JSON Schema with a title")
	}
	return doc.Title, nil
}

type protoCodec struct{ c *protobuf.Codec }

func (p protoCodec) AppendPayload(dst, v []byte) ([]byte, error) {
	return p.c.AppendBinary(dst, p.c.DefaultIndex(), v)
}

func (p protoCodec) AppendJSON(dst, payload []byte, index []int) ([]byte, error) {
	if len(index) == 0 {
		index = p.c.DefaultIndex()
	}
	return p.c.AppendJSON(dst, index, payload)
}

func (p protoCodec) Index() []int { return p.c.DefaultIndex() }

func (p protoCodec) RecordName() (string, error) { return p.c.MessageName(p.c.DefaultIndex()) }

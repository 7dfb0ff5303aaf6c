package codec

import "strings"

// Format is an embedded data format of the REST API.
type Format uint8

// The embedded formats, named as in Confluent's content types
// (application/vnd.kafka.<format>.v2+json) and consumer "format" field.
const (
	Binary Format = iota + 1
	JSON
	Avro
	JSONSchema
	Protobuf
)

var formatNames = [...]string{Binary: "binary", JSON: "json", Avro: "avro", JSONSchema: "jsonschema", Protobuf: "protobuf"}

// String returns the format's name as used in content types.
func (f Format) String() string {
	if int(f) < len(formatNames) && formatNames[f] != "" {
		return formatNames[f]
	}
	return "unknown"
}

// UsesSchema reports whether the format needs a Schema Registry.
func (f Format) UsesSchema() bool { return f == Avro || f == JSONSchema || f == Protobuf }

// ParseFormat returns the format named s, ignoring case.
func ParseFormat(s string) (Format, bool) {
	for f, name := range formatNames {
		if name != "" && strings.EqualFold(s, name) {
			return Format(f), true
		}
	}
	return 0, false
}

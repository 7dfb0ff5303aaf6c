// Package protobuf converts records between Protobuf JSON and Protobuf binary
// for the Schema Registry "PROTOBUF" format.
//
// A schema is the text of one .proto file (proto2, proto3 or editions),
// compiled in memory with github.com/bufbuild/protocompile. The message type
// of a record is named by a message-index path, as in Confluent's wire format:
// indexes into the file's message declarations in source order, nested
// messages by further indexes ([0] is the first top-level message, [1, 0] the
// first message nested in the second one). Like Confluent's index (built from
// the parsed .proto source), the path does not count the entry messages
// synthesized for map fields, nor proto2 group messages.
//
// The payload handled here is the message after the Schema Registry header
// (magic byte, schema id, message indexes); framing is done by the caller.
//
// # JSON rendering
//
// Confluent's REST Proxy renders consumed Protobuf records with
// io.confluent.kafka.schemaregistry.protobuf.ProtobufSchemaUtils.toJson,
// which prints with
//
//	JsonFormat.printer().includingDefaultValueFields().omittingInsignificantWhitespace()
//
// (protobuf-provider/src/main/java/io/confluent/kafka/schemaregistry/protobuf/ProtobufSchemaUtils.java,
// toJson, lines 112-121 of confluentinc/schema-registry at commit 794611bd;
// the console ProtobufMessageFormatter uses the same printer). AppendJSON maps
// that to protojson as follows:
//
//   - field names: not preservingProtoFieldNames, so lowerCamelCase JSON
//     names: UseProtoNames false;
//   - enums as names (no printingEnumsAsInts): UseEnumNumbers false;
//   - includingDefaultValueFields prints every field except unset message
//     fields and unset members of oneofs (real or proto3-optional
//     synthetic). protojson's EmitDefaultValues covers fields without
//     presence (proto3 scalars, repeated and map fields); unset proto2 (and
//     editions explicit-presence) singular scalars outside oneofs, which Java
//     also prints with their default value, are set to their default before
//     printing. EmitUnpopulated is not used: it would print unset message
//     fields as null, which Java does not;
//   - omittingInsignificantWhitespace: protojson's compact output still
//     contains random spaces (deliberately unstable), so it is re-compacted;
//   - 64-bit integers as strings, bytes as standard padded base64,
//     Timestamp/Duration with 0, 3, 6 or 9 fractional digits, NaN and
//     Infinity as strings: the same in both libraries.
//
// Differences left: protojson orders fields by declaration order (Java by
// field number; they differ only when numbers are not ascending in the
// source), sorts map entries by key (Java keeps wire order) and writes
// floating-point numbers in shortest form (1 and 1e+21 where Java writes 1.0
// and 1.0E21); JSON consumers see the same values. google.protobuf.Any is
// resolved against the schema's own types and imports (Java's printer has an
// empty type registry and fails on any non-empty Any). Extensions are not
// resolved, as in Java (DynamicMessage parsed without an extension
// registry): in binary they are unknown fields, which are not printed, and in
// JSON they are unknown fields, which are errors.
//
// # JSON parsing
//
// AppendBinary parses like Confluent's JsonFormat.parser(): both
// lowerCamelCase and original field names are accepted, unknown fields are
// errors, and nesting is limited to 100 levels. The binary output is
// deterministic (map entries sorted by key).
package protobuf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/krest-dev/krest/codec"
)

// fileName is the name the schema is compiled under (it shows in compile
// errors).
const fileName = "schema.proto"

// recursionLimit bounds message nesting when parsing JSON or binary, as the
// Java runtime does (CodedInputStream and JsonFormat.Parser default to 100).
const recursionLimit = 100

// Codec converts between Protobuf JSON (protojson) and Protobuf binary for the
// messages of one .proto schema. Safe for concurrent use.
type Codec struct {
	top    []*node                             // top-level messages, in index order
	byName map[protoreflect.FullName][]int     // message-index path by full name
	types  resolver                            // Any resolution; no extensions
	plans  map[protoreflect.FullName]*fillPlan // see fillDefaults
}

// node is one indexable message declaration.
type node struct {
	md       protoreflect.MessageDescriptor
	plan     *fillPlan // nil if nothing to fill
	children []*node
}

// Compile compiles the .proto text (as file "schema.proto"). Imports of the
// files that come with protoc (google/protobuf/timestamp.proto and the other
// well-known types) are resolved from built-in copies; any other import is an
// error. Compile errors carry the compiler's position (schema.proto:line:col).
func Compile(schema string) (*Codec, error) { return CompileWithImports(schema, nil) }

// CompileWithImports compiles schema with the files it imports, by import
// path ("Reference.proto" → its text): the Schema Registry's references,
// whose names are the import paths.
func CompileWithImports(schema string, imports map[string]string) (*Codec, error) {
	sources := map[string]string{fileName: schema}
	for name, text := range imports {
		if name != fileName {
			sources[name] = text
		}
	}
	comp := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(sources),
		}),
		MaxParallelism: 1,
	}
	files, err := comp.Compile(context.Background(), fileName)
	if err != nil {
		return nil, fmt.Errorf("protobuf: %s", oneLine(err.Error()))
	}
	fd := files.FindFileByPath(fileName)
	if fd == nil {
		return nil, errors.New("protobuf: compiler returned no file")
	}
	reg := new(protoregistry.Files)
	if err := register(reg, fd); err != nil {
		return nil, fmt.Errorf("protobuf: %v", err)
	}
	c := &Codec{
		byName: make(map[protoreflect.FullName][]int),
		types:  resolver{dynamicpb.NewTypes(reg)},
		plans:  buildPlans(fd),
	}
	c.top = c.buildIndex(fd.Messages(), list(fd.Extensions()), nil)
	if len(c.top) == 0 {
		return nil, errors.New("protobuf: schema defines no message")
	}
	return c, nil
}

// register adds fd and, first, its imports to reg.
func register(reg *protoregistry.Files, fd protoreflect.FileDescriptor) error {
	if _, err := reg.FindFileByPath(fd.Path()); err == nil {
		return nil
	}
	imports := fd.Imports()
	for i := range imports.Len() {
		if err := register(reg, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	return reg.RegisterFile(fd)
}

// buildIndex numbers the messages of one scope, skipping synthesized map
// entries and proto2 group messages (neither is a message declaration in
// the source Confluent's index is built from).
func (c *Codec) buildIndex(mds protoreflect.MessageDescriptors, fields []protoreflect.FieldDescriptor, path []int) []*node {
	groups := make(map[protoreflect.FullName]bool)
	for _, fd := range fields {
		if fd.Kind() == protoreflect.GroupKind && fd.ParentFile().Syntax() == protoreflect.Proto2 {
			groups[fd.Message().FullName()] = true
		}
	}
	var nodes []*node
	for i := range mds.Len() {
		md := mds.Get(i)
		if md.IsMapEntry() || groups[md.FullName()] {
			continue
		}
		p := append(slices.Clone(path), len(nodes))
		c.byName[md.FullName()] = p
		n := &node{md: md, plan: c.plans[md.FullName()]}
		n.children = c.buildIndex(md.Messages(), append(list(md.Fields()), list(md.Extensions())...), p)
		nodes = append(nodes, n)
	}
	return nodes
}

// list returns the fields of a field or extension list.
func list[L interface {
	Len() int
	Get(int) protoreflect.FieldDescriptor
}](l L) []protoreflect.FieldDescriptor {
	out := make([]protoreflect.FieldDescriptor, l.Len())
	for i := range out {
		out[i] = l.Get(i)
	}
	return out
}

// DefaultIndex is the message-index path of the message the proxy uses when
// none is named: [0].
func (c *Codec) DefaultIndex() []int {
	return []int{0}
}

// Index returns the message-index path of the message with the given full
// name (e.g. "pkg.Outer.Inner"; a leading dot is allowed), or an error.
func (c *Codec) Index(fullName string) ([]int, error) {
	p, ok := c.byName[protoreflect.FullName(strings.TrimPrefix(fullName, "."))]
	if !ok {
		return nil, fmt.Errorf("no message %s in schema", strconv.Quote(codec.Clip(fullName, maxPath)))
	}
	return slices.Clone(p), nil
}

// MessageName returns the full name of the message at index (e.g.
// "pkg.Outer.Inner"), the name Confluent's record subject-name strategies
// use.
func (c *Codec) MessageName(index []int) (string, error) {
	n, err := c.lookup(index)
	if err != nil {
		return "", err
	}
	return string(n.md.FullName()), nil
}

// lookup resolves a message-index path; an empty path means [0], as in
// Confluent's wire format.
func (c *Codec) lookup(index []int) (*node, error) {
	if len(index) == 0 {
		return c.top[0], nil
	}
	var n *node
	nodes := c.top
	for _, i := range index {
		if i < 0 || i >= len(nodes) {
			return nil, fmt.Errorf("invalid message index %s", formatIndex(index))
		}
		n = nodes[i]
		nodes = n.children
	}
	return n, nil
}

func formatIndex(index []int) string {
	const maxShown = 8
	var sb strings.Builder
	sb.WriteByte('[')
	for i, v := range index {
		if i == maxShown {
			sb.WriteString(", ...")
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(v))
	}
	sb.WriteByte(']')
	return sb.String()
}

// AppendBinary appends the binary encoding of jsonValue (Protobuf JSON: both
// lowerCamelCase JSON names and original field names are accepted) for the
// message at index to dst. Unknown fields are an error. Errors are one short
// line naming the field, e.g. `field "age": invalid value for int32 field: "x"`.
func (c *Codec) AppendBinary(dst []byte, index []int, jsonValue []byte) ([]byte, error) {
	n, err := c.lookup(index)
	if err != nil {
		return dst, err
	}
	m := dynamicpb.NewMessage(n.md)
	uo := protojson.UnmarshalOptions{Resolver: c.types, RecursionLimit: recursionLimit}
	if err := uo.Unmarshal(jsonValue, m); err != nil {
		return dst, jsonError(err, jsonValue)
	}
	out, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, m)
	if err != nil {
		return dst, errors.New(codec.Clip(stripPrefix(err.Error()), maxMessage))
	}
	return out, nil
}

// AppendJSON appends the JSON rendering of binary (one message at index) to
// dst, printed as Confluent's REST Proxy prints it (see the package
// documentation): compact, lowerCamelCase names, default values included.
func (c *Codec) AppendJSON(dst []byte, index []int, binary []byte) ([]byte, error) {
	n, err := c.lookup(index)
	if err != nil {
		return dst, err
	}
	m := dynamicpb.NewMessage(n.md)
	if err := unmarshalBinary(binary, m, c.types); err != nil {
		return dst, fmt.Errorf("invalid protobuf binary for %s: %s", n.md.FullName(), codec.Clip(stripPrefix(err.Error()), maxMessage))
	}
	fillDefaults(m, n.plan)
	start := len(dst)
	mo := protojson.MarshalOptions{EmitDefaultValues: true, Resolver: c.types}
	out, err := mo.MarshalAppend(dst, m)
	if err != nil {
		return dst, errors.New(codec.Clip(stripPrefix(err.Error()), maxMessage))
	}
	return compact(out, start), nil
}

// unmarshalBinary parses binary into m.
//
// proto.Unmarshal panics on some malformed map entries when decoding dynamic
// messages (protobuf-go v1.36.12, proto/decode.go unmarshalMap: a second key
// field with the wrong wire type leaves the key invalid, and
// Value.MapKey panics). Records come from Kafka and may be anything, so
// that panic is turned into the parse error it should have been.
func unmarshalBinary(binary []byte, m proto.Message, types resolver) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("cannot parse invalid wire-format data")
		}
	}()
	uo := proto.UnmarshalOptions{Resolver: types, RecursionLimit: recursionLimit}
	return uo.Unmarshal(binary, m)
}

// resolver resolves message types (for google.protobuf.Any) from the
// schema's files and knows no extensions.
type resolver struct{ *dynamicpb.Types }

func (resolver) FindExtensionByName(protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}

func (resolver) FindExtensionByNumber(protoreflect.FullName, protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return nil, protoregistry.NotFound
}

// compact removes the whitespace outside strings from b[start:], in place.
func compact(b []byte, start int) []byte {
	w := start
	inString, escaped := false, false
	for _, ch := range b[start:] {
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
		} else {
			switch ch {
			case ' ', '\t', '\n', '\r':
				continue
			case '"':
				inString = true
			}
		}
		b[w] = ch
		w++
	}
	return b[:w]
}

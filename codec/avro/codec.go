package avro

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	havro "github.com/hamba/avro/v2"

	"github.com/krest-dev/krest/codec"
)

// maxDepth caps the nesting of records, arrays, maps and unions in one
// datum, in both directions, so hostile input cannot exhaust the stack.
const maxDepth = 1000

// maxZeroSizeItems caps the array items that occupy no binary bytes (null,
// empty records, fixed of size 0) that AppendJSON writes per datum: their
// count cannot be checked against the remaining input.
const maxZeroSizeItems = 1 << 16

// Codec converts between Avro's JSON encoding and Avro binary for one
// writer schema. It is safe for concurrent use.
type Codec struct {
	schema havro.Schema
	root   *node
}

// Parse parses schema (Avro schema JSON text) with a fresh havro.SchemaCache
// (never the process-global havro.DefaultSchemaCache), so different schemas
// reusing a record name cannot cross-resolve. Invalid schema -> error.
func Parse(schema string) (*Codec, error) { return ParseWithReferences(schema, nil) }

// ParseWithReferences parses schema after refs, the texts of the schemas
// whose named types it uses (the Schema Registry's references), each after
// the ones it depends on. The named types of refs resolve in schema; their
// defaults are checked as schema's own.
func ParseWithReferences(schema string, refs []string) (*Codec, error) {
	cache := &havro.SchemaCache{}
	c := &compiler{named: map[string]*node{}, defaults: map[defaultKey][]byte{}}
	for i, ref := range refs {
		rs, err := havro.ParseWithCache(ref, "", cache)
		if err != nil {
			return nil, fmt.Errorf("invalid schema: reference %d: %w", i+1, err)
		}
		if err := c.readDefaults(ref, rs); err != nil {
			return nil, fmt.Errorf("invalid schema: reference %d: %w", i+1, err)
		}
	}
	s, err := havro.ParseWithCache(schema, "", cache)
	if err != nil {
		if strings.Contains(err.Error(), "invalid default for field") {
			// hamba prints "<nil> not a int" whatever the default was:
			// name the field, its record and the value instead.
			if why := explainDefault(schema); why != nil {
				err = why
			}
		}
		return nil, fmt.Errorf("invalid schema: %w", err)
	}
	if err := c.readDefaults(schema, s); err != nil {
		return nil, fmt.Errorf("invalid schema: %w", err)
	}
	root, err := c.compile(s)
	if err != nil {
		return nil, fmt.Errorf("invalid schema: %w", err)
	}
	minState := map[*node]uint8{}
	for _, n := range c.all {
		minSize(n, minState)
	}
	for _, rec := range c.records {
		for i := range rec.fields {
			if err := c.ensureDefault(rec, &rec.fields[i]); err != nil {
				return nil, fmt.Errorf("invalid schema: %w", err)
			}
		}
	}
	return &Codec{schema: s, root: root}, nil
}

// explainDefault finds the default that hamba refused in schema by parsing
// the schema without defaults and checking each one with krest's own
// encoder, whose messages name the field, its record and the value. It
// returns nil when that check finds nothing wrong.
func explainDefault(schema string) error {
	var tree any
	if json.Unmarshal([]byte(schema), &tree) != nil {
		return nil
	}
	stripped, err := json.Marshal(withoutDefaults(tree))
	if err != nil {
		return nil
	}
	s, err := havro.ParseWithCache(string(stripped), "", &havro.SchemaCache{})
	if err != nil {
		return nil
	}
	c := &compiler{named: map[string]*node{}, defaults: map[defaultKey][]byte{}, explain: true}
	if c.readDefaults(schema, s) != nil {
		return nil
	}
	if _, err := c.compile(s); err != nil {
		return nil
	}
	for _, rec := range c.records {
		for i := range rec.fields {
			if err := c.ensureDefault(rec, &rec.fields[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// withoutDefaults removes the "default" of every record field in a schema
// tree decoded by encoding/json.
func withoutDefaults(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if fields, ok := v["fields"].([]any); ok {
			for _, f := range fields {
				if fm, ok := f.(map[string]any); ok {
					delete(fm, "default")
				}
			}
		}
		for k, x := range v {
			v[k] = withoutDefaults(x)
		}
	case []any:
		for i, x := range v {
			v[i] = withoutDefaults(x)
		}
	}
	return v
}

// Schema returns the parsed schema.
func (c *Codec) Schema() havro.Schema { return c.schema }

// AppendBinary appends the Avro binary encoding of jsonValue (one JSON value
// in Avro's JSON encoding for the schema) to dst.
//
// On error dst is returned with its original length.
func (c *Codec) AppendBinary(dst, jsonValue []byte) ([]byte, error) {
	e := encoder{in: jsonValue, out: dst}
	if err := e.top(c.root); err != nil {
		return e.out[:len(dst)], err
	}
	return e.out, nil
}

// AppendJSON appends the Avro JSON encoding of one binary datum to dst. The
// datum must use exactly all of binary; trailing bytes are an error.
//
// On error dst is returned with its original length.
func (c *Codec) AppendJSON(dst, binary []byte) ([]byte, error) {
	out, _, err := c.appendJSON(dst, binary)
	return out, err
}

// appendJSON is AppendJSON that also reports whether binary is in canonical
// form, the form AppendBinary writes: minimal varints, one block per array
// and map without byte sizes, valid UTF-8 strings and Java's NaN bits.
func (c *Codec) appendJSON(dst, binary []byte) ([]byte, bool, error) {
	d := decoder{in: binary, out: dst, zeroBudget: maxZeroSizeItems, canonical: true}
	if err := d.value(c.root); err != nil {
		return d.out[:len(dst)], false, err
	}
	if rest := len(binary) - d.pos; rest > 0 {
		return d.out[:len(dst)], false, fmt.Errorf("%d bytes left after the value", rest)
	}
	return d.out, d.canonical, nil
}

type kind uint8

const (
	kindNull kind = iota
	kindBoolean
	kindInt
	kindLong
	kindFloat
	kindDouble
	kindBytes
	kindString
	kindFixed
	kindEnum
	kindArray
	kindMap
	kindRecord
	kindUnion
)

var kindNames = [...]string{
	kindNull: "null", kindBoolean: "boolean", kindInt: "int", kindLong: "long",
	kindFloat: "float", kindDouble: "double", kindBytes: "bytes", kindString: "string",
	kindFixed: "fixed", kindEnum: "enum", kindArray: "array", kindMap: "map",
	kindRecord: "record", kindUnion: "union",
}

// node is one compiled schema node. Named types are compiled once, so a
// recursive schema compiles to a cyclic graph.
type node struct {
	kind kind
	name string // full name of a record, enum or fixed
	size int    // fixed size
	// minSize is the least number of binary bytes a value takes (a lower
	// bound for recursive records); it bounds decoded item counts.
	minSize int

	elem *node // array items, map values

	symbols     []string
	symbolJSON  [][]byte // `"SYMBOL"`
	symbolIndex map[string]int

	fields     []field
	fieldIndex map[string]int

	branches    []*node
	branchJSON  [][]byte // `{"name":`, nil for the null branch
	branchIndex map[string]int
	nullBranch  int // index of the null branch, -1 if none
}

type field struct {
	name    string
	keyJSON []byte // `"name":`
	node    *node
	hasDef  bool
	rawDef  []byte // the default as JSON text, from the schema
	def     []byte // the default in binary, computed by Parse
	state   uint8  // default computation: 0 todo, 1 in progress, 2 done
}

type compiler struct {
	named    map[string]*node
	defaults map[defaultKey][]byte
	records  []*node
	all      []*node
	explain  bool // explainDefault: take the text's defaults, which hamba did not see
}

type defaultKey struct {
	record string
	field  int
}

func (c *compiler) newNode(k kind) *node {
	n := &node{kind: k, nullBranch: -1}
	c.all = append(c.all, n)
	return n
}

func (c *compiler) compile(s havro.Schema) (*node, error) {
	switch s := s.(type) {
	case *havro.RefSchema:
		return c.compile(s.Schema())
	case *havro.NullSchema:
		return c.newNode(kindNull), nil
	case *havro.PrimitiveSchema:
		var k kind
		switch s.Type() {
		case havro.Null:
			k = kindNull
		case havro.Boolean:
			k = kindBoolean
		case havro.Int:
			k = kindInt
		case havro.Long:
			k = kindLong
		case havro.Float:
			k = kindFloat
		case havro.Double:
			k = kindDouble
		case havro.Bytes:
			k = kindBytes
		case havro.String:
			k = kindString
		default:
			return nil, fmt.Errorf("unsupported primitive type %q", s.Type())
		}
		return c.newNode(k), nil
	case *havro.FixedSchema:
		if n := c.named[s.FullName()]; n != nil {
			return n, nil
		}
		n := c.newNode(kindFixed)
		n.name, n.size = s.FullName(), s.Size()
		c.named[n.name] = n
		return n, nil
	case *havro.EnumSchema:
		if n := c.named[s.FullName()]; n != nil {
			return n, nil
		}
		n := c.newNode(kindEnum)
		n.name = s.FullName()
		c.named[n.name] = n
		n.symbols = s.Symbols()
		n.symbolIndex = make(map[string]int, len(n.symbols))
		for i, sym := range n.symbols {
			n.symbolJSON = append(n.symbolJSON, codec.AppendQuote(nil, sym))
			n.symbolIndex[sym] = i
		}
		return n, nil
	case *havro.ArraySchema:
		n := c.newNode(kindArray)
		elem, err := c.compile(s.Items())
		n.elem = elem
		return n, err
	case *havro.MapSchema:
		n := c.newNode(kindMap)
		elem, err := c.compile(s.Values())
		n.elem = elem
		return n, err
	case *havro.RecordSchema:
		if n := c.named[s.FullName()]; n != nil {
			return n, nil
		}
		n := c.newNode(kindRecord)
		n.name = s.FullName()
		c.named[n.name] = n
		c.records = append(c.records, n)
		fs := s.Fields()
		n.fields = make([]field, len(fs))
		n.fieldIndex = make(map[string]int, len(fs))
		for i, f := range fs {
			fn, err := c.compile(f.Type())
			if err != nil {
				return nil, err
			}
			key := codec.AppendQuote(nil, f.Name())
			n.fields[i] = field{name: f.Name(), keyJSON: append(key, ':'), node: fn}
			n.fieldIndex[f.Name()] = i
			raw, ok := c.defaults[defaultKey{n.name, i}]
			switch {
			case ok && (f.HasDefault() || c.explain):
				n.fields[i].hasDef, n.fields[i].rawDef = true, raw
			case f.HasDefault():
				return nil, fmt.Errorf("cannot find the default of field %q of %s in the schema text", f.Name(), n.name)
			}
		}
		return n, nil
	case *havro.UnionSchema:
		n := c.newNode(kindUnion)
		types := s.Types()
		n.branchIndex = make(map[string]int, 2*len(types))
		short := map[string]int{}
		for i, t := range types {
			b, err := c.compile(t)
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, b)
			name := kindNames[b.kind]
			if b.name != "" {
				name = b.name
				short[shortName(name)]++
			}
			if _, dup := n.branchIndex[name]; dup {
				return nil, fmt.Errorf("union has two branches named %q", name)
			}
			n.branchIndex[name] = i
			if b.kind == kindNull {
				n.nullBranch = i
				n.branchJSON = append(n.branchJSON, nil)
				continue
			}
			prefix := append([]byte{'{'}, codec.AppendQuote(nil, name)...)
			n.branchJSON = append(n.branchJSON, append(prefix, ':'))
		}
		for i, b := range n.branches {
			if b.name == "" {
				continue
			}
			sn := shortName(b.name)
			if _, taken := n.branchIndex[sn]; !taken && short[sn] == 1 {
				n.branchIndex[sn] = i
			}
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported schema %T", s)
}

func shortName(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '.' {
			return full[i+1:]
		}
	}
	return full
}

// minSize computes n.minSize. Records under computation count as 0, which
// keeps the value a lower bound.
func minSize(n *node, state map[*node]uint8) int {
	const limit = 1 << 30
	switch n.kind {
	case kindNull:
		return 0
	case kindFloat:
		n.minSize = 4
	case kindDouble:
		n.minSize = 8
	case kindFixed:
		n.minSize = min(n.size, limit)
	case kindArray:
		n.minSize = 1
		minSize(n.elem, state)
	case kindMap:
		n.minSize = 1
		minSize(n.elem, state)
	case kindUnion:
		m := limit
		for _, b := range n.branches {
			m = min(m, minSize(b, state))
		}
		n.minSize = 1 + m
	case kindRecord:
		switch state[n] {
		case 1:
			return 0
		case 2:
			return n.minSize
		}
		state[n] = 1
		sum := 0
		for _, f := range n.fields {
			sum = min(sum+minSize(f.node, state), limit)
		}
		n.minSize = sum
		state[n] = 2
	default:
		n.minSize = 1
	}
	return n.minSize
}

// ensureDefault computes f.def, the binary form of the field's default, by
// running its JSON text through the encoder in default mode.
func (c *compiler) ensureDefault(rec *node, f *field) error {
	if !f.hasDef || f.state == 2 {
		return nil
	}
	if f.state == 1 {
		return fmt.Errorf("default of field %q of %s depends on itself", f.name, rec.name)
	}
	f.state = 1
	e := encoder{in: f.rawDef, defaults: true, comp: c}
	if err := e.top(f.node); err != nil {
		return fmt.Errorf("invalid default for field %q of %s: %w", f.name, rec.name, err)
	}
	f.def = e.out
	if f.def == nil {
		f.def = []byte{}
	}
	f.state = 2
	return nil
}

// readDefaults reads the schema text again to keep each field default as
// JSON text: hamba's parsed defaults went through float64 and lose long
// precision. It walks the text alongside the parsed schema, recording the
// raw default of field i of record R under {R's full name, i}.
func (c *compiler) readDefaults(text string, s havro.Schema) error {
	p := encoder{in: []byte(text)}
	v, err := p.parseTree(0)
	if err == nil {
		p.skipWS()
		if p.pos != len(p.in) {
			err = errors.New("data after the schema")
		}
	}
	if err != nil {
		// hamba reads text that is not JSON as a bare type name, which
		// has no defaults.
		return nil
	}
	return c.walkDefaults(v, s, 0)
}

func (c *compiler) walkDefaults(v *jval, s havro.Schema, depth int) error {
	if depth > maxDepth {
		return errors.New("schema nested too deeply")
	}
	if ref, ok := s.(*havro.RefSchema); ok {
		s = ref.Schema()
	}
	mismatch := fmt.Errorf("cannot match the schema text with the parsed schema at %s", s.Type())
	switch v.kind {
	case 'a':
		u, ok := s.(*havro.UnionSchema)
		if !ok || len(u.Types()) != len(v.vals) {
			return mismatch
		}
		for i, t := range u.Types() {
			if err := c.walkDefaults(v.vals[i], t, depth+1); err != nil {
				return err
			}
		}
	case 'o':
		t := v.get("type")
		if t == nil {
			return mismatch
		}
		if t.kind == 'a' {
			return c.walkDefaults(t, s, depth+1)
		}
		if t.kind != 's' {
			return nil
		}
		switch t.str {
		case "record", "error":
			rec, ok := s.(*havro.RecordSchema)
			fs := v.get("fields")
			if !ok || fs == nil || fs.kind != 'a' || len(fs.vals) != len(rec.Fields()) {
				return mismatch
			}
			for i, fv := range fs.vals {
				if fv.kind != 'o' {
					return mismatch
				}
				if d := fv.get("default"); d != nil {
					c.defaults[defaultKey{rec.FullName(), i}] = d.raw
				}
				ft := fv.get("type")
				if ft == nil {
					return mismatch
				}
				if err := c.walkDefaults(ft, rec.Fields()[i].Type(), depth+1); err != nil {
					return err
				}
			}
		case "array":
			a, ok := s.(*havro.ArraySchema)
			items := v.get("items")
			if !ok || items == nil {
				return mismatch
			}
			return c.walkDefaults(items, a.Items(), depth+1)
		case "map":
			m, ok := s.(*havro.MapSchema)
			values := v.get("values")
			if !ok || values == nil {
				return mismatch
			}
			return c.walkDefaults(values, m.Values(), depth+1)
		}
	}
	return nil
}

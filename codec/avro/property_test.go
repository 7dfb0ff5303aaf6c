package avro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	havro "github.com/hamba/avro/v2"
)

// schemaAll covers every type and logical type, unions of every branch
// kind, nesting and a recursive record.
const schemaAll = `{"type":"record","name":"All","namespace":"prop","fields":[
	{"name":"n","type":"null"},
	{"name":"b","type":"boolean"},
	{"name":"i","type":"int"},
	{"name":"l","type":"long"},
	{"name":"f","type":"float"},
	{"name":"d","type":"double"},
	{"name":"by","type":"bytes"},
	{"name":"s","type":"string"},
	{"name":"fx","type":{"type":"fixed","name":"F4","size":4}},
	{"name":"e","type":{"type":"enum","name":"Color","symbols":["RED","GREEN","BLUE"]}},
	{"name":"date","type":{"type":"int","logicalType":"date"}},
	{"name":"tms","type":{"type":"int","logicalType":"time-millis"}},
	{"name":"tus","type":{"type":"long","logicalType":"time-micros"}},
	{"name":"tsms","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"tsus","type":{"type":"long","logicalType":"timestamp-micros"}},
	{"name":"ltsms","type":{"type":"long","logicalType":"local-timestamp-millis"}},
	{"name":"ltsus","type":{"type":"long","logicalType":"local-timestamp-micros"}},
	{"name":"uuid","type":{"type":"string","logicalType":"uuid"}},
	{"name":"decb","type":{"type":"bytes","logicalType":"decimal","precision":20,"scale":4}},
	{"name":"decf","type":{"type":"fixed","name":"Dec8","size":8,"logicalType":"decimal","precision":18,"scale":2}},
	{"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
	{"name":"arr","type":{"type":"array","items":{"type":"map","values":["null","int","string","Color",{"type":"array","items":"long"}]}}},
	{"name":"m","type":{"type":"map","values":{"type":"record","name":"Pair","fields":[
		{"name":"k","type":"string"},
		{"name":"v","type":["null","double","F4"]}]}}},
	{"name":"u","type":["null","boolean","int","long","float","double","bytes","string","F4","Color","Pair",
		{"type":"array","items":"int"},{"type":"map","values":"string"}]},
	{"name":"list","type":{"type":"record","name":"Node","fields":[
		{"name":"v","type":"int"},
		{"name":"next","type":["null","Node"]}]}},
	{"name":"empty","type":{"type":"array","items":{"type":"record","name":"Empty","fields":[]}}},
	{"name":"nulls","type":{"type":"array","items":"null"}}]}`

// gen generates random values of a schema twice over: as the native Go
// value hamba's Marshal takes (records and maps as map[string]any, unions as
// map[string]any{"<hamba type name>": v}, int as int32, long as int,
// fixed as [N]byte) and as Avro JSON text, written with random whitespace,
// field order, number forms and string escapes.
//
// The native values are built by hand, not by decoding with hamba, so that
// the comparison with hamba's Marshal checks AppendBinary against an encoder
// that never saw our bytes.
type gen struct {
	r      *rand.Rand
	maxMap int // entries per map: hamba writes maps in random order
	b      strings.Builder
}

func (g *gen) ws() {
	if g.r.IntN(8) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t ", "\r\n  "}[g.r.IntN(4)])
	}
}

func deref(s havro.Schema) havro.Schema {
	if r, ok := s.(*havro.RefSchema); ok {
		return r.Schema()
	}
	return s
}

func (g *gen) value(s havro.Schema, depth int) any {
	s = deref(s)
	g.ws()
	defer g.ws()
	switch s := s.(type) {
	case *havro.NullSchema:
		g.b.WriteString("null")
		return nil
	case *havro.PrimitiveSchema:
		switch s.Type() {
		case havro.Boolean:
			v := g.r.IntN(2) == 1
			g.b.WriteString(strconv.FormatBool(v))
			return v
		case havro.Int:
			v := int32(g.integer(32))
			g.writeInt(int64(v))
			return v
		case havro.Long:
			v := g.integer(64)
			g.writeInt(v)
			return int(v)
		case havro.Float:
			f := float32(g.float())
			if math.IsNaN(float64(f)) {
				f = math.Float32frombits(nanBits32)
			}
			g.writeFloat(float64(f), 32)
			return f
		case havro.Double:
			f := g.float()
			if math.IsNaN(f) {
				f = math.Float64frombits(nanBits64) // Java's, which we write
			}
			g.writeFloat(f, 64)
			return f
		case havro.Bytes:
			v := g.bytes(g.r.IntN(12))
			g.writeBytes(v)
			return v
		case havro.String:
			v := g.str()
			g.writeString(v)
			return v
		}
	case *havro.FixedSchema:
		v := g.bytes(s.Size())
		g.writeBytes(v)
		arr := reflect.New(reflect.ArrayOf(s.Size(), reflect.TypeFor[byte]())).Elem()
		reflect.Copy(arr, reflect.ValueOf(v))
		return arr.Interface()
	case *havro.EnumSchema:
		sym := s.Symbols()[g.r.IntN(len(s.Symbols()))]
		g.writeString(sym)
		return sym
	case *havro.ArraySchema:
		n := g.r.IntN(4)
		if depth > 4 {
			n = 0
		}
		if g.r.IntN(50) == 0 {
			n = 64 + g.r.IntN(80) // a count that takes two varint bytes
		}
		v := []any{}
		g.b.WriteByte('[')
		for i := range n {
			if i > 0 {
				g.b.WriteByte(',')
			}
			v = append(v, g.value(s.Items(), depth+1))
		}
		g.b.WriteByte(']')
		return v
	case *havro.MapSchema:
		n := g.r.IntN(g.maxMap + 1)
		if depth > 4 {
			n = 0
		}
		v := map[string]any{}
		g.b.WriteByte('{')
		for i := 0; i < n; i++ {
			k := g.str()
			if _, dup := v[k]; dup {
				continue
			}
			if len(v) > 0 {
				g.b.WriteByte(',')
			}
			g.writeString(k)
			g.b.WriteByte(':')
			v[k] = g.value(s.Values(), depth+1)
		}
		g.b.WriteByte('}')
		return v
	case *havro.RecordSchema:
		v := map[string]any{}
		g.b.WriteByte('{')
		for i, j := range g.r.Perm(len(s.Fields())) {
			f := s.Fields()[j]
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.writeString(f.Name())
			g.b.WriteByte(':')
			v[f.Name()] = g.value(f.Type(), depth+1)
		}
		g.b.WriteByte('}')
		return v
	case *havro.UnionSchema:
		types := s.Types()
		i := g.r.IntN(len(types))
		if depth > 4 {
			i = 0 // null first in every union here: stop recursion
		}
		t := deref(types[i])
		if t.Type() == havro.Null {
			g.b.WriteString("null")
			return nil
		}
		name := string(t.Type())
		if n, ok := t.(havro.NamedSchema); ok {
			name = n.FullName()
			if g.r.IntN(3) == 0 {
				name = n.Name() // short names are unambiguous here
			}
		}
		g.b.WriteByte('{')
		g.writeString(name)
		g.b.WriteByte(':')
		v := g.value(t, depth+1)
		g.b.WriteByte('}')
		key := string(t.Type())
		if n, ok := t.(havro.NamedSchema); ok {
			key = n.FullName()
		}
		return map[string]any{key: v}
	}
	panic(fmt.Sprintf("gen: unexpected schema %v", s))
}

func (g *gen) integer(bits int) int64 {
	switch g.r.IntN(5) {
	case 0:
		return int64(g.r.IntN(129)) - 64
	case 1: // an edge
		if bits == 32 {
			return []int64{math.MinInt32, math.MaxInt32, 63, 64, -65}[g.r.IntN(5)]
		}
		return []int64{math.MinInt64, math.MaxInt64, math.MinInt32 - 1, 1 << 53, -(1 << 53) - 1}[g.r.IntN(5)]
	}
	v := int64(g.r.Uint64())
	if bits == 32 {
		return int64(int32(v))
	}
	return v >> g.r.IntN(64)
}

func (g *gen) writeInt(v int64) {
	s := strconv.FormatInt(v, 10)
	switch g.r.IntN(6) {
	case 0:
		s += ".0"
	case 1:
		s += "e0"
	case 2:
		switch {
		case v == 0:
			s = "0E5"
		case v%1000 == 0:
			s = strings.TrimSuffix(s, "000") + "E+3"
		default:
			s += "0e-1"
		}
	}
	if v == 0 && g.r.IntN(3) == 0 {
		s = "-0"
	}
	g.b.WriteString(s)
}

func (g *gen) float() float64 {
	switch g.r.IntN(6) {
	case 0:
		return float64(g.r.IntN(2001)-1000) / 8
	case 1:
		return []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
			math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, 1e21, 1e-7, 0.1}[g.r.IntN(11)]
	case 2:
		return g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(40)-20))
	}
	f := math.Float64frombits(g.r.Uint64())
	if math.IsNaN(f) {
		return math.Float64frombits(nanBits64)
	}
	return f
}

func (g *gen) writeFloat(f float64, bits int) {
	switch {
	case math.IsNaN(f):
		g.b.WriteString(`"NaN"`)
		return
	case math.IsInf(f, 1):
		g.b.WriteString(`"Infinity"`)
		return
	case math.IsInf(f, -1):
		g.b.WriteString(`"\u002DInfinity"`)
		return
	}
	// Every form reads back to the same float of this size.
	switch g.r.IntN(4) {
	case 0:
		g.b.WriteString(strconv.FormatFloat(f, 'e', -1, bits))
	case 1:
		g.b.WriteString(strconv.FormatFloat(f, 'E', 30, 64)) // long, exact-ish
	case 2:
		g.b.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
	default:
		g.b.WriteString(string(appendFloat(nil, f, bits)))
	}
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if g.r.IntN(2) == 0 {
			b[i] = byte(0x20 + g.r.IntN(95))
		} else {
			b[i] = byte(g.r.IntN(256))
		}
	}
	return b
}

// writeBytes writes b as a JSON string of code points, in mixed forms.
func (g *gen) writeBytes(b []byte) {
	g.b.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			g.b.WriteByte('\\')
			g.b.WriteByte(c)
		case c >= 0x20 && c < 0x7f && g.r.IntN(4) != 0:
			g.b.WriteByte(c)
		case c >= 0x80 && g.r.IntN(2) == 0:
			g.b.WriteRune(rune(c)) // raw UTF-8 of U+0080..U+00FF
		default:
			fmt.Fprintf(&g.b, []string{`\u%04x`, `\u%04X`}[g.r.IntN(2)], c)
		}
	}
	g.b.WriteByte('"')
}

func (g *gen) str() string {
	var b strings.Builder
	for range g.r.IntN(8) {
		switch g.r.IntN(6) {
		case 0:
			b.WriteRune(rune(g.r.IntN(0x20)))
		case 1:
			b.WriteRune([]rune{'"', '\\', '/', 'é', '€', '😀', 0x7f, 0x2028, 0xfffd}[g.r.IntN(9)])
		case 2:
			r := rune(g.r.IntN(0x10ffff))
			if !utf8.ValidRune(r) {
				r = 'x'
			}
			b.WriteRune(r)
		default:
			b.WriteByte(byte('a' + g.r.IntN(26)))
		}
	}
	return b.String()
}

// writeString writes s as a JSON string, escaping at random.
func (g *gen) writeString(s string) {
	g.b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			g.b.WriteByte('\\')
			g.b.WriteRune(r)
		case r < 0x20 || g.r.IntN(10) == 0:
			if r > 0xffff {
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(&g.b, `\u%04x\u%04X`, r1, r2)
			} else if r == '\n' && g.r.IntN(2) == 0 {
				g.b.WriteString(`\n`)
			} else {
				fmt.Fprintf(&g.b, `\u%04x`, r)
			}
		case r == '/' && g.r.IntN(2) == 0:
			g.b.WriteString(`\/`)
		default:
			g.b.WriteRune(r)
		}
	}
	g.b.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + r>>10, 0xdc00 + r&0x3ff
}

// sameJSON reports whether a and b hold the same JSON value: objects
// compared as sets of members, numbers by exact value, strings after
// unescaping.
func sameJSON(a, b []byte) bool {
	va, erra := decodeJSON(a)
	vb, errb := decodeJSON(b)
	return erra == nil && errb == nil && equalJSON(va, vb)
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func equalJSON(a, b any) bool { return diffJSON(a, b) == "" }

// diffJSON returns the path of the first difference between a and b.
func diffJSON(a, b any) string {
	switch a := a.(type) {
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return fmt.Sprintf(": %v vs %v", a, b)
		}
		// Equal exactly, or as a double, or as a float: which one the
		// schema meant is checked by comparing the binary with hamba's.
		fa, _, erra := big.ParseFloat(string(a), 10, 2000, big.ToNearestEven)
		fb, _, errb := big.ParseFloat(string(b), 10, 2000, big.ToNearestEven)
		if erra != nil || errb != nil {
			return fmt.Sprintf(": %v vs %v", a, b)
		}
		a64, _ := fa.Float64()
		b64, _ := fb.Float64()
		a32, _ := fa.Float32()
		b32, _ := fb.Float32()
		if fa.Cmp(fb) != 0 && a64 != b64 && a32 != b32 {
			return fmt.Sprintf(": %v vs %v", a, b)
		}
		return ""
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return fmt.Sprintf(": %v vs %v", a, b)
		}
		for i := range a {
			if d := diffJSON(a[i], b[i]); d != "" {
				return fmt.Sprintf("[%d]%s", i, d)
			}
		}
		return ""
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return fmt.Sprintf(": %v vs %v", a, b)
		}
		if len(a) == 1 {
			// A union branch may be named by its short name on input.
			for k, v := range a {
				if w, ok := b["prop."+k]; ok {
					return diffJSON(v, w)
				}
			}
		}
		for k, v := range a {
			if d := diffJSON(v, b[k]); d != "" {
				return fmt.Sprintf(".%q%s", k, d)
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf(": %#v vs %#v", a, b)
	}
	return ""
}

// TestProperty checks, for generated values of schemaAll:
//   - AppendBinary writes exactly hamba's Marshal of the same native value,
//   - AppendJSON of that gives the same JSON value back, in canonical form,
//   - canonical JSON -> binary -> JSON is the identity, byte for byte.
//
// Maps hold at most one entry in the hamba comparison (hamba writes map
// entries in Go's random order); a second run with larger maps compares
// through AppendJSON instead.
func TestProperty(t *testing.T) {
	c := mustParse(t, schemaAll)
	n := 3000
	if testing.Short() {
		n = 300
	}
	for _, maxMap := range []int{1, 4} {
		g := &gen{r: rand.New(rand.NewPCG(1, uint64(maxMap))), maxMap: maxMap}
		for i := range n {
			g.b.Reset()
			native := g.value(c.Schema(), 0)
			in := []byte(g.b.String())
			bin, err := c.AppendBinary(nil, in)
			if err != nil {
				t.Fatalf("#%d AppendBinary(%s): %v", i, in, err)
			}
			hb, err := hambaAPI.Marshal(c.Schema(), native)
			if err != nil {
				t.Fatalf("#%d hamba Marshal: %v", i, err)
			}
			if maxMap <= 1 && !bytes.Equal(bin, hb) {
				t.Fatalf("#%d AppendBinary differs from hamba's Marshal\n in: %s\n ours:  %x\n hamba: %x", i, in, bin, hb)
			}
			out, canonical, err := c.appendJSON(nil, bin)
			if err != nil || !canonical {
				t.Fatalf("#%d AppendJSON: canonical %v, %v\n in: %s", i, canonical, err, in)
			}
			if !sameJSON(in, out) {
				va, _ := decodeJSON(in)
				vb, _ := decodeJSON(out)
				t.Fatalf("#%d JSON changed at %s\n in:  %s\n out: %s", i, diffJSON(va, vb), in, out)
			}
			if !json.Valid(out) || !utf8.Valid(out) {
				t.Fatalf("#%d invalid JSON out: %s", i, out)
			}
			bin2, err := c.AppendBinary(nil, out)
			if err != nil || !bytes.Equal(bin2, bin) {
				t.Fatalf("#%d canonical JSON does not encode to the same bytes: %v\n out: %s", i, err, out)
			}
			out2, err := c.AppendJSON(nil, bin2)
			if err != nil || !bytes.Equal(out2, out) {
				t.Fatalf("#%d binary -> JSON not stable: %v\n %s\n %s", i, err, out, out2)
			}
			if maxMap > 1 {
				// hamba's bytes differ only in map order: same JSON.
				hout, err := c.AppendJSON(nil, hb)
				if err != nil || !sameJSON(hout, out) {
					t.Fatalf("#%d hamba's bytes read differently: %v\n %s\n %s", i, err, hout, out)
				}
			}
		}
	}
}

// TestHambaDefaultConfigReads checks that blocks with byte sizes, as hamba's
// default configuration writes them, read the same.
func TestHambaDefaultConfigReads(t *testing.T) {
	c := mustParse(t, schemaAll)
	g := &gen{r: rand.New(rand.NewPCG(7, 7)), maxMap: 1}
	for i := range 300 {
		g.b.Reset()
		native := g.value(c.Schema(), 0)
		hb, err := havro.Marshal(c.Schema(), native)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := c.AppendBinary(nil, []byte(g.b.String()))
		if err != nil {
			t.Fatal(err)
		}
		a, err1 := c.AppendJSON(nil, hb)
		b, err2 := c.AppendJSON(nil, bin)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("#%d %v %v\n%s\n%s", i, err1, err2, a, b)
		}
	}
}

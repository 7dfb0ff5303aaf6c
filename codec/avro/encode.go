package avro

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// encoder converts one JSON value to Avro binary, appending to out.
type encoder struct {
	in    []byte
	pos   int
	out   []byte
	depth int
	// defaults is set while encoding a field default from the schema, where
	// a union holds the value of its first branch, unwrapped.
	defaults bool
	// comp is set during Parse: defaults of nested records may still need
	// computing.
	comp    *compiler
	scratch []byte // record fields being reordered
	key     []byte // an unescaped object key
}

// top encodes the whole input as one value of n.
func (e *encoder) top(n *node) error {
	if err := e.value(n); err != nil {
		return err
	}
	e.skipWS()
	if e.pos != len(e.in) {
		return e.syntax("data after the value", e.pos)
	}
	return nil
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > maxDepth {
		return newError("nesting deeper than " + strconv.Itoa(maxDepth))
	}
	return nil
}

// mismatch reports that the value at e.pos is not a valid n.
func (e *encoder) mismatch(n *node) error {
	got, ok := e.got()
	if !ok {
		return e.unexpected()
	}
	return newError("expected " + kindNames[n.kind] + ", got " + got)
}

// appendVarint appends the zigzag varint encoding of v.
func appendVarint(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

// insertVarint writes the zigzag varint v at out[p:], where one byte is
// reserved, shifting what follows if it needs more.
func insertVarint(out []byte, p int, v int64) []byte {
	if v >= 0 && v < 64 {
		out[p] = byte(v << 1)
		return out
	}
	var hdr [10]byte
	h := appendVarint(hdr[:0], v)
	end := len(out)
	out = append(out, h[1:]...)
	copy(out[p+len(h):], out[p+1:end])
	copy(out[p:], h)
	return out
}

func (e *encoder) value(n *node) error {
	e.skipWS()
	if e.pos >= len(e.in) {
		return e.errEOF()
	}
	c := e.in[e.pos]
	switch n.kind {
	case kindNull:
		if c == 'n' && e.literal("null") {
			return nil
		}
	case kindBoolean:
		if c == 't' && e.literal("true") {
			e.out = append(e.out, 1)
			return nil
		}
		if c == 'f' && e.literal("false") {
			e.out = append(e.out, 0)
			return nil
		}
	case kindInt, kindLong:
		if c == '-' || c >= '0' && c <= '9' {
			return e.integer(n)
		}
	case kindFloat, kindDouble:
		if c == '-' || c >= '0' && c <= '9' || c == '"' {
			return e.float(n)
		}
	case kindString:
		if c == '"' {
			return e.string()
		}
	case kindBytes, kindFixed:
		if c == '"' {
			return e.bytes(n)
		}
	case kindEnum:
		if c == '"' {
			return e.enum(n)
		}
	case kindArray:
		if c == '[' {
			return e.array(n)
		}
	case kindMap:
		if c == '{' {
			return e.mapValue(n)
		}
	case kindRecord:
		if c == '{' {
			return e.record(n)
		}
	case kindUnion:
		return e.union(n, c)
	}
	return e.mismatch(n)
}

func (e *encoder) integer(n *node) error {
	in := e.in
	i := e.pos
	neg := false
	if in[i] == '-' {
		neg = true
		i++
	}
	// Fast path: a plain integer of at most 18 digits.
	start := i
	var u uint64
	for i < len(in) && in[i] >= '0' && in[i] <= '9' && i-start < 18 {
		u = u*10 + uint64(in[i]-'0')
		i++
	}
	var v int64
	if i > start && (i-start == 1 || in[start] != '0') &&
		(i == len(in) || in[i] != '.' && in[i] != 'e' && in[i] != 'E' && (in[i] < '0' || in[i] > '9')) {
		e.pos = i
		v = int64(u)
		if neg {
			v = -v
		}
		if n.kind == kindInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return newError("number " + string(in[start-b2i(neg):i]) + " out of range for int")
		}
		e.out = appendVarint(e.out, v)
		return nil
	}
	num, err := e.scanNumber()
	if err != nil {
		return err
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if n.kind == kindInt {
		lo, hi = math.MinInt32, math.MaxInt32
	}
	v, res := num.integer(lo, hi)
	switch res {
	case numFraction:
		return newError("expected " + kindNames[n.kind] + ", got number " + string(truncate(num.raw, maxQuoted)))
	case numRange:
		return newError("number " + string(truncate(num.raw, maxQuoted)) + " out of range for " + kindNames[n.kind])
	}
	e.out = appendVarint(e.out, v)
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Java's canonical NaN bits, which Avro's Java writer emits.
const (
	nanBits64 = 0x7ff8000000000000
	nanBits32 = 0x7fc00000
)

func (e *encoder) float(n *node) error {
	bits := 64
	if n.kind == kindFloat {
		bits = 32
	}
	var f float64
	if e.in[e.pos] == '"' {
		raw, err := e.objectKey()
		if err != nil {
			return err
		}
		switch string(raw) {
		case "NaN":
			f = math.Float64frombits(nanBits64)
		case "Infinity":
			f = math.Inf(1)
		case "-Infinity":
			f = math.Inf(-1)
		default:
			return newError("expected " + kindNames[n.kind] + ", got string " + quote(raw))
		}
	} else {
		num, err := e.scanNumber()
		if err != nil {
			return err
		}
		var ok bool
		if f, ok = num.float(bits); !ok {
			return newError("number " + string(truncate(num.raw, maxQuoted)) + " out of range for " + kindNames[n.kind])
		}
	}
	if bits == 32 {
		u := math.Float32bits(float32(f))
		if math.IsNaN(f) {
			u = nanBits32
		}
		e.out = append(e.out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		return nil
	}
	u := math.Float64bits(f)
	e.out = append(e.out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24),
		byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
	return nil
}

func (e *encoder) string() error {
	raw, esc, err := e.scanString()
	if err != nil {
		return err
	}
	if !esc {
		e.out = appendVarint(e.out, int64(len(raw)))
		e.out = append(e.out, raw...)
		return nil
	}
	p := len(e.out)
	e.out = append(e.out, 0)
	if e.out, err = appendUnescaped(e.out, raw); err != nil {
		return err
	}
	e.out = insertVarint(e.out, p, int64(len(e.out)-p-1))
	return nil
}

// bytes encodes a bytes or fixed value: a string of code points up to U+00FF.
func (e *encoder) bytes(n *node) error {
	raw, esc, err := e.scanString()
	if err != nil {
		return err
	}
	p := len(e.out)
	if n.kind == kindBytes {
		e.out = append(e.out, 0)
	}
	start := len(e.out)
	if !esc && isASCII(raw) {
		e.out = append(e.out, raw...)
	} else {
		for i := 0; i < len(raw); {
			r, size, msg := nextRune(raw, i)
			if msg != "" {
				return newError("invalid json: " + msg)
			}
			if r > 0xff {
				return newError("invalid " + kindNames[n.kind] + ": code point " + runeName(r) + " above U+00FF")
			}
			e.out = append(e.out, byte(r))
			i += size
		}
	}
	if size := len(e.out) - start; n.kind == kindFixed {
		if size != n.size {
			return newError("fixed " + n.name + " needs " + strconv.Itoa(n.size) + " bytes, got " + strconv.Itoa(size))
		}
	} else {
		e.out = insertVarint(e.out, p, int64(size))
	}
	return nil
}

func runeName(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return "U+" + s
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// objectKey reads a JSON string at e.pos and returns it unescaped (an
// object key, enum symbol, union branch or float name); the result is valid
// until the next call.
func (e *encoder) objectKey() ([]byte, error) {
	if e.pos >= len(e.in) || e.in[e.pos] != '"' {
		return nil, e.unexpected()
	}
	raw, esc, err := e.scanString()
	if err != nil || !esc {
		return raw, err
	}
	e.key, err = appendUnescaped(e.key[:0], raw)
	return e.key, err
}

func (e *encoder) enum(n *node) error {
	sym, err := e.objectKey()
	if err != nil {
		return err
	}
	i, ok := n.symbolIndex[string(sym)]
	if !ok {
		return newError("unknown symbol " + quote(sym) + " for enum " + n.name)
	}
	e.out = appendVarint(e.out, int64(i))
	return nil
}

// array encodes a JSON array as one block: count, items, 0.
func (e *encoder) array(n *node) error {
	return e.block(']', func(i int) error {
		if err := e.value(n.elem); err != nil {
			return atIndex(err, i)
		}
		return nil
	})
}

// mapValue encodes a JSON object as an Avro map in one block.
func (e *encoder) mapValue(n *node) error {
	return e.block('}', func(int) error {
		e.skipWS()
		if e.pos >= len(e.in) || e.in[e.pos] != '"' {
			return e.unexpected()
		}
		kp := e.pos
		if err := e.string(); err != nil {
			return err
		}
		if err := e.expect(':'); err != nil {
			return err
		}
		if err := e.value(n.elem); err != nil {
			return e.keyError(err, kp)
		}
		return nil
	})
}

// block encodes the comma-separated items of the JSON array or object at
// e.pos, up to close, as one Avro block: the item count, what item wrote for
// each (given its index), then the 0 that ends the blocks. An empty array
// or object is the lone 0.
func (e *encoder) block(close byte, item func(i int) error) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.pos++ // '[' or '{'
	p := len(e.out)
	e.out = append(e.out, 0)
	e.skipWS()
	if e.pos < len(e.in) && e.in[e.pos] == close {
		e.pos++
		e.depth--
		return nil
	}
	count := 0
	for {
		if err := item(count); err != nil {
			return err
		}
		count++
		e.skipWS()
		if e.pos < len(e.in) && e.in[e.pos] == ',' {
			e.pos++
			continue
		}
		if err := e.expect(close); err != nil {
			return err
		}
		break
	}
	e.out = insertVarint(e.out, p, int64(count))
	e.out = append(e.out, 0)
	e.depth--
	return nil
}

// keyError adds the map key at e.in[kp:] to err's path.
func (e *encoder) keyError(err error, kp int) error {
	e.pos = kp
	raw, esc, kerr := e.scanString()
	if kerr == nil && esc {
		raw, _ = appendUnescaped(nil, raw)
	}
	return atKey(err, raw)
}

// span is where a record field's encoding sits in out.
type span struct{ start, end int }

// record encodes a JSON object as the record n. Fields are written straight
// to out while the input follows schema order (missing fields with defaults
// are filled in on the way); the first field out of order switches to
// collecting the fields' spans and rebuilding the record at the end.
func (e *encoder) record(n *node) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.pos++ // '{'
	fields := n.fields
	var buf [32]span
	var spans []span
	if len(fields) <= len(buf) {
		spans = buf[:len(fields)]
	} else {
		spans = make([]span, len(fields))
	}
	for i := range spans {
		spans[i].end = -1
	}
	recStart := len(e.out)
	ordered := true
	next := 0 // while ordered: fields before next are written
	e.skipWS()
	if e.pos < len(e.in) && e.in[e.pos] == '}' {
		e.pos++
	} else {
		for {
			e.skipWS()
			key, err := e.objectKey()
			if err != nil {
				return err
			}
			k := -1
			if next < len(fields) && string(key) == fields[next].name {
				k = next
			} else if i, ok := n.fieldIndex[string(key)]; ok {
				k = i
			} else {
				return inField(newError("not in record "+n.name), string(truncate(key, maxQuoted)))
			}
			if spans[k].end >= 0 {
				return inField(newError("appears twice"), fields[k].name)
			}
			if err := e.expect(':'); err != nil {
				return err
			}
			if ordered {
				if k < next {
					ordered = false // k got its default already
				} else {
					for i := next; i < k; i++ {
						if !fields[i].hasDef {
							ordered = false
							break
						}
					}
					if ordered {
						for i := next; i < k; i++ {
							if err := e.appendDefault(n, i); err != nil {
								return err
							}
						}
						next = k + 1
					}
				}
			}
			start := len(e.out)
			if err := e.value(fields[k].node); err != nil {
				return inField(err, fields[k].name)
			}
			spans[k] = span{start, len(e.out)}
			e.skipWS()
			if e.pos < len(e.in) && e.in[e.pos] == ',' {
				e.pos++
				continue
			}
			if err := e.expect('}'); err != nil {
				return err
			}
			break
		}
	}
	if ordered {
		for i := next; i < len(fields); i++ {
			if err := e.appendDefault(n, i); err != nil {
				return err
			}
		}
		e.depth--
		return nil
	}
	// Rebuild in schema order from a copy of what was written.
	for i := range fields {
		if spans[i].end < 0 && !fields[i].hasDef {
			return inField(newError("missing, and has no default"), fields[i].name)
		}
	}
	e.scratch = append(e.scratch[:0], e.out[recStart:]...)
	e.out = e.out[:recStart]
	for i := range fields {
		if s := spans[i]; s.end >= 0 {
			e.out = append(e.out, e.scratch[s.start-recStart:s.end-recStart]...)
		} else if err := e.appendDefault(n, i); err != nil {
			return err
		}
	}
	e.depth--
	return nil
}

func (e *encoder) appendDefault(rec *node, i int) error {
	f := &rec.fields[i]
	if !f.hasDef {
		return inField(newError("missing, and has no default"), f.name)
	}
	if e.comp != nil && f.state != 2 {
		if err := e.comp.ensureDefault(rec, f); err != nil {
			return err
		}
	}
	e.out = append(e.out, f.def...)
	return nil
}

func (e *encoder) union(n *node, c byte) error {
	if e.defaults {
		e.out = append(e.out, 0) // branch 0
		return e.value(n.branches[0])
	}
	if c == 'n' && e.literal("null") {
		if n.nullBranch < 0 {
			return unionError("null is not a branch")
		}
		e.out = appendVarint(e.out, int64(n.nullBranch))
		return nil
	}
	if c != '{' {
		got, ok := e.got()
		if !ok {
			return e.unexpected()
		}
		return unionError("expected null or a single-key object, got " + got)
	}
	if err := e.enter(); err != nil {
		return err
	}
	e.pos++
	e.skipWS()
	if e.pos < len(e.in) && e.in[e.pos] == '}' {
		return unionError("expected null or a single-key object, got {}")
	}
	name, err := e.objectKey()
	if err != nil {
		return err
	}
	i, ok := n.branchIndex[string(name)]
	if !ok {
		return unionError("unknown branch " + quote(name))
	}
	if err := e.expect(':'); err != nil {
		return err
	}
	e.out = appendVarint(e.out, int64(i))
	if err := e.value(n.branches[i]); err != nil {
		return err
	}
	e.skipWS()
	if e.pos < len(e.in) && e.in[e.pos] == ',' {
		return unionError("more than one key in a union object")
	}
	if err := e.expect('}'); err != nil {
		return err
	}
	e.depth--
	return nil
}

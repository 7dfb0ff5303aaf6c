package avro

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the JSON scanner: whitespace, strings, numbers, literals
// and a small tree parser for the schema text. It works on encoder.in at
// encoder.pos.

// strSafe marks the bytes that stand for themselves inside a JSON string.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func (e *encoder) skipWS() {
	for e.pos < len(e.in) && isWS(e.in[e.pos]) {
		e.pos++
	}
}

func (e *encoder) syntax(msg string, at int) error {
	return newError("invalid json: " + msg + " at offset " + strconv.Itoa(at))
}

func (e *encoder) errEOF() error { return newError("invalid json: unexpected end of input") }

// unexpected reports the byte at e.pos as a syntax error.
func (e *encoder) unexpected() error {
	if e.pos >= len(e.in) {
		return e.errEOF()
	}
	return e.syntax("unexpected "+byteName(e.in[e.pos]), e.pos)
}

func byteName(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "byte 0x" + string(hexDigits[c>>4]) + string(hexDigits[c&0xf])
}

// expect consumes the byte c after optional whitespace.
func (e *encoder) expect(c byte) error {
	e.skipWS()
	if e.pos < len(e.in) && e.in[e.pos] == c {
		e.pos++
		return nil
	}
	if e.pos >= len(e.in) {
		return e.errEOF()
	}
	return e.syntax("expected "+byteName(c)+", got "+byteName(e.in[e.pos]), e.pos)
}

// literal consumes lit ("null", "true", "false") if it is at e.pos.
func (e *encoder) literal(lit string) bool {
	if len(e.in)-e.pos >= len(lit) && string(e.in[e.pos:e.pos+len(lit)]) == lit {
		e.pos += len(lit)
		return true
	}
	return false
}

// scanString reads the JSON string at e.pos, which holds '"', and returns
// its contents between the quotes. esc reports backslash escapes, which the
// caller decodes with appendUnescaped or nextRune (they validate the rest);
// contents without escapes are checked to be valid UTF-8 here.
func (e *encoder) scanString() (raw []byte, esc bool, err error) {
	in := e.in
	start := e.pos + 1
	i := start
	ascii := true
	for {
		for i < len(in) && strSafe[in[i]] {
			i++
		}
		if i >= len(in) {
			return nil, false, e.errEOF()
		}
		switch c := in[i]; {
		case c == '"':
			raw = in[start:i]
			if !ascii && !esc && !utf8.Valid(raw) {
				return nil, false, e.syntax("invalid UTF-8 in string", e.pos)
			}
			e.pos = i + 1
			return raw, esc, nil
		case c == '\\':
			esc = true
			i += 2
		case c < 0x20:
			return nil, false, e.syntax("control character in string", i)
		default:
			ascii = false
			i++
		}
	}
}

// nextRune decodes the character at raw[i] of a JSON string's contents and
// returns it with its length in raw. A non-empty msg describes an error.
func nextRune(raw []byte, i int) (r rune, n int, msg string) {
	c := raw[i]
	if c < utf8.RuneSelf && c != '\\' {
		return rune(c), 1, ""
	}
	if c >= utf8.RuneSelf {
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n == 1 {
			return 0, 0, "invalid UTF-8 in string"
		}
		return r, n, ""
	}
	if i+1 >= len(raw) {
		return 0, 0, "invalid escape in string"
	}
	switch raw[i+1] {
	case '"', '\\', '/':
		return rune(raw[i+1]), 2, ""
	case 'b':
		return '\b', 2, ""
	case 'f':
		return '\f', 2, ""
	case 'n':
		return '\n', 2, ""
	case 'r':
		return '\r', 2, ""
	case 't':
		return '\t', 2, ""
	case 'u':
		r, ok := hex4(raw[i+2:])
		if !ok {
			return 0, 0, "invalid escape in string"
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, ""
		}
		if r < 0xdc00 && len(raw)-i >= 12 && raw[i+6] == '\\' && raw[i+7] == 'u' {
			if r2, ok := hex4(raw[i+8:]); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
				return utf16.DecodeRune(r, r2), 12, ""
			}
		}
		return 0, 0, "lone surrogate escape in string"
	}
	return 0, 0, "invalid escape in string"
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the UTF-8 text of the JSON string contents raw.
func appendUnescaped(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		r, n, msg := nextRune(raw, i)
		if msg != "" {
			return dst, newError("invalid json: " + msg)
		}
		if c == '\\' {
			dst = utf8.AppendRune(dst, r)
		} else {
			dst = append(dst, raw[i:i+n]...)
		}
		i += n
	}
	return dst, nil
}

// number is a scanned JSON number: value = ±mant × 10^exp10 unless ovf,
// which means more than 19 significant digits.
type number struct {
	raw    []byte
	neg    bool
	ovf    bool
	mant   uint64
	digits int // significant digits in mant
	exp10  int
}

// add appends the digit d of the integer part (frac false) or of the
// fraction to n.
func (n *number) add(d byte, frac bool) {
	switch {
	case n.mant == 0 && d == 0: // leading zero
		if frac {
			n.exp10--
		}
	case n.digits < 19:
		n.mant = n.mant*10 + uint64(d)
		n.digits++
		if frac {
			n.exp10--
		}
	case d != 0:
		n.ovf = true
	case !frac:
		n.exp10++
	}
}

// scanNumber reads the JSON number at e.pos.
func (e *encoder) scanNumber() (number, error) {
	in := e.in
	i := e.pos
	var n number
	if i < len(in) && in[i] == '-' {
		n.neg = true
		i++
	}
	if i >= len(in) {
		return n, e.errEOF()
	}
	switch c := in[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			n.add(in[i]-'0', false)
			i++
		}
	default:
		e.pos = i
		return n, e.unexpected()
	}
	if i < len(in) && in[i] == '.' {
		i++
		if i >= len(in) || in[i] < '0' || in[i] > '9' {
			e.pos = i
			return n, e.unexpected()
		}
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			n.add(in[i]-'0', true)
			i++
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		i++
		eneg := false
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			eneg = in[i] == '-'
			i++
		}
		if i >= len(in) || in[i] < '0' || in[i] > '9' {
			e.pos = i
			return n, e.unexpected()
		}
		x := 0
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			if x < 1e8 {
				x = x*10 + int(in[i]-'0')
			}
			i++
		}
		if eneg {
			x = -x
		}
		n.exp10 += x
	}
	n.raw = in[e.pos:i]
	e.pos = i
	return n, nil
}

// Results of number.integer besides success.
const (
	numOK = iota
	numFraction
	numRange
)

// integer returns the number as an int64 in [lo, hi].
func (n *number) integer(lo, hi int64) (int64, int) {
	if n.ovf {
		// At least 20 significant digits: a fraction, or too big.
		if n.exp10 >= 1 {
			return 0, numRange
		}
		return 0, numFraction
	}
	m, x := n.mant, n.exp10
	if m == 0 {
		return 0, numOK
	}
	for x < 0 && m%10 == 0 {
		m /= 10
		x++
	}
	if x < 0 {
		return 0, numFraction
	}
	for ; x > 0; x-- {
		if m > math.MaxUint64/10 {
			return 0, numRange
		}
		m *= 10
	}
	if n.neg {
		if m > uint64(-(lo+1))+1 {
			return 0, numRange
		}
		return -int64(m), numOK
	}
	if m > uint64(hi) {
		return 0, numRange
	}
	return int64(m), numOK
}

var pow10f64 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

var pow10f32 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// float returns the number rounded to a float of bitSize 32 or 64; ok is
// false when it overflows that size.
func (n *number) float(bitSize int) (f float64, ok bool) {
	m, x := n.mant, n.exp10
	if !n.ovf {
		for m != 0 && x < 0 && m%10 == 0 {
			m /= 10
			x++
		}
		// Exact fast paths: m and 10^|x| are exact, so one operation rounds
		// correctly.
		switch {
		case m == 0:
			f = 0
			ok = true
		case bitSize == 64 && m <= 1<<53 && x >= -22 && x <= 22:
			f = float64(m)
			if x >= 0 {
				f *= pow10f64[x]
			} else {
				f /= pow10f64[-x]
			}
			ok = true
		case bitSize == 32 && m <= 1<<24 && x >= -10 && x <= 10:
			f32 := float32(m)
			if x >= 0 {
				f32 *= pow10f32[x]
			} else {
				f32 /= pow10f32[-x]
			}
			f = float64(f32)
			ok = true
		}
		if ok {
			if n.neg {
				f = -f
			}
			return f, true
		}
	}
	f, err := strconv.ParseFloat(string(n.raw), bitSize)
	return f, err == nil
}

// got describes the JSON value at e.pos for an error message, without
// consuming it; ok is false when no value starts there.
func (e *encoder) got() (desc string, ok bool) {
	if e.pos >= len(e.in) {
		return "", false
	}
	save := e.pos
	defer func() { e.pos = save }()
	switch c := e.in[e.pos]; {
	case c == '"':
		raw, esc, err := e.scanString()
		if err != nil {
			return "", false
		}
		if esc {
			if u, err := appendUnescaped(nil, raw); err == nil {
				raw = u
			}
		}
		return "string " + quote(raw), true
	case c == '-' || c >= '0' && c <= '9':
		n, err := e.scanNumber()
		if err != nil {
			return "", false
		}
		return "number " + string(truncate(n.raw, maxQuoted)), true
	case c == '{':
		return "object", true
	case c == '[':
		return "array", true
	case e.literal("true"):
		return "true", true
	case e.literal("false"):
		return "false", true
	case e.literal("null"):
		return "null", true
	}
	return "", false
}

// jval is a parsed JSON value of the schema text, kept with its raw text.
type jval struct {
	kind byte // 's' string, 'a' array, 'o' object, 'x' number or literal
	raw  []byte
	str  string
	keys []string
	vals []*jval
}

// get returns the member key of an object; the last one wins, as in hamba.
func (v *jval) get(key string) *jval {
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == key {
			return v.vals[i]
		}
	}
	return nil
}

// parseTree parses the JSON value at e.pos into a tree. It is for schema
// text only: simple and allocating.
func (e *encoder) parseTree(depth int) (*jval, error) {
	if depth > maxDepth {
		return nil, newError("schema nested too deeply")
	}
	e.skipWS()
	if e.pos >= len(e.in) {
		return nil, e.errEOF()
	}
	start := e.pos
	v := &jval{kind: 'x'}
	switch c := e.in[e.pos]; {
	case c == '"':
		raw, _, err := e.scanString()
		if err != nil {
			return nil, err
		}
		u, err := appendUnescaped(nil, raw)
		if err != nil {
			return nil, err
		}
		v.kind, v.str = 's', string(u)
	case c == '[':
		v.kind = 'a'
		e.pos++
		e.skipWS()
		if e.pos < len(e.in) && e.in[e.pos] == ']' {
			e.pos++
			break
		}
		for {
			el, err := e.parseTree(depth + 1)
			if err != nil {
				return nil, err
			}
			v.vals = append(v.vals, el)
			e.skipWS()
			if e.pos < len(e.in) && e.in[e.pos] == ',' {
				e.pos++
				continue
			}
			if err := e.expect(']'); err != nil {
				return nil, err
			}
			break
		}
	case c == '{':
		v.kind = 'o'
		e.pos++
		e.skipWS()
		if e.pos < len(e.in) && e.in[e.pos] == '}' {
			e.pos++
			break
		}
		for {
			e.skipWS()
			if e.pos >= len(e.in) || e.in[e.pos] != '"' {
				return nil, e.unexpected()
			}
			k, err := e.parseTree(depth + 1)
			if err != nil {
				return nil, err
			}
			if err := e.expect(':'); err != nil {
				return nil, err
			}
			val, err := e.parseTree(depth + 1)
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, k.str)
			v.vals = append(v.vals, val)
			e.skipWS()
			if e.pos < len(e.in) && e.in[e.pos] == ',' {
				e.pos++
				continue
			}
			if err := e.expect('}'); err != nil {
				return nil, err
			}
			break
		}
	case c == '-' || c >= '0' && c <= '9':
		if _, err := e.scanNumber(); err != nil {
			return nil, err
		}
	case e.literal("true"), e.literal("false"), e.literal("null"):
	default:
		return nil, e.unexpected()
	}
	v.raw = e.in[start:e.pos]
	return v, nil
}

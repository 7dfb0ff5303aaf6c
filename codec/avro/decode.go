package avro

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/krest-dev/krest/codec"
)

// decoder converts one Avro binary datum to JSON, appending to out.
type decoder struct {
	in         []byte
	pos        int
	out        []byte
	depth      int
	zeroBudget int  // array items of zero size still allowed
	canonical  bool // the input is in the form AppendBinary writes
}

func errEOF() error { return newError("unexpected end of input") }

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return newError("nesting deeper than " + strconv.Itoa(maxDepth))
	}
	return nil
}

// readLong reads a zigzag varint of at most 10 bytes.
func (d *decoder) readLong() (int64, error) {
	in := d.in
	if d.pos < len(in) && in[d.pos] < 0x80 {
		u := uint64(in[d.pos])
		d.pos++
		return int64(u>>1) ^ -int64(u&1), nil
	}
	var u uint64
	var s uint
	for i := d.pos; i < len(in); i++ {
		b := in[i]
		if s == 63 && b > 1 {
			return 0, newError("varint overflows 64 bits")
		}
		u |= uint64(b&0x7f) << s
		if b < 0x80 {
			if b == 0 {
				d.canonical = false // a longer encoding than needed
			}
			d.pos = i + 1
			return int64(u>>1) ^ -int64(u&1), nil
		}
		s += 7
	}
	return 0, errEOF()
}

// readLen reads a bytes or string length and checks it against the input.
func (d *decoder) readLen() (int, error) {
	l, err := d.readLong()
	if err != nil {
		return 0, err
	}
	if l < 0 {
		return 0, newError("negative length " + strconv.FormatInt(l, 10))
	}
	if rest := len(d.in) - d.pos; l > int64(rest) {
		return 0, newError("length " + strconv.FormatInt(l, 10) + " exceeds the " + strconv.Itoa(rest) + " remaining bytes")
	}
	return int(l), nil
}

// blockCount reads an array or map block header, whose items take at least
// itemMin bytes each, and returns the item count (0 at the end).
func (d *decoder) blockCount(itemMin int) (int64, error) {
	c, err := d.readLong()
	if err != nil {
		return 0, err
	}
	if c < 0 {
		if c == math.MinInt64 {
			return 0, newError("invalid block count")
		}
		c = -c
		size, err := d.readLong()
		if err != nil {
			return 0, err
		}
		if size < 0 || size > int64(len(d.in)-d.pos) {
			return 0, newError("invalid block size " + strconv.FormatInt(size, 10))
		}
		d.canonical = false
	}
	if c == 0 {
		return 0, nil
	}
	if itemMin > 0 {
		if c > int64((len(d.in)-d.pos)/itemMin) {
			return 0, newError("block of " + strconv.FormatInt(c, 10) + " items exceeds the remaining input")
		}
	} else {
		if c > int64(d.zeroBudget) {
			return 0, newError("more than " + strconv.Itoa(maxZeroSizeItems) + " array items of zero size")
		}
		d.zeroBudget -= int(c)
	}
	return c, nil
}

func (d *decoder) need(n int) error {
	if len(d.in)-d.pos < n {
		return errEOF()
	}
	return nil
}

func (d *decoder) value(n *node) error {
	switch n.kind {
	case kindNull:
		d.out = append(d.out, "null"...)
	case kindBoolean:
		if err := d.need(1); err != nil {
			return err
		}
		switch b := d.in[d.pos]; b {
		case 0:
			d.out = append(d.out, "false"...)
		case 1:
			d.out = append(d.out, "true"...)
		default:
			return newError("invalid boolean byte 0x" + string(hexDigits[b>>4]) + string(hexDigits[b&0xf]))
		}
		d.pos++
	case kindInt, kindLong:
		v, err := d.readLong()
		if err != nil {
			return err
		}
		if n.kind == kindInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return newError("int out of range: " + strconv.FormatInt(v, 10))
		}
		d.out = strconv.AppendInt(d.out, v, 10)
	case kindFloat:
		if err := d.need(4); err != nil {
			return err
		}
		u := binary.LittleEndian.Uint32(d.in[d.pos:])
		d.pos += 4
		f := math.Float32frombits(u)
		if math.IsNaN(float64(f)) && u != nanBits32 {
			d.canonical = false
		}
		d.out = appendFloat(d.out, float64(f), 32)
	case kindDouble:
		if err := d.need(8); err != nil {
			return err
		}
		u := binary.LittleEndian.Uint64(d.in[d.pos:])
		d.pos += 8
		f := math.Float64frombits(u)
		if math.IsNaN(f) && u != nanBits64 {
			d.canonical = false
		}
		d.out = appendFloat(d.out, f, 64)
	case kindBytes:
		l, err := d.readLen()
		if err != nil {
			return err
		}
		d.out = appendBytesJSON(d.out, d.in[d.pos:d.pos+l])
		d.pos += l
	case kindFixed:
		if err := d.need(n.size); err != nil {
			return err
		}
		d.out = appendBytesJSON(d.out, d.in[d.pos:d.pos+n.size])
		d.pos += n.size
	case kindString:
		l, err := d.readLen()
		if err != nil {
			return err
		}
		var valid bool
		d.out, valid = codec.AppendQuoteBytes(d.out, d.in[d.pos:d.pos+l])
		d.canonical = d.canonical && valid
		d.pos += l
	case kindEnum:
		i, err := d.readLong()
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(n.symbols)) {
			return newError("index " + strconv.FormatInt(i, 10) + " out of range for enum " + n.name)
		}
		d.out = append(d.out, n.symbolJSON[i]...)
	case kindArray:
		return d.array(n)
	case kindMap:
		return d.mapValue(n)
	case kindRecord:
		if err := d.enter(); err != nil {
			return err
		}
		d.out = append(d.out, '{')
		for i := range n.fields {
			f := &n.fields[i]
			if i > 0 {
				d.out = append(d.out, ',')
			}
			d.out = append(d.out, f.keyJSON...)
			if err := d.value(f.node); err != nil {
				return inField(err, f.name)
			}
		}
		d.out = append(d.out, '}')
		d.depth--
	case kindUnion:
		i, err := d.readLong()
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(n.branches)) {
			return unionError("branch index " + strconv.FormatInt(i, 10) + " out of range")
		}
		if i == int64(n.nullBranch) {
			d.out = append(d.out, "null"...)
			return nil
		}
		if err := d.enter(); err != nil {
			return err
		}
		d.out = append(d.out, n.branchJSON[i]...)
		if err := d.value(n.branches[i]); err != nil {
			return err
		}
		d.out = append(d.out, '}')
		d.depth--
	}
	return nil
}

// array writes an Avro array as a JSON array.
func (d *decoder) array(n *node) error {
	return d.blocks('[', ']', n.elem.minSize, func(i int) error {
		if err := d.value(n.elem); err != nil {
			return atIndex(err, i)
		}
		return nil
	})
}

// mapValue writes an Avro map as a JSON object.
func (d *decoder) mapValue(n *node) error {
	return d.blocks('{', '}', 1+n.elem.minSize, func(int) error {
		l, err := d.readLen()
		if err != nil {
			return err
		}
		key := d.in[d.pos : d.pos+l]
		d.pos += l
		var valid bool
		d.out, valid = codec.AppendQuoteBytes(d.out, key)
		d.canonical = d.canonical && valid
		d.out = append(d.out, ':')
		if err := d.value(n.elem); err != nil {
			return atKey(err, key)
		}
		return nil
	})
}

// blocks reads the blocks of an array or map, items of at least itemMin
// bytes each, writing open, what item writes for each (given its index),
// comma-separated, and close. More than one block is valid Avro but not the
// form AppendBinary writes.
func (d *decoder) blocks(open, close byte, itemMin int, item func(i int) error) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.out = append(d.out, open)
	i := 0
	for blocks := 0; ; blocks++ {
		c, err := d.blockCount(itemMin)
		if err != nil {
			return err
		}
		if c == 0 {
			break
		}
		if blocks > 0 {
			d.canonical = false
		}
		for ; c > 0; c-- {
			if i > 0 {
				d.out = append(d.out, ',')
			}
			if err := item(i); err != nil {
				return err
			}
			i++
		}
	}
	d.out = append(d.out, close)
	d.depth--
	return nil
}

// appendFloat writes f as a JSON number in encoding/json's format, or as
// "NaN", "Infinity" or "-Infinity".
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendBytesJSON writes data as a JSON string of code points U+0000..U+00FF:
// printable ASCII as is, everything else as \u00XX.
func appendBytesJSON(b, data []byte) []byte {
	b = append(b, '"')
	for _, c := range data {
		switch {
		case strSafe[c] && c != 0x7f:
			b = append(b, c)
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return append(b, '"')
}

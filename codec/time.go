package codec

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// Timestamps in krest's requests, every API version's: ParseTime reads the
// text of a query parameter or JSON string (an ISO-8601 instant, or
// milliseconds since the epoch where the API takes them), ParseInstant a
// v3 record's JSON "timestamp" as Confluent's Jackson reads it.

// ParseTime reads s as an ISO-8601 instant with a zone (RFC 3339, any
// fraction: 2026-12-01T10:00:00Z) or, when millis is set, as a
// non-negative integer of milliseconds since the epoch.
func ParseTime(s []byte, millis bool) (time.Time, bool) {
	// Only an integer goes to ParseInt, and only anything else to
	// time.Parse: a failed parse allocates its error, and a produce may
	// carry a timestamp per record.
	if isInteger(s) {
		if ms, err := strconv.ParseInt(string(s), 10, 64); millis && err == nil && ms >= 0 {
			return time.UnixMilli(ms), true
		}
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, string(s)); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// isInteger reports whether s is [+-]digits, as strconv.ParseInt reads
// them (no instant is).
func isInteger(s []byte) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// Errors of ParseInstant.
var (
	// ErrInstant is a timestamp that is neither an ISO-8601 instant nor a
	// number of seconds since the epoch.
	ErrInstant = errors.New("not an ISO-8601 instant or a number of seconds since the epoch")
	// ErrInstantRange is an instant out of the range a record's timestamp
	// has.
	ErrInstantRange = errors.New("a record's timestamp runs from the epoch, 1970-01-01T00:00:00Z, to 2262-04-11T23:47:16.854Z")
)

// A v3 record's "timestamp" is a java.time.Instant in Confluent's proxy,
// read by Jackson's InstantDeserializer with the object mapper's defaults
// (READ_DATE_TIMESTAMPS_AS_NANOSECONDS on):
//
//   - a JSON integer is seconds since the epoch: 1700000000 is
//     2023-11-14T22:13:20Z, not a moment of 1970-01-20;
//   - a JSON decimal is seconds and their fraction: 1700000000.5, 17e8;
//   - a string is trimmed; empty, it is no timestamp (the time of the
//     produce); a string of digits, with an optional leading '-' and at
//     most one '.', is the number it spells; any other string must be an
//     ISO-8601 instant.
//
// Kafka keeps milliseconds: the digits past them are dropped, as
// Instant.toEpochMilli drops them, so that the result shows what Kafka
// stored. An instant before the epoch is refused, as the Java producer
// refuses it. So is one past 2262-04-11T23:47:16.854Z, the last
// millisecond whose nanoseconds since the epoch fit an int64: kgo encodes
// a record's timestamp from its UnixNano, which wraps around past it
// (Confluent's proxy goes on to the year 292278994). Jackson reads a
// decimal with an exponent past 63, 1e64, as the epoch itself; krest
// refuses it with the others out of range.

// maxMillis is the last millisecond since the epoch kgo can send.
const maxMillis int64 = math.MaxInt64 / 1_000_000

// ParseInstant reads a v3 record's raw JSON timestamp (not null, not
// empty): ok is false for an empty string, which is no timestamp. Its
// errors are ErrInstant and ErrInstantRange.
func ParseInstant(raw []byte) (t time.Time, ok bool, err error) {
	if raw[0] != '"' {
		sec, ns, neg, valid := parseSeconds(raw, true)
		if !valid {
			return t, false, ErrInstant
		}
		return epochInstant(sec, ns, neg)
	}
	s, err := AppendUnquote(nil, raw)
	if err != nil {
		return t, false, ErrInstant
	}
	s = TrimJava(s)
	if len(s) == 0 {
		return t, false, nil
	}
	if sec, ns, neg, valid := parseSeconds(s, false); valid {
		return epochInstant(sec, ns, neg)
	}
	t, valid := ParseTime(s, false)
	if !valid {
		return t, false, ErrInstant
	}
	ms := t.UnixMilli()
	if ms < 0 || ms > maxMillis {
		return t, false, ErrInstantRange
	}
	return time.UnixMilli(ms), true, nil
}

// epochInstant is the instant sec and ns (neg: before the epoch) after
// the epoch, to the millisecond.
func epochInstant(sec, ns int64, neg bool) (time.Time, bool, error) {
	if neg && (sec > 0 || ns > 0) || sec > maxMillis/1000 {
		return time.Time{}, false, ErrInstantRange
	}
	ms := sec*1000 + ns/1e6
	if ms > maxMillis {
		return time.Time{}, false, ErrInstantRange
	}
	return time.UnixMilli(ms), true, nil
}

// parseSeconds reads b as a number of seconds, [-]digits[.digits], with
// an exponent when exp is set (a JSON number; a string takes none, as
// Jackson's), into its magnitude's whole seconds (math.MaxInt64 when
// larger) and the nanoseconds after them, the digits past those dropped.
// valid is false for anything else, such as a string with no digit.
func parseSeconds(b []byte, exp bool) (sec, ns int64, neg, valid bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	whole := b[start:i]
	var frac []byte
	if i < len(b) && b[i] == '.' {
		i++
		start = i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		frac = b[start:i]
	}
	if len(whole)+len(frac) == 0 {
		return 0, 0, neg, false
	}
	e := 0
	if exp && i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		start = i
		for i < len(b) && isDigit(b[i]) {
			if e < 1e9 { // far past any second an int64 holds
				e = e*10 + int(b[i]-'0')
			}
			i++
		}
		if i == start {
			return 0, 0, neg, false
		}
		if eneg {
			e = -e
		}
	}
	if i != len(b) {
		return 0, 0, neg, false
	}
	// The digits are whole then frac; the point falls after point of them.
	n := len(whole) + len(frac)
	digit := func(k int) int64 {
		switch {
		case k < 0 || k >= n:
			return 0
		case k < len(whole):
			return int64(whole[k] - '0')
		}
		return int64(frac[k-len(whole)] - '0')
	}
	point := len(whole) + e
	for k := 0; k < point; k++ {
		if k >= n && sec == 0 {
			break // zeros all the way
		}
		d := digit(k)
		if sec > (math.MaxInt64-d)/10 {
			return math.MaxInt64, 0, neg, true
		}
		sec = sec*10 + d
	}
	for k := point; k < point+9; k++ {
		ns = ns*10 + digit(k)
	}
	return sec, ns, neg, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// TrimJava trims s as Java's String.trim does: every byte up to ' '.
func TrimJava(s []byte) []byte {
	for len(s) > 0 && s[0] <= ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= ' ' {
		s = s[:len(s)-1]
	}
	return s
}

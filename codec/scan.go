package codec

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unsafe"
)

// StringEnd returns the index just past the JSON string token that starts
// at raw[i] (a '"'), or len(raw) when it does not end. It jumps from quote
// to quote (a vectorised search) and looks back only over the backslashes
// right before each quote, so any string, escapes and all, costs one pass.
func StringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); {
		q := bytes.IndexByte(raw[j:], '"')
		if q < 0 {
			break
		}
		j += q
		k := j
		for k > i+1 && raw[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 { // an even run of backslashes escapes itself
			return j + 1
		}
		j++
	}
	return len(raw)
}

// MaxNumberLength is the longest JSON number, in characters, that krest
// takes in a request: Jackson's default limit
// (StreamReadConstraints.maxNumberLength, Jackson 2.15 on), past which
// Confluent's proxy refuses the body with a 400. Longer numbers are not
// data but a way to make a parser (krest's, or a consumer's that reads
// the record) spend time and memory on one value.
const MaxNumberLength = 1000

// NumberError is a JSON number that CheckNumbers refuses.
type NumberError struct {
	Offset int    // of the number in the checked text
	Number string // the number, clipped
	Reason string
}

func (e *NumberError) Error() string {
	return fmt.Sprintf("the number at offset %d (%s) %s", e.Offset, e.Number, e.Reason)
}

// CheckNumbers returns a *NumberError for the first number of the JSON text
// raw that is longer than MaxNumberLength characters, or whose value lies
// beyond float64's range (1e999999, or non-zero and too small to be told
// from zero, such as 1e-999999), and nil when there is none. It reads raw
// in one pass, strings skipped whole, and allocates nothing; it does not
// check syntax, which is the decoder's job: text that is not JSON yields
// no error of its own.
func CheckNumbers(raw []byte) error {
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '"':
			i = StringEnd(raw, i)
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(raw) && isNumberByte(raw[j]) {
				j++
			}
			if why := numberProblem(raw[i:j]); why != "" {
				return &NumberError{Offset: i, Number: Clip(string(raw[i:min(j, i+48)]), 40), Reason: why}
			}
			i = j
		default:
			i++
		}
	}
	return nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'
}

// hasExponent reports whether the number token n has an exponent. A loop:
// numbers are short, and bytes.ContainsAny's set search cost a produce of
// small Avro records 3% of krest's CPU (bench row 4).
func hasExponent(n []byte) bool {
	for _, c := range n {
		if c|0x20 == 'e' {
			return true
		}
	}
	return false
}

// numberProblem says what is wrong with the number token n, or "".
func numberProblem(n []byte) string {
	if len(n) > MaxNumberLength {
		return fmt.Sprintf("is %d characters long, over the limit of %d", len(n), MaxNumberLength)
	}
	// Without an exponent, 300 characters stay well within float64's
	// range (1e300, 1e-298): no need to parse.
	if len(n) <= 300 && !hasExponent(n) {
		return ""
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(n), len(n)), 64)
	if errors.Is(err, strconv.ErrRange) {
		return "is beyond the range of a 64-bit floating-point number"
	}
	if err == nil && f == 0 {
		mantissa := n
		if e := bytes.IndexAny(n, "eE"); e >= 0 {
			mantissa = n[:e]
		}
		if bytes.ContainsAny(mantissa, "123456789") {
			return "is too small for a 64-bit floating-point number to tell from zero"
		}
	}
	return ""
}

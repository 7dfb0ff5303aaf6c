package codec

import (
	"errors"
	"strings"
	"testing"
)

func TestStringEnd(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]int{
		`"" x`:          2,
		`"abc",`:        5,
		`"a\"b" x`:      6,
		`"a\\" x`:       5,
		`"a\\\"b" x`:    8,
		`"\\\\\\" x`:    8,
		`"unterminated`: 13,
		`"ends \"`:      8,
	} {
		if got := StringEnd([]byte(raw), 0); got != want {
			t.Errorf("StringEnd(%s) = %d, want %d", raw, got, want)
		}
	}
}

func TestCheckNumbers(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("9", MaxNumberLength+1)
	for _, tc := range []struct{ raw, want string }{
		{`{"a":1,"b":-2.5e10,"c":[0,1e308,-1.7976931348623157e308,4.9e-324,0e999999,0.0e-999999]}`, ""},
		{`{"s":"1e999999 and ` + long + ` in a string","t":"\"1e999999"}`, ""},
		{`[0.` + strings.Repeat("9", MaxNumberLength-2) + `]`, ""},
		{`[` + strings.Repeat("1", 300) + `]`, ""},
		{`{"a":1e999999}`, "the number at offset 5 (1e999999) is beyond the range of a 64-bit floating-point number"},
		{`{"a":-1E+400}`, "the number at offset 5 (-1E+400) is beyond the range"},
		{`[1` + strings.Repeat("0", 400) + `]`, "is beyond the range"},
		{`{"a":1e-999999}`, "the number at offset 5 (1e-999999) is too small for a 64-bit floating-point number to tell from zero"},
		{`{"a":0.` + strings.Repeat("0", 400) + `1}`, "is too small"},
		{`{"a":` + long + `}`, "the number at offset 5 (9999999999999999999999999999999999999999...) is 1001 characters long, over the limit of 1000"},
		{`{"a":"x\\","b":1e999}`, "offset 15"},
		{`not json 1e5e5 --`, ""},
	} {
		err := CheckNumbers([]byte(tc.raw))
		var ne *NumberError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckNumbers(%.60s): %v", tc.raw, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ne)):
			t.Errorf("CheckNumbers(%.60s) = %v, want %q", tc.raw, err, tc.want)
		}
	}
}

// TestCheckNumbersAllocs: the check runs on request bodies and embedded
// values, and allocates nothing when they pass.
func TestCheckNumbersAllocs(t *testing.T) {
	raw := []byte(`{"a":[1,2.5e300,"x\"y",0.` + strings.Repeat("7", 500) + `]}`)
	if a := testing.AllocsPerRun(100, func() { _ = CheckNumbers(raw) }); a != 0 {
		t.Errorf("%.0f allocations, want 0", a)
	}
}

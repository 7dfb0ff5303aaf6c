package codec

import (
	"errors"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		millis bool
		want   int64 // ms since the epoch; -1: refused
	}{
		{"2026-12-01T10:00:00Z", false, 1796119200000},
		{"2026-12-01T11:00:00.5+01:00", true, 1796119200500},
		{"1796119200000", true, 1796119200000},
		{"+5", true, 5}, // strconv's reading, as before
		{"-0", true, 0},
		{"99999999999999999999", true, -1},
		{"1796119200000", false, -1},
		{"-1", true, -1},
		{"2026-12-01", true, -1},
		{"2026-12-01T10:00:00", true, -1}, // no zone
		{"", true, -1},
	} {
		got, ok := ParseTime([]byte(tc.in), tc.millis)
		switch {
		case tc.want < 0 && ok:
			t.Errorf("ParseTime(%q, %v) = %v, want a refusal", tc.in, tc.millis, got)
		case tc.want >= 0 && (!ok || got.UnixMilli() != tc.want):
			t.Errorf("ParseTime(%q, %v) = %v, %v; want %d ms", tc.in, tc.millis, got.UnixMilli(), ok, tc.want)
		}
	}
}

func TestParseInstant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want int64 // ms since the epoch
		ok   bool
		err  error
	}{
		{`1700000000`, 1700000000000, true, nil}, // seconds, not milliseconds
		{`1700000000.5`, 1700000000500, true, nil},
		{`17e8`, 1700000000000, true, nil},
		{`1.7000000001234E9`, 1700000000123, true, nil}, // past the millisecond: dropped
		{`" 1700000000 "`, 1700000000000, true, nil},    // trimmed
		{`"2023-11-14T22:13:20.25Z"`, 1700000000250, true, nil},
		{`""`, 0, false, nil}, // no timestamp
		{`"  "`, 0, false, nil},
		{`-0`, 0, true, nil},
		{`-1`, 0, false, ErrInstantRange},
		{`"1969-12-31T23:59:59Z"`, 0, false, ErrInstantRange},
		{`9223372036854776`, 0, false, ErrInstantRange},
		{`1e64`, 0, false, ErrInstantRange},
		{`"2262-04-11T23:47:16.855Z"`, 0, false, ErrInstantRange},
		{`"2262-04-11T23:47:16.854Z"`, 9223372036854, true, nil},
		{`"1e9"`, 0, false, ErrInstant}, // a string takes no exponent
		{`"tomorrow"`, 0, false, ErrInstant},
		{`true`, 0, false, ErrInstant},
		{`1e`, 0, false, ErrInstant},
	} {
		got, ok, err := ParseInstant([]byte(tc.raw))
		if !errors.Is(err, tc.err) || ok != tc.ok || (ok && got.UnixMilli() != tc.want) {
			t.Errorf("ParseInstant(%s) = %d, %v, %v; want %d, %v, %v", tc.raw, got.UnixMilli(), ok, err, tc.want, tc.ok, tc.err)
		}
		if ok && got.Location() != time.Local {
			t.Errorf("ParseInstant(%s) is in %v, want time.UnixMilli's", tc.raw, got.Location())
		}
	}
}

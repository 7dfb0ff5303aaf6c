package v2

import (
	"strings"
	"testing"

	"github.com/krest-dev/krest/proxy/config"
)

func TestCountRecords(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]int{
		`{"records":[]}`:                                  0,
		`{"records":[{}]}`:                                1,
		`{"records":[{},{},{}]}`:                          3,
		`{"records":[null,null]}`:                         2,
		`{"records":[1,"a,b",[1,2],{"x":[1,{"y":2}]}]}`:   4,
		`{"value_schema":"{\"a\":[1,2]}","records":[{}]}`: 1,
		`{"records":[{"value":"a\"],[,"}, {"key":"b"} ]}`: 2,
		` { "x" : [1,2,3] , "records" : [ {} , {} ] } `:   2,
		`{"records":[{"records":[1,2,3]}]}`:               1,
	} {
		if got := countRecords([]byte(body)); got != want {
			t.Errorf("countRecords(%s) = %d, want %d", body, got, want)
		}
	}
}

func TestBoundRecords(t *testing.T) {
	t.Parallel()
	a := &API{Config: &config.Config{MaxRequestRecords: 3}}
	for _, tc := range []struct {
		body    string
		want    int
		wantErr string
	}{
		{`{"records":[{},{},{}]}`, 3, ""},
		{`{"records":[{"value":[1,2,3,4,5]}]}`, 1, ""}, // commas in values: counted exactly
		{`{"records":[{},{},{},{}]}`, 0, "A produce request may hold at most 3 records (request.records.max); this one holds 4"},
	} {
		got, err := a.boundRecords([]byte(tc.body))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %v, want %q", tc.body, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got < tc.want {
			t.Errorf("%s: %d %v, want a bound of at least %d", tc.body, got, err, tc.want)
		}
	}
}

// FuzzCountRecords: the exact count never panics and agrees with the
// commas' bound.
func FuzzCountRecords(f *testing.F) {
	f.Add(`{"records":[{},{"value":"a,b"}]}`)
	f.Add(`{"records":[null,[1,[2]],"\"]"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if n := countRecords([]byte(s)); n < 0 || n > strings.Count(s, ",")+1 {
			t.Fatalf("countRecords = %d, commas %d", n, strings.Count(s, ","))
		}
	})
}

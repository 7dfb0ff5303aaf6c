package codec

import (
	"strings"
	"testing"
)

func TestAppendJSONValueText(t *testing.T) {
	for raw, want := range map[string]string{
		`"ok"`:                       "",
		`"\ud83d\ude00"`:             "",
		`{"a":"\\ud800"}`:            "",
		"\"\xff\"":                   "is not valid JSON text: it is not UTF-8",
		`"\ud800"`:                   "is not valid JSON text: a lone UTF-16 surrogate",
		`"\ud800x"`:                  "is not valid JSON text: a lone UTF-16 surrogate",
		`"\udc00"`:                   "is not valid JSON text: a lone UTF-16 surrogate",
		`["\ud83d\u0041"]`:           "is not valid JSON text: a lone UTF-16 surrogate",
		`{"k":["a","\\u","\u00e9"]}`: "",
		`{"n":1e999999}`:             "the number at offset 5 (1e999999) is beyond the range of a 64-bit floating-point number",
	} {
		_, err := AppendJSONValue(nil, []byte(raw))
		if got := errText(err); (want == "" && got != "") || (want != "" && !strings.Contains(got, want)) {
			t.Errorf("AppendJSONValue(%q) = %q, want %q", raw, got, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

package v3

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/krest-dev/krest/proxy/rest"
)

// TestCoerceScalars decodes each field of an entity as Jackson's scalar
// coercion reads it, or refuses it with decode's answer.
func TestCoerceScalars(t *testing.T) {
	type entity struct {
		N  optInt32 `json:"n"`
		B  jbool    `json:"b"`
		S  *jstring `json:"s"`
		Is []jint32 `json:"is"`
	}
	for _, tc := range []struct {
		body, want string // want: the entity's fields, or the error
	}{
		{`{"n":7}`, "n=7 b=false s=<nil> is=[]"},
		{`{"n":"-7"}`, "n=-7 b=false s=<nil> is=[]"},
		{`{"n":"\t+7 "}`, "n=7 b=false s=<nil> is=[]"},
		{`{"n":""}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"n":"  "}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"n":"null"}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"n":null}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"n":"2147483648"}`, "Cannot deserialize value of type `int32` from string \"2147483648\" (field n)"},
		{`{"n":"7.0"}`, "Cannot deserialize value of type `int32` from string \"7.0\" (field n)"},
		{`{"n":7.0}`, "Cannot deserialize value of type `int32` from number 7.0 (field n)"},
		{`{"n":[7]}`, "Cannot deserialize value of type `int32` from array (field n)"},
		{`{"b":"True"}`, "n=<nil> b=true s=<nil> is=[]"},
		{`{"b":" TRUE "}`, "n=<nil> b=true s=<nil> is=[]"},
		{`{"b":"False"}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"b":2}`, "n=<nil> b=true s=<nil> is=[]"},
		{`{"b":-0}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"b":""}`, "n=<nil> b=false s=<nil> is=[]"},
		{`{"b":"1"}`, "Cannot deserialize value of type `bool` from string \"1\" (field b)"},
		{`{"b":"tRUE"}`, "Cannot deserialize value of type `bool` from string \"tRUE\" (field b)"},
		{`{"b":1.5}`, "Cannot deserialize value of type `bool` from number 1.5 (field b)"},
		{`{"s":7200000}`, "n=<nil> b=false s=7200000 is=[]"},
		{`{"s":1.50e3}`, "n=<nil> b=false s=1.50e3 is=[]"},
		{`{"s":false}`, "n=<nil> b=false s=false is=[]"},
		{`{"s":""}`, "n=<nil> b=false s= is=[]"},
		{`{"s":"null"}`, "n=<nil> b=false s=null is=[]"},
		{`{"s":{}}`, "Cannot deserialize value of type `string` from object (field s)"},
		{`{"is":["1",2," 3"]}`, "n=<nil> b=false s=<nil> is=[1 2 3]"},
		{`{"is":["x"]}`, "Cannot deserialize value of type `int32` from string \"x\" (field is)"},
	} {
		var e entity
		got := ""
		if err := decode([]byte(tc.body), &e, errNullPayload); err != nil {
			got = rest.Map(err).Message
		} else {
			n, s := "<nil>", "<nil>"
			if e.N.Set {
				n = strconv.Itoa(int(e.N.V))
			}
			if e.S != nil {
				s = string(*e.S)
			}
			got = fmt.Sprintf("n=%s b=%t s=%s is=%v", n, bool(e.B), s, int32s(e.Is))
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.body, got, tc.want)
		}
	}
}

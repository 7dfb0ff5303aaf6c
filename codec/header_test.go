package codec

import "testing"

// recordHeader has kgo.RecordHeader's shape, as AppendHeaders takes it.
type recordHeader struct {
	Key   string
	Value []byte
}

func TestAppendHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hs   []recordHeader
		want string
	}{
		{nil, `[]`},
		{[]recordHeader{{"a", []byte("hi")}}, `[{"name":"a","value":"aGk="}]`},
		{[]recordHeader{{`q"`, nil}, {"e", []byte{}}}, `[{"name":"q\"","value":null},{"name":"e","value":""}]`},
	} {
		if got := string(AppendHeaders([]byte("x"), tc.hs)); got != "x"+tc.want {
			t.Errorf("AppendHeaders(%v) = %s, want x%s", tc.hs, got, tc.want)
		}
	}
}

package schema

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// compileText "compiles" any schema but "bad" to its own text, followed by
// its references as " name=text".
func compileText(_ sr.SchemaType, text string, refs []Reference) (Codec, error) {
	if text == "bad" {
		return nil, errors.New("does not parse")
	}
	for _, r := range refs {
		text += " " + r.Name + "=" + r.Text
	}
	return textCodec(text), nil
}

func newTest(t *testing.T) (*Client, *srfake.Registry, *atomic.Int64) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	var requests atomic.Int64
	reg.Intercept(func(http.ResponseWriter, *http.Request) bool { requests.Add(1); return false })
	c, err := New(reg.URL(), compileText, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg, &requests
}

func TestCaches(t *testing.T) {
	t.Parallel()
	c, _, requests := newTest(t)
	ctx := context.Background()
	s1, err := c.Register(ctx, "t-value", sr.TypeAvro, `"string"`)
	if err != nil || s1.ID == 0 || s1.Codec != textCodec(`"string"`) {
		t.Fatalf("Register: %+v %v", s1, err)
	}
	if _, err := c.VersionOf(ctx, "t-value", s1); err != nil { // its first lookup
		t.Fatal(err)
	}
	n := requests.Load()
	if n == 0 {
		t.Fatal("the request counter saw no request")
	}
	for range 3 {
		if s, err := c.Register(ctx, "t-value", sr.TypeAvro, `"string"`); err != nil || s != s1 {
			t.Fatalf("cached Register: %+v %v", s, err)
		}
		if s, err := c.ByID(ctx, s1.ID); err != nil || s != s1 {
			t.Fatalf("cached ByID: %+v %v", s, err)
		}
		if _, err := c.VersionOf(ctx, "t-value", s1); err != nil {
			t.Fatal(err)
		}
	}
	if got := requests.Load(); got != n {
		t.Errorf("cached calls made %d registry requests", got-n)
	}
	if _, err := c.VersionOf(ctx, "other-value", s1); !isKind(err, NotFound) {
		t.Errorf("VersionOf under another subject: %v", err)
	}
	if _, err := c.ByID(ctx, 999); !isKind(err, NotFound) {
		t.Errorf("ByID(999): %v", err)
	}
	if _, err := c.Register(ctx, "t-value", sr.TypeAvro, "bad"); !isKind(err, Invalid) {
		t.Errorf("invalid schema: %v", err)
	}
}

func TestLatestExpires(t *testing.T) {
	t.Parallel()
	c, reg, _ := newTest(t)
	now := time.Now()
	c.now = func() time.Time { return now }
	ctx := context.Background()
	reg.RegisterSchema("s", sr.Schema{Schema: `"string"`})
	s, v, err := c.Latest(ctx, "s")
	if err != nil || v != 1 || s.Text != `"string"` {
		t.Fatalf("Latest: %+v %d %v", s, v, err)
	}
	reg.RegisterSchema("s", sr.Schema{Schema: `"int"`})
	if _, v, _ = c.Latest(ctx, "s"); v != 1 {
		t.Errorf("latest refreshed before its TTL: version %d", v)
	}
	now = now.Add(LatestTTL + time.Second)
	if s, v, err = c.Latest(ctx, "s"); err != nil || v != 2 || s.Text != `"int"` {
		t.Errorf("latest after TTL: %+v %d %v", s, v, err)
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + ln.Addr().String()
	ln.Close()
	c, err := New(url, compileText, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ByID(context.Background(), 1); !isKind(err, Unavailable) {
		t.Errorf("unreachable registry: %v", err)
	}
}

func isKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// textCodec is a schema "compiled" to its own text.
type textCodec string

func (textCodec) AppendPayload(dst, v []byte) ([]byte, error)       { return append(dst, v...), nil }
func (textCodec) AppendJSON(dst, p []byte, _ []int) ([]byte, error) { return append(dst, p...), nil }
func (textCodec) Index() []int                                      { return nil }
func (t textCodec) RecordName() (string, error)                     { return string(t), nil }

// TestReferences: a schema's references, and theirs, reach the compiler
// each after those it depends on and each once, fetched once.
func TestReferences(t *testing.T) {
	t.Parallel()
	c, reg, requests := newTest(t)
	ctx := context.Background()
	reg.SeedSchema("base", 1, 101, sr.Schema{Schema: "B", Type: sr.TypeProtobuf})
	reg.SeedSchema("mid", 1, 102, sr.Schema{Schema: "M", Type: sr.TypeProtobuf,
		References: []sr.SchemaReference{{Name: "b.proto", Subject: "base", Version: 1}}})
	reg.SeedSchema("top", 1, 103, sr.Schema{Schema: "T", Type: sr.TypeProtobuf, References: []sr.SchemaReference{
		{Name: "m.proto", Subject: "mid", Version: 1}, {Name: "b.proto", Subject: "base", Version: 1},
	}})
	s, err := c.ByID(ctx, 103)
	if err != nil {
		t.Fatal(err)
	}
	if want := textCodec("T b.proto=B m.proto=M"); s.Codec != want {
		t.Fatalf("compiled %q, want %q", s.Codec, want)
	}
	n := requests.Load()
	if _, err := c.ByID(ctx, 102); err != nil { // mid's references are cached
		t.Fatal(err)
	}
	if got := requests.Load() - n; got != 1 {
		t.Errorf("%d registry requests for a schema whose references are cached, want 1", got)
	}
	if _, err := c.VersionOf(ctx, "top", s); err != nil {
		t.Errorf("VersionOf of a schema with references: %v", err)
	}
}

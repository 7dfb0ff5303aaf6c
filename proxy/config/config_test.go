package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseProperties(t *testing.T) {
	t.Parallel()
	in := `# comment
! also a comment
bootstrap.servers = a:9092,b:9092
listeners:http://0.0.0.0:9000
id krest-1
client.id=with\
    continuation
empty=
key\ with\ spaces=v
unicode=caf\u00e9
   indented = yes
`
	got, err := ParseProperties(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bootstrap.servers": "a:9092,b:9092", "listeners": "http://0.0.0.0:9000", "id": "krest-1",
		"client.id": "withcontinuation", "empty": "", "key with spaces": "v", "unicode": "café", "indented": "yes",
	}
	if len(got) != len(want) {
		t.Errorf("got %d keys: %q", len(got), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %q, want %q", k, got[k], v)
		}
	}
	if _, err := ParseProperties(strings.NewReader(`bad=\u12`)); err == nil {
		t.Error("malformed \\u escape accepted")
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.DevMode() || len(c.Listeners) != 1 || c.Listeners[0].Addr != "0.0.0.0:8082" ||
		c.MaxRequestBytes != 16<<20 || c.ProduceBufferBytes != 256<<20 || c.ProduceMaxBlock != 5*time.Second ||
		c.IdleTimeout != 30*time.Second || c.ShutdownGrace != 30*time.Second || len(c.Warnings) != 0 {
		t.Errorf("defaults: %+v", c)
	}
	if len(c.ProducerOpts()) == 0 || len(c.AdminOpts()) == 0 {
		t.Error("no kgo options")
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	c, err := Parse(map[string]string{
		"bootstrap.servers":         "PLAINTEXT://k1:9092, k2:9093",
		"port":                      "9999",
		"advertised.listeners":      "http://proxy.example.com:80",
		"client.client.id":          "krest",
		"producer.acks":             "1",
		"producer.linger.ms":        "20",
		"producer.compression.type": "zstd",
		"producer.batch.size":       "16384",
		"producer.made.up":          "x",
		"consumer.max.poll.records": "10",
		"admin.retries":             "3",
		"producer.buffer.memory":    "1000",
		"producer.max.block.ms":     "0",
		"debug":                     "true",
		"nonsense":                  "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.BootstrapServers, ","); got != "k1:9092,k2:9093" {
		t.Errorf("bootstrap = %s", got)
	}
	if c.Listeners[0].Addr != "0.0.0.0:9999" {
		t.Errorf("port ignored: %+v", c.Listeners)
	}
	if c.AdvertisedListeners[0].Host != "proxy.example.com:80" || c.ProduceBufferBytes != 1000 || c.ProduceMaxBlock != 0 {
		t.Errorf("config: %+v", c)
	}
	if c.Consumer["max.poll.records"] != "10" || c.Client["client.id"] != "krest" {
		t.Errorf("pass-through not kept: %+v %+v", c.Consumer, c.Client)
	}
	warnings := strings.Join(c.Warnings, "\n")
	for _, w := range []string{
		"producer.batch.size is ignored", "producer.made.up has no franz-go equivalent",
		"admin.retries has no franz-go equivalent", "debug is ignored", "nonsense is not a krest setting",
	} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"listeners": "ftp://0.0.0.0:8443"}, "a listener is http:// or https://"},
		{map[string]string{"listeners": "::nonsense"}, "listeners"},
		{map[string]string{"bootstrap.servers": "no-port"}, "bootstrap.servers"},
		{map[string]string{"request.body.max.bytes": "-1"}, "request.body.max.bytes"},
		{map[string]string{"producer.max.block.ms": "soon"}, "producer.max.block.ms"},
		{map[string]string{"producer.acks": "2"}, "producer.acks"},
		{map[string]string{"producer.compression.type": "brotli"}, "producer.compression.type"},
		{map[string]string{"producer.linger.ms": "-5"}, "producer.linger.ms"},
		{map[string]string{"consumer.partition.assignment.strategy": "com.example.MyAssignor"}, "consumer.partition.assignment.strategy"},
		{map[string]string{"consumer.partition.assignment.strategy": " , "}, "at least one assignor"},
		{map[string]string{"advertised.listeners": "proxy:80"}, "advertised.listeners"},
	} {
		_, err := Parse(tc.props)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%v) = %v, want an error about %q", tc.props, err, tc.want)
		}
	}
}

func FuzzParseProperties(f *testing.F) {
	f.Add("a=b\nc:d\\\n e\n#x\nf g\\u0041")
	f.Fuzz(func(t *testing.T, s string) {
		ParseProperties(strings.NewReader(s)) //nolint:errcheck // must only not panic
	})
}

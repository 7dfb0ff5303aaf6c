package proxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/krest-dev/krest/proxy/config"
)

// fuzzServer is one krest on kfake behind an in-memory listener, shared by
// the iterations of FuzzRequest.
var fuzzServer = sync.OnceValues(func() (*fasthttputil.InmemoryListener, error) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(map[string]string{
		"bootstrap.servers": strings.Join(c.ListenAddrs(), ","), "request.body.max.bytes": "65536",
		"request.header.timeout.ms": "2000", "consumer.request.timeout.ms": "10", "producer.delivery.timeout.ms": "2000",
	})
	if err != nil {
		return nil, err
	}
	s, err := New(cfg, nil)
	if err != nil {
		return nil, err
	}
	ln := fasthttputil.NewInmemoryListener()
	go s.Serve(ln) //nolint:errcheck // lives as long as the test binary
	return ln, nil
})

// FuzzRequest drives the whole request path (routing, the chain, every
// handler) with arbitrary methods, paths, headers and bodies: no panic, no
// 5xx, and every non-2xx reply is a JSON error with an error_code.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct{ method, path, headers, body string }{
		{"POST", "/topics/t", "Content-Type: application/vnd.kafka.binary.v2+json", `{"records":[{"value":"aGk="}]}`},
		{"POST", "/topics/t/partitions/0", "Content-Type: application/vnd.kafka.json.v2+json", `{"records":[{"value":{"a":1},"partition":"0"}]}`},
		{"GET", "/topics/t/partitions/0/messages?offset=0&count=2", "Accept: application/vnd.kafka.json.v1+json", ""},
		{"POST", "/consumers/g", "Content-Type: application/vnd.kafka.v2+json", `{"name":"i","format":"json"}`},
		{"POST", "/consumers/g/instances/i/subscription", "Content-Type: application/vnd.kafka.v2+json", `{"topics":["t"]}`},
		{"GET", "/consumers/g/instances/i/records?timeout=1", "Accept: application/vnd.kafka.json.v2+json", ""},
		{"POST", "/consumers/g/instances/i/positions", "Content-Type: application/vnd.kafka.v2+json", `{"offsets":[{"topic":"t","partition":0,"offset":"1"}]}`},
		{"DELETE", "/consumers/g/instances/i", "", ""},
		{"GET", "/topics/%E2%98%83", "", ""},
		{"POST", "/topics/t", "Content-Type: application/vnd.kafka.avro.v2+json", `{"value_schema":"\"string\"","records":[{"value":"x"}]}`},
		{"POST", "/topics/t", "Content-Encoding: gzip\r\nContent-Type: application/json", "\x1f\x8b\x08"},
	} {
		f.Add(seed.method, seed.path, seed.headers, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, headers, body string) {
		ln, err := fuzzServer()
		if err != nil {
			t.Fatal(err)
		}
		if !validToken(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n") ||
			strings.Contains(headers, "\r\n\r\n") || strings.ContainsAny(headers, "\x00") || len(body) > 1<<16 {
			return // not an HTTP request: fasthttp's parser, not krest, answers those
		}
		conn, err := ln.Dial()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		var hs string
		for _, h := range strings.Split(headers, "\n") {
			h = strings.TrimRight(h, "\r")
			name, _, ok := strings.Cut(h, ":")
			if !ok || !validToken(strings.TrimSpace(name)) || strings.EqualFold(strings.TrimSpace(name), "Content-Length") ||
				strings.EqualFold(strings.TrimSpace(name), "Transfer-Encoding") || strings.EqualFold(strings.TrimSpace(name), "Connection") {
				continue
			}
			hs += h + "\r\n"
		}
		req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: krest\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s", method, path, hs, len(body), body)
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		var resp fasthttp.Response
		if err := resp.Read(bufio.NewReader(conn)); err != nil {
			t.Fatalf("no reply to %q: %v", req, err)
		}
		status := resp.StatusCode()
		if status >= 500 {
			t.Fatalf("%d %s for %q", status, resp.Body(), req)
		}
		if status >= 300 && method != "HEAD" {
			var e struct {
				Code *int `json:"error_code"`
			}
			if err := json.Unmarshal(resp.Body(), &e); err != nil || e.Code == nil {
				t.Fatalf("%d with a body that is not a JSON error: %q, for %q", status, resp.Body(), req)
			}
		}
	})
}

// validToken reports an HTTP token (a method or a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

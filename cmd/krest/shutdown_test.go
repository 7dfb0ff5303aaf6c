package main

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownDropsPartialRequests: a connection holding half a request
// does not hold SIGTERM: krest exits 0 at once, not after
// shutdown.graceful.ms.
func TestShutdownDropsPartialRequests(t *testing.T) {
	t.Parallel()
	p := startKrest(t, "-o", "shutdown.graceful.ms=30000")
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /topics/t HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"rec")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit %v:\n%s", err, p.stderr.String())
		}
	case <-time.After(15 * time.Second): // the grace is 30 s
		t.Fatalf("krest still waits on the partial request:\n%s", p.stderr.String())
	}
	t.Logf("exited %v after SIGTERM", time.Since(start))
}

// TestShutdownWithKafkaDown: records waiting for a Kafka that does not
// answer get their 50003 before the grace period ends, and krest exits
// non-zero, saying how many records it could not flush.
func TestShutdownWithKafkaDown(t *testing.T) {
	t.Parallel()
	// A "broker" that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	p := startKrest(t, "-bootstrap.servers", ln.Addr().String(), "-o", "shutdown.graceful.ms=3000", "-o", "producer.delivery.timeout.ms=60000")
	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		status, body := p.post(t, "/topics/down", "application/vnd.kafka.binary.v2+json", `{"records":[{"value":"aGk="},{"value":"aGk="}]}`)
		res <- result{status, body}
	}()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case r := <-res:
		if r.status != 200 || strings.Count(r.body, `"error_code":50003`) != 2 {
			t.Errorf("in-flight produce: %d %s, want two 50003", r.status, r.body)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the in-flight produce was not answered")
	}
	select {
	case err := <-p.done:
		if err == nil {
			t.Errorf("exit 0 with records unflushed:\n%s", p.stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("krest did not exit:\n%s", p.stderr.String())
	}
	if d := time.Since(start); d > 8*time.Second { // a hang guard: the grace is 3 s
		t.Errorf("exited %v after SIGTERM with shutdown.graceful.ms=3000", d)
	}
	if !strings.Contains(p.stderr.String(), "2 records accepted from clients were not acknowledged by Kafka") {
		t.Errorf("no count of unflushed records:\n%s", p.stderr.String())
	}
}

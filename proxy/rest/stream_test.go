package rest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

const testHead = "HTTP/1.1 200 OK\r\n\r\n"

// readAll collects what the client end of a pipe receives until it
// closes.
func readAll(client net.Conn) <-chan string {
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(client)
		got <- string(b)
	}()
	return got
}

// TestStreamFraming: the bytes each framing puts on the wire, exactly.
func TestStreamFraming(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    StreamOptions
		want string
	}{
		{"sse", StreamOptions{Framing: FrameSSE, Heartbeat: time.Nanosecond},
			testHead + "retry: 1000\n\n" + "data: [1]\n\n" + ":\n\n" + "event: error\ndata: {\"error_code\":500,\"message\":\"a \\\"b\\\"\"}\n\n"},
		{"ndjson", StreamOptions{Framing: FrameNDJSON, Heartbeat: time.Nanosecond},
			testHead + "data: [1]\n\n" + "\n" + "{\"error_code\":500,\"message\":\"a \\\"b\\\"\"}\n"},
		{"chunked", StreamOptions{Framing: FrameChunked, Heartbeat: time.Nanosecond},
			testHead + "b\r\ndata: [1]\n\n\r\n" + "28\r\n{\"error_code\":500,\"message\":\"a \\\"b\\\"\"}\r\n\r\n" + "0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			server, client := net.Pipe()
			got := readAll(client)
			w := NewStreamWriter(server, []byte(testHead), tc.o)
			w.WriteString("data: [1]\n\n")
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
			if err := w.Idle(); err != nil {
				t.Fatal(err)
			}
			if err := w.Fail(500, `a "b"`); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			server.Close()
			if g := <-got; g != tc.want {
				t.Errorf("wire:\n got %q\nwant %q", g, tc.want)
			}
		})
	}
}

// TestStreamHeartbeat: Idle sends a heartbeat only once the stream was
// silent for the period; what went out last restarts it.
func TestStreamHeartbeat(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe()
	got := readAll(client)
	w := NewStreamWriter(server, nil, StreamOptions{Framing: FrameNDJSON, Heartbeat: 50 * time.Millisecond})
	w.Idle() // silent for less than the period: nothing
	w.WriteString("{}\n")
	w.Flush()
	w.Idle() // just sent: nothing
	time.Sleep(60 * time.Millisecond)
	w.Idle() // a heartbeat
	w.Idle() // just sent one: nothing
	w.Close()
	server.Close()
	if g := <-got; g != "{}\n\n" {
		t.Errorf("wire %q, want %q", g, "{}\n\n")
	}
}

// TestStreamWriteTimeout: a client that reads nothing is given up on at
// the write timeout, even when the write is the buffer's own (Write over
// a full buffer, no Flush); the writer is then gone and writes nothing
// more.
func TestStreamWriteTimeout(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe() // unbuffered: every write waits for a read
	defer client.Close()
	w := NewStreamWriter(server, nil, StreamOptions{Framing: FrameNDJSON, WriteTimeout: 50 * time.Millisecond, BufferSize: 16})
	start := time.Now()
	_, err := w.Write(make([]byte, 64))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Write gave up after %v", d)
	}
	select {
	case <-w.Gone():
	default:
		t.Error("Gone is open after a failed write")
	}
	if w.Flush() != err || w.Idle() != err || w.Fail(500, "x") != err || w.Err() != err {
		t.Error("a writer whose write failed goes on")
	}
}

// TestStreamClientGone: with WatchClient, Gone closes when the client
// closes its connection; Close stops watching a client still there.
func TestStreamClientGone(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe()
	w := NewStreamWriter(server, nil, StreamOptions{Framing: FrameSSE, WatchClient: true})
	select {
	case <-w.Gone():
		t.Fatal("gone before the client left")
	case <-time.After(20 * time.Millisecond):
	}
	client.Close()
	select {
	case <-w.Gone():
	case <-time.After(5 * time.Second):
		t.Fatal("Gone still open after the client closed")
	}
	w.Close()

	server, client = net.Pipe()
	defer client.Close()
	go io.Copy(io.Discard, client)
	w = NewStreamWriter(server, nil, StreamOptions{Framing: FrameSSE, WatchClient: true})
	done := make(chan struct{})
	go func() {
		w.Close() // the watcher's read ends with it
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits on a client that stays")
	}
}

// TestStreamSend: Send says how much of p reached the connection.
func TestStreamSend(t *testing.T) {
	t.Parallel()
	server, client := net.Pipe()
	w := NewStreamWriter(server, []byte("h"), StreamOptions{Framing: FrameNDJSON, WriteTimeout: 100 * time.Millisecond})
	go func() {
		b := make([]byte, 5)
		io.ReadFull(client, b) // the head and 4 bytes of p; then nothing more
	}()
	n, err := w.Send([]byte("abcdefgh"))
	if err == nil || n != 4 {
		t.Errorf("Send: %d, %v; want 4 and the deadline", n, err)
	}
	client.Close()
}

// TestStream: Stream takes the connection over once the handler returned,
// with the head the handler set, and closes it when f returns.
func TestStream(t *testing.T) {
	t.Parallel()
	ln := fasthttputil.NewInmemoryListener()
	defer ln.Close()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType(MediaSSE)
		Stream(ctx, StreamOptions{Framing: FrameSSE, WatchClient: true}, func(w *StreamWriter) {
			w.WriteString("data: 1\n\n")
			w.Flush()
		})
	}}
	go srv.Serve(ln)
	c, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(bufio.NewReader(c))
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(b), "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "Connection: close") || !strings.Contains(head, "Content-Type: "+MediaSSE) {
		t.Errorf("head %q", head)
	}
	if body != "retry: 1000\n\ndata: 1\n\n" {
		t.Errorf("body %q", body)
	}
}

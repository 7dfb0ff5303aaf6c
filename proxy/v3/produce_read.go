package v3

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/rest"
)

// readStep is how much the reader asks of the connection at a time.
const readStep = 64 << 10

// maxChunkRecords is the most records a chunk takes before it is sent,
// however much one read brought.
const maxChunkRecords = 1024

// read parses the body into records and sends them, a chunk per read of
// the connection, until the body ends, fails or the stream is stopped. It
// closes s.chunks when done.
func (s *stream) read() {
	s.cur = getChunk()
	defer func() {
		s.dispatch()
		putChunk(s.cur)
		close(s.chunks)
	}()
	if s.whole != nil {
		s.scanWhole(s.whole)
		return
	}
	buf := pool.GetBuffer()
	defer pool.PutBuffer(buf)
	var charged int64
	defer func() {
		if s.mem != nil {
			s.mem.Release(charged)
		}
	}()
	if s.gzipped {
		zr, err := gzip.NewReader(s.body)
		if err != nil {
			s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Bad Request: invalid gzip body: %v", err))
			return
		}
		s.body = zr
	}
	sc := newObjectScanner()
	var total int64
	for !s.stopped.Load() {
		for {
			start, end, st := sc.next(buf.B)
			if st == scanMore {
				break
			}
			if st == scanBad {
				s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected character (%s) at offset %d: expected a JSON object", strconv.QuoteRune(rune(buf.B[end-1])), total-int64(len(buf.B)-end)-1))
				return
			}
			if !s.record(buf.B[start:end]) {
				return
			}
		}
		// What is parsed goes to Kafka now.
		s.dispatch()
		// Drop what is parsed.
		keep := sc.pending()
		if keep < 0 {
			keep = sc.pos
		}
		if keep > 0 {
			n := copy(buf.B, buf.B[keep:])
			buf.B = buf.B[:n]
			sc.shift(keep)
		}
		if len(buf.B) > s.maxRecord {
			s.refuse(rest.ErrBodyTooLarge(s.maxRecord))
			return
		}
		if cap(buf.B)-len(buf.B) < readStep {
			grow := int64(max(cap(buf.B), readStep))
			if s.mem != nil && !s.mem.TryAcquire(grow) {
				s.refuse(rest.Errorf(429, rest.CodeTooManyRequests, "Request memory budget exhausted (request.memory.max.bytes): retry later"))
				return
			}
			charged += grow
			buf.Grow(readStep)
		}
		now := time.Now()
		if elapsed := now.Sub(s.start); elapsed > s.maxDuration+s.grace {
			return
		}
		if s.conn != nil {
			_ = s.conn.SetReadDeadline(minTime(now.Add(s.idle), s.start.Add(s.maxDuration+s.grace)))
		}
		n, err := s.body.Read(buf.B[len(buf.B):cap(buf.B)])
		buf.B = buf.B[:len(buf.B)+n]
		total += int64(n)
		if s.maxBytes > 0 && total > s.maxBytes {
			s.refuse(errStreamTooLarge)
			return
		}
		if err != nil {
			if errors.Is(err, io.EOF) && sc.pending() >= 0 {
				// Scan what the last read brought first.
				for {
					start, end, st := sc.next(buf.B)
					if st != scanObject {
						break
					}
					if !s.record(buf.B[start:end]) {
						return
					}
				}
				if sc.pending() >= 0 {
					s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected end-of-input: the last record is incomplete"))
				}
				return
			}
			if errors.Is(err, io.EOF) {
				for {
					start, end, st := sc.next(buf.B)
					if st == scanBad {
						s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected character at the end of the stream: expected a JSON object"))
						return
					}
					if st != scanObject {
						break
					}
					if !s.record(buf.B[start:end]) {
						return
					}
				}
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) && !s.stopped.Load() {
				s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Error reading the request: %v", err))
			}
			return
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// scanWhole parses a body read whole into records and sends them.
func (s *stream) scanWhole(data []byte) {
	if s.maxBytes > 0 && int64(len(data)) > s.maxBytes {
		s.refuse(errStreamTooLarge)
		return
	}
	sc := newObjectScanner()
	for {
		start, end, st := sc.next(data)
		switch st {
		case scanObject:
			if !s.record(data[start:end]) {
				return
			}
		case scanBad:
			s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected character (%s) at offset %d: expected a JSON object", strconv.QuoteRune(rune(data[end-1])), end-1))
			return
		default:
			if sc.pending() >= 0 {
				s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected end-of-input: the last record is incomplete"))
			}
			return
		}
	}
}

// recordOverhead is what a record in flight holds beside its bytes (its
// entry, kgo.Record and result), as charged to request.memory.max.bytes.
const recordOverhead = 512

// errStreamMemory is a stream's record that found no room in
// request.memory.max.bytes within producer.max.block.ms.
var errStreamMemory = rest.Errorf(429, rest.CodeTooManyRequests, "Request memory budget exhausted (request.memory.max.bytes): retry later")

// record builds one record into the chunk being filled, or refuses it
// there; false ends the stream.
func (s *stream) record(raw []byte) bool {
	s.room()
	c := s.cur
	if time.Since(s.start) > s.maxDuration {
		c.refuse(errStreamTooLong)
		return true // refused until the grace period ends the stream
	}
	if !s.b.a.ProduceLimits.Allow(s.cluster, len(raw)) {
		c.refuse(errProduceRateLimited)
		return true
	}
	if s.recordMem != nil {
		cost := int64(len(raw)) + recordOverhead
		if !s.recordMem.TryAcquire(cost) {
			// Send what is built, whose answers give memory back,
			// then wait for room.
			s.dispatch()
			c = s.cur
			if !s.recordMem.Acquire(cost, s.maxBlock) {
				c.refuse(errStreamMemory)
				return true
			}
		}
		c.charged += cost
		c.mem = s.recordMem
	}
	var e entry
	_, err := s.b.build(raw, false, c.b, &e.key, &e.value)
	if err != nil {
		c.refuse(err)
		return true
	}
	e.rec = len(c.b.Records) - 1
	c.entries = append(c.entries, e)
	if len(c.entries) >= maxChunkRecords {
		s.dispatch()
	}
	return true
}

// room takes room in the window for one more record; when the window is
// full, the chunk being filled is sent first, so that its answers free
// room.
func (s *stream) room() {
	select {
	case s.window <- struct{}{}:
	default:
		s.dispatch()
		s.window <- struct{}{}
	}
}

// dispatch sends the chunk being filled, if it has records, and queues it
// to be answered.
func (s *stream) dispatch() {
	if len(s.cur.entries) == 0 {
		return
	}
	s.cur.send(s.b.a, s.kc.Producer, true)
	s.chunks <- s.cur
	s.cur = getChunk()
}

// refuse answers one last error result and ends the stream.
func (s *stream) refuse(err error) {
	s.room()
	s.cur.refuse(err)
}

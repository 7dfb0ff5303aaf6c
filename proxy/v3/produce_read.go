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

// read parses the body into records and sends them, until the body ends,
// fails or the stream is stopped. It closes s.slots when done.
func (s *stream) read() {
	defer close(s.slots)
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

// slotOverhead is what a record in flight holds beside its bytes (its
// slot, kgo.Record and result), as charged to request.memory.max.bytes.
const slotOverhead = 512

// errStreamMemory is a stream's record that found no room in
// request.memory.max.bytes within producer.max.block.ms.
var errStreamMemory = rest.Errorf(429, rest.CodeTooManyRequests, "Request memory budget exhausted (request.memory.max.bytes): retry later")

// record builds and sends one record, and queues its slot; false ends the
// stream.
func (s *stream) record(raw []byte) bool {
	sl := getSlot()
	if time.Since(s.start) > s.maxDuration {
		sl.fail = errStreamTooLong
		s.slots <- sl
		return true // refused until the grace period ends the stream
	}
	if !s.b.a.ProduceLimits.Allow(s.cluster, len(raw)) {
		sl.fail = errProduceRateLimited
		s.slots <- sl
		return true
	}
	if s.slotMem != nil {
		cost := int64(len(raw)) + slotOverhead
		if !s.slotMem.Acquire(cost, s.maxBlock) {
			sl.fail = errStreamMemory
			s.slots <- sl
			return true
		}
		sl.charged, sl.mem = cost, s.slotMem
	}
	var err error
	sl.buf, err = s.b.build(raw, false, &sl.rec, sl.buf, &sl.key, &sl.value)
	if err != nil {
		sl.fail = err
		s.slots <- sl
		return true
	}
	sl.sent = time.Now()
	if err := s.kc.Producer.Send(&sl.rec, sl); err != nil {
		sl.fail = err
	}
	s.slots <- sl
	return true
}

// refuse answers one last error result and ends the stream.
func (s *stream) refuse(err error) {
	sl := getSlot()
	sl.fail = err
	s.slots <- sl
}

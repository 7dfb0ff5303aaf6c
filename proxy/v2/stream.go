package v2

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/tracing"
)

// errStreamOpen refuses a second stream of one instance.
var errStreamOpen = rest.Errorf(409, rest.CodeIllegalState, "Illegal state: the consumer instance already has an open stream; close it first")

// errClientGone is a stream whose client closed its connection.
var errClientGone = errors.New("the client closed the stream")

// streamWait bounds each wait of a stream for records, so that it notices
// a closed client, a deleted instance and its heartbeat in time.
const streamWait = 500 * time.Millisecond

// streamFailAfter is how long Kafka may fail an instance's fetches, with
// no record arriving, before its stream ends with the error.
const streamFailAfter = 10 * time.Second

// streamPingEvery is how often an idle stream checks that Kafka answers.
const streamPingEvery = 5 * time.Second

// streamBatch bounds the records a stream takes from its instance at a
// time.
const streamBatch = 1 << 20

// streamWriteTimeout is how long a stream waits for a client that reads
// nothing before it gives up on it.
const streamWriteTimeout = 2 * time.Minute

// streamRecords answers GET …/records with Accept text/event-stream (one
// Server-Sent Event per batch, data: the JSON array a poll returns) or
// application/x-ndjson (one record per line): the reply stays open and
// carries records as Kafka delivers them. Records count as delivered (for
// commits and auto-commit) once written to the connection; what the client
// did not get goes back to the instance. While the stream is open the
// instance does not expire; it stays usable for polls after it closes.
func (a *API) streamRecords(ctx *fasthttp.RequestCtx, offer rest.Offer) error {
	g, i, err := groupInstance(ctx)
	if err != nil {
		return err
	}
	owner := principal(ctx)
	inst, err := a.Consumers.Use(g, i, owner)
	if err != nil {
		return err
	}
	settings := inst.Settings()
	lim, err := a.readLimits(ctx, settings)
	switch {
	case err != nil:
	case !inst.Consuming():
		err = consumer.ErrNotConsuming
	case !inst.StartStream():
		err = errStreamOpen
	}
	inst.Release()
	if err != nil {
		return err
	}
	lim.Wait = min(lim.Wait, streamWait)
	lim.MaxBytes = min(lim.MaxBytes, streamBatch)
	s := &recordStream{
		a: a, group: g, name: i, owner: owner, inst: inst, lim: lim, format: settings.Format,
		sse: offer.Stream == rest.StreamSSE, heartbeat: a.Config.Consumers.StreamHeartbeat,
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(offer.ContentType)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.Response.Header.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	o := rest.StreamOptions{Framing: rest.FrameNDJSON, WriteTimeout: streamWriteTimeout, Heartbeat: s.heartbeat, WatchClient: true}
	if s.sse {
		o.Framing = rest.FrameSSE
	}
	rest.Stream(ctx, o, s.run)
	return nil
}

// recordStream is one open streamed read.
type recordStream struct {
	a                  *API
	group, name, owner string
	inst               *consumer.Instance
	lim                consumer.ReadLimits
	format             codec.Format
	sse                bool
	heartbeat          time.Duration
	w                  *rest.StreamWriter
}

func (s *recordStream) run(w *rest.StreamWriter) {
	defer s.inst.EndStream()
	s.a.streams.Add(1)
	defer s.a.streams.Add(-1)
	s.w = w
	if w.Flush() != nil { // the head, and SSE's retry
		return
	}
	buf := pool.GetBuffer()
	defer pool.PutBuffer(buf)
	var recs []*kgo.Record
	var units []unit
	pinged := time.Now()
	for {
		select {
		case <-w.Gone():
			return
		default:
		}
		inst, err := s.a.Consumers.Use(s.group, s.name, s.owner)
		if err != nil {
			s.fail(err)
			return
		}
		recs, err = inst.ReadPending(s.lim, recs[:0])
		if err == nil && len(recs) == 0 {
			if time.Since(pinged) >= streamPingEvery {
				ctx, cancel := context.WithTimeout(context.Background(), streamPingEvery)
				inst.Ping(ctx)
				cancel()
				pinged = time.Now()
			}
			err = inst.Failing(streamFailAfter)
		}
		inst.Release()
		if err != nil {
			s.fail(err)
			return
		}
		if len(recs) == 0 {
			if w.Idle() != nil { // the heartbeat, once due
				return
			}
			continue
		}
		buf.B, units, err = s.render(buf.B[:0], recs, units[:0])
		select {
		case <-w.Gone():
			err = errClientGone // hand the records back rather than write them into a closed connection
		default:
		}
		written := 0
		if err == nil {
			written, err = w.Send(buf.B)
		}
		// What reached the connection whole counts as delivered: whole
		// lines, whole events; the rest goes back to the instance.
		sent := 0
		for _, u := range units {
			if u.end > written {
				break
			}
			sent = u.records
		}
		inst, uerr := s.a.Consumers.Use(s.group, s.name, s.owner)
		if uerr != nil {
			// Deleted meanwhile: nothing left to hand back to, but the
			// client learns why the stream ends (after what was written).
			if err == nil {
				s.fail(uerr)
			}
			return
		}
		tracing.LinkRecords(w.Span(), recs[:sent])
		inst.MarkDelivered(recs[:sent])
		if sent < len(recs) {
			inst.Unread(recs[sent:])
		}
		inst.Release()
		s.a.countConsumed(recs[:sent])
		if err != nil {
			if rerr, ok := err.(*rest.Error); ok {
				s.fail(rerr)
			}
			return
		}
		clear(recs)
	}
}

// unit is one whole line (NDJSON) or event (SSE) of a rendered batch: it
// ends at end in the buffer, and the records before index records are in
// it or in earlier units.
type unit struct{ end, records int }

// maxEvent bounds the records of one SSE event, so that a client that
// leaves mid-write loses (gets again, from a new instance) little.
const maxEvent = 64 << 10

// render appends recs as events of at most about maxEvent bytes (SSE), or
// as one line each (NDJSON), and lists where each unit ends.
func (s *recordStream) render(dst []byte, recs []*kgo.Record, units []unit) ([]byte, []unit, error) {
	style := recordStyle{topic: true, extensions: true}
	if s.sse {
		for from := 0; from < len(recs); {
			to, size := from, 0
			for to < len(recs) && (to == from || size+len(recs[to].Key)+len(recs[to].Value) < maxEvent) {
				size += len(recs[to].Key) + len(recs[to].Value)
				to++
			}
			dst = append(dst, "data: "...)
			var err error
			if dst, err = s.a.appendRecords(dst, recs[from:to], s.format, style); err != nil {
				return dst, units, err
			}
			dst = append(dst, "\n\n"...)
			units = append(units, unit{end: len(dst), records: to})
			from = to
		}
		return dst, units, nil
	}
	for i := range recs {
		start := len(dst)
		var err error
		if dst, err = s.a.appendRecords(dst, recs[i:i+1], s.format, style); err != nil {
			return dst, units, err
		}
		// Drop the array's brackets: one record, one line.
		copy(dst[start:], dst[start+1:len(dst)-1])
		dst = append(dst[:len(dst)-2], '\n')
		units = append(units, unit{end: len(dst), records: i + 1})
	}
	return dst, units, nil
}

// fail ends the stream with the error: an SSE "error" event, or a last
// NDJSON line, carrying the JSON error body.
func (s *recordStream) fail(err error) {
	e := rest.Map(err)
	_ = s.w.Fail(e.Code, e.Message)
}

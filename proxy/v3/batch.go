package v3

import (
	"slices"
	"strconv"

	"unsafe"

	"github.com/bytedance/sonic"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Errors of records:batch: 422 with Confluent's code 42208.
var (
	errBatchEmptyBody = rest.Errorf(422, rest.CodeBatch, "Request body is empty. Data is required.")
	errBatchEmpty     = rest.Errorf(422, rest.CodeBatch, "Empty batch.")
	errBatchTooMany   = rest.Errorf(422, rest.CodeBatch, "Too many entries in batch.")
	errBatchIDs       = rest.Errorf(422, rest.CodeBatch, "Batch entry IDs are not distinct.")
	errBatchID        = rest.Errorf(422, rest.CodeBatch, "Batch entry identifier is not a valid string.")
)

// ProduceBatch is POST …/topics/{topic}/records:batch: up to
// api.v3.produce.batch.maximum.entries records, each with an "id", sent
// together as one produce call (admitted to the produce budget all
// together, as a v2 request is); 207 with the successes and the failures,
// each in entry order. Each entry is decoded once: its id comes with the
// record.
func (a *API) ProduceBatch(ctx *fasthttp.RequestCtx, r rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	if err := admin.CheckWritable(topic); err != nil {
		return err
	}
	cluster, err := rest.PathParam(ctx, "cluster")
	if err != nil {
		return err
	}
	entries, err := splitBatch(r.Body, a.Config.V3Produce.BatchMaxEntries)
	if err != nil {
		return err
	}
	kc, release, err := a.Clients.For(rest.Credentials(ctx))
	if err != nil {
		return err
	}
	defer release()
	c := getChunk()
	defer putChunk(c)
	rest.NoteRecords(ctx, len(entries))
	b := builder{a: a, topic: topic, traceparent: rest.TraceParent(ctx), tracestate: rest.TraceState(ctx)}
	if err := a.buildEntries(c, &b, cluster, entries, len(r.Body)); err != nil {
		return err
	}
	c.send(a, kc.Producer, false)
	if c.call != nil {
		c.call.Wait()
	}
	ok, failed := pool.GetBuffer(), pool.GetBuffer()
	defer pool.PutBuffer(ok)
	defer pool.PutBuffer(failed)
	a.appendBatchResults(ok, failed, c, topic, cluster)
	ctx.SetStatusCode(fasthttp.StatusMultiStatus)
	ctx.SetContentType(rest.MediaJSON)
	ctx.SetBody(ok.B)
	return nil
}

// buildEntries decodes the entries of a records:batch body (of bodySize
// bytes) into c, each once, checking their ids: distinct, valid strings.
// An entry refused (rate limit, a bad record) is a failure of its own; a
// bad id refuses the request.
func (a *API) buildEntries(c *chunk, b *builder, cluster string, entries []sonic.NoCopyRawMessage, bodySize int) error {
	c.b.Reserve(len(entries))
	c.b.Arena.B = slices.Grow(c.b.Arena.B, bodySize) // decoded records are rarely larger than their JSON
	c.entries = slices.Grow(c.entries, len(entries))
	seen := make(map[string]struct{}, len(entries))
	for _, raw := range entries {
		var e entry
		var id []byte
		var fail, err error
		if a.ProduceLimits.Allow(cluster, len(raw)) {
			id, fail = b.build(raw, true, c.b, &e.key, &e.value)
			if fail == nil {
				e.rec = len(c.b.Records) - 1
			}
		} else {
			fail = errProduceRateLimited
		}
		if fail != nil && id == nil {
			// The entry was not decoded: its id is read on its own.
			if id, err = entryID(raw); err != nil {
				return err
			}
		}
		if e.id, err = checkEntryID(id); err != nil {
			return err
		}
		key := unsafe.String(unsafe.SliceData(e.id), len(e.id)) // the body outlives the map
		if _, dup := seen[key]; dup {
			return errBatchIDs
		}
		seen[key] = struct{}{}
		e.fail = fail
		c.entries = append(c.entries, e)
	}
	return nil
}

// appendBatchResults renders the 207 body of an answered batch into ok:
// the successes, then the failures (gathered in failed), each in entry
// order.
func (a *API) appendBatchResults(ok, failed *pool.Buffer, c *chunk, topic, cluster string) {
	ok.B = append(ok.B[:0], `{"successes":[`...)
	failed.B = append(failed.B[:0], `],"failures":[`...)
	nOK, nFail := 0, 0
	for i := range c.entries {
		e := &c.entries[i]
		if code, msg := c.failure(e); code != 0 {
			if nFail > 0 {
				failed.B = append(failed.B, ',')
			}
			nFail++
			failed.B = appendEntryID(failed.B, e.id)
			failed.B = append(failed.B, `,"error_code":`...)
			failed.B = strconv.AppendInt(failed.B, int64(code), 10)
			failed.B = append(failed.B, `,"message":`...)
			failed.B = codec.AppendQuote(failed.B, msg)
			failed.B = append(failed.B, '}')
			continue
		}
		if nOK > 0 {
			ok.B = append(ok.B, ',')
		}
		nOK++
		rec := &c.b.Records[e.rec]
		a.count(topic, rec)
		ok.B = appendEntryID(ok.B, e.id)
		ok.B = append(ok.B, ',')
		ok.B = appendSuccess(ok.B, cluster, rec, &e.key, &e.value)
	}
	ok.B = append(append(ok.B, failed.B...), "]}"...)
}

// appendEntryID appends `{"id":"<id>"`; a checked id needs no escaping.
func appendEntryID(dst, id []byte) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, id...)
	return append(dst, '"')
}

// splitBatch reads a records:batch body into its entries, which reference
// body. Too many entries is refused before any is decoded, after their ids
// are checked as Confluent checks them first.
func splitBatch(body []byte, maxEntries int) ([]sonic.NoCopyRawMessage, error) {
	if rest.IsBlank(body) || string(body) == "null" {
		return nil, errBatchEmptyBody
	}
	var req struct {
		Entries []sonic.NoCopyRawMessage `json:"entries"`
	}
	if err := rest.DecodeJSONInPlace(body, &req); err != nil {
		return nil, err
	}
	if len(req.Entries) > maxEntries {
		seen := make(map[string]bool, len(req.Entries))
		for _, e := range req.Entries {
			raw, err := entryID(e)
			if err != nil {
				return nil, err
			}
			id, err := checkEntryID(raw)
			if err != nil {
				return nil, err
			}
			if seen[string(id)] {
				return nil, errBatchIDs
			}
			seen[string(id)] = true
		}
		return nil, errBatchTooMany
	}
	if len(req.Entries) == 0 {
		return nil, errBatchEmpty
	}
	return req.Entries, nil
}

// entryID finds a batch entry's raw "id" on its own, for an entry that did
// not decode as a record.
func entryID(entry []byte) ([]byte, error) {
	n, err := sonic.GetFromString(unsafe.String(unsafe.SliceData(entry), len(entry)), "id")
	if err != nil {
		if rest.IsBlank(entry) || entry[0] != '{' {
			return nil, rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `ProduceBatchRequestEntry` from %s", abbreviate(entry))
		}
		return nil, errBatchID
	}
	raw, err := n.Raw()
	if err != nil {
		return nil, errBatchID
	}
	return []byte(raw), nil
}

// checkEntryID checks a raw entry id: a JSON string of 1 to 80 characters
// of [0-9a-zA-Z-_]. It returns the characters; only an id written with
// escapes costs a copy.
func checkEntryID(raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, errBatchID
	}
	id := raw[1 : len(raw)-1]
	for _, c := range id {
		if c == '\\' {
			var s string
			if err := sonic.Unmarshal(raw, &s); err != nil {
				return nil, errBatchID
			}
			id = []byte(s)
			break
		}
	}
	if len(id) == 0 || len(id) > 80 {
		return nil, errBatchID
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return nil, errBatchID
		}
	}
	return id, nil
}

// count adds a produced record to the topic's metrics.
func (a *API) count(topic string, r *kgo.Record) {
	if a.Metrics == nil {
		return
	}
	t := a.Metrics.Topic(topic)
	t.ProducedRecords.Inc()
	t.ProducedBytes.Add(len(r.Key) + len(r.Value))
}

package v3

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/bytedance/sonic"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
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
// together; 207 with the successes and the failures, each in entry order.
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
	entries, ids, err := parseBatch(r.Body, a.Config.V3Produce.BatchMaxEntries)
	if err != nil {
		return err
	}
	kc, release, err := a.Clients.For(rest.Credentials(ctx))
	if err != nil {
		return err
	}
	defer release()
	b := builder{a: a, topic: topic}
	sls := make([]*slot, len(entries))
	for i, e := range entries {
		sl := getSlot()
		sls[i] = sl
		if !a.ProduceLimits.Allow(cluster, len(e)) {
			sl.fail = errProduceRateLimited
			continue
		}
		if sl.buf, err = b.build(e, true, &sl.rec, sl.buf, &sl.key, &sl.value); err != nil {
			sl.fail = err
			continue
		}
		sl.sent = time.Now()
		if err := kc.Producer.Send(&sl.rec, sl); err != nil {
			sl.fail = err
		}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	s := stream{kc: kc}
	var okOut, failOut []byte
	okOut = append(okOut, `{"successes":[`...)
	failOut = append(failOut, `],"failures":[`...)
	nOK, nFail := 0, 0
	for i, sl := range sls {
		if sl.fail == nil {
			s.wait(sl, timer, kc.Producer)
		}
		code, msg := 0, ""
		switch {
		case sl.fail != nil:
			code, msg = failure(sl.fail)
		case sl.err != nil:
			code, msg = deliveryFailure(sl.err)
		}
		if code != 0 {
			if nFail > 0 {
				failOut = append(failOut, ',')
			}
			nFail++
			failOut = append(failOut, `{"id":`...)
			failOut = codec.AppendQuote(failOut, ids[i])
			failOut = append(failOut, `,"error_code":`...)
			failOut = strconv.AppendInt(failOut, int64(code), 10)
			failOut = append(failOut, `,"message":`...)
			failOut = codec.AppendQuote(failOut, msg)
			failOut = append(failOut, '}')
		} else {
			if nOK > 0 {
				okOut = append(okOut, ',')
			}
			nOK++
			a.count(topic, sl)
			okOut = append(okOut, `{"id":`...)
			okOut = codec.AppendQuote(okOut, ids[i])
			okOut = append(okOut, ',')
			okOut = appendSuccess(okOut, cluster, &sl.rec, &sl.key, &sl.value)
		}
		putSlot(sl)
	}
	okOut = append(append(okOut, failOut...), "]}"...)
	ctx.SetStatusCode(fasthttp.StatusMultiStatus)
	ctx.SetContentType(rest.MediaJSON)
	ctx.SetBody(okOut)
	return nil
}

// parseBatch reads a records:batch body into its entries, which reference
// body, and their ids, checked: distinct, and at most maxEntries of them.
// Each entry is read once for its id, so the parse is linear in the body.
func parseBatch(body []byte, maxEntries int) ([]sonic.NoCopyRawMessage, []string, error) {
	if rest.IsBlank(body) || string(body) == "null" {
		return nil, nil, errBatchEmptyBody
	}
	var req struct {
		Entries []sonic.NoCopyRawMessage `json:"entries"`
	}
	if err := rest.DecodeJSONInPlace(body, &req); err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(req.Entries))
	seen := make(map[string]bool, len(req.Entries))
	for i, e := range req.Entries {
		id, err := entryID(e)
		if err != nil {
			return nil, nil, err
		}
		if seen[id] {
			return nil, nil, errBatchIDs
		}
		seen[id], ids[i] = true, id
	}
	switch {
	case len(req.Entries) == 0:
		return nil, nil, errBatchEmpty
	case len(req.Entries) > maxEntries:
		return nil, nil, errBatchTooMany
	}
	return req.Entries, ids, nil
}

// entryID is a batch entry's id: a JSON string of 1 to 80 characters of
// [0-9a-zA-Z-_]. It searches the entry alone (no copy of it), so a batch's
// ids cost one pass over its entries.
func entryID(entry []byte) (string, error) {
	n, err := sonic.GetFromString(unsafe.String(unsafe.SliceData(entry), len(entry)), "id")
	if err != nil {
		if rest.IsBlank(entry) || entry[0] != '{' {
			return "", rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `ProduceBatchRequestEntry` from %s", abbreviate(entry))
		}
		return "", errBatchID
	}
	id, err := n.StrictString()
	if err != nil || len(id) == 0 || len(id) > 80 {
		return "", errBatchID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return "", errBatchID
		}
	}
	return id, nil
}

// count adds a produced record to the topic's metrics.
func (a *API) count(topic string, sl *slot) {
	if a.Metrics == nil {
		return
	}
	t := a.Metrics.Topic(topic)
	t.ProducedRecords.Inc()
	t.ProducedBytes.Add(len(sl.rec.Key) + len(sl.rec.Value))
}

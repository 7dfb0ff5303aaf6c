package v2

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
)

// ProduceToTopic is POST /topics/{topic}.
func (a *API) ProduceToTopic(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.produce(ctx, r, produce.AutoPartition)
}

// ProduceToPartition is POST /topics/{topic}/partitions/{partition}. As in
// Confluent's proxy, a record's own "partition" field wins over the path.
func (a *API) ProduceToPartition(ctx *fasthttp.RequestCtx, r rest.Request) error {
	p, err := partitionParam(ctx)
	if err != nil {
		return err
	}
	return a.produce(ctx, r, p)
}

var errBodyNotUTF8 = rest.Errorf(400, rest.CodeBadRequest, "Bad Request: the request body is not UTF-8")

// decodeRecordCost is what decoding one record costs in memory beyond the
// body (its envelope entry and its place in the batch), charged to the
// request memory budget before the body is decoded.
const decodeRecordCost = 512

func (a *API) produce(ctx *fasthttp.RequestCtx, r rest.Request, pathPartition int32) error {
	kc, release, err := a.kafka(ctx)
	if err != nil {
		return err
	}
	defer release()
	format := r.Format
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	if err := admin.CheckWritable(topic); err != nil {
		return err
	}
	if format != codec.Binary && !utf8.Valid(r.Body) {
		// JSON text is UTF-8; sonic would quietly replace the bad bytes
		// of embedded values. (Binary values are base64, which refuses
		// them anyway, so the hot path skips the scan.)
		return errBodyNotUTF8
	}
	job := getProduceJob()
	defer putProduceJob(job)
	charge := recordCharge{mem: a.Memory}
	defer charge.release()
	if err := a.decodeProduce(ctx, job, r.Body, format, topic, pathPartition, &charge); err != nil {
		return err
	}
	if err := kc.Producer.Produce(context.Background(), job.batch); err != nil {
		if a.Metrics != nil && errors.Is(err, produce.ErrOverloaded) {
			a.Metrics.Produce429.Inc()
		}
		return err
	}
	status := fasthttp.StatusOK
	missing, ok, bytes := 0, 0, 0
	for i, e := range job.batch.Errs {
		if e == nil {
			ok++
			bytes += len(job.batch.Records[i].Key) + len(job.batch.Records[i].Value)
			continue
		}
		code, _ := rest.RecordError(e)
		if a.Metrics != nil {
			a.Metrics.RecordError(code)
		}
		switch code {
		case rest.CodeKafkaAuthentication:
			status = fasthttp.StatusUnauthorized
		case rest.CodeKafkaAuthorization:
			if status == fasthttp.StatusOK {
				status = fasthttp.StatusForbidden
			}
		case rest.CodeUnknownTopic:
			missing++
		}
	}
	if a.Metrics != nil && ok > 0 {
		t := a.Metrics.Topic(topic)
		t.ProducedRecords.Add(ok)
		t.ProducedBytes.Add(bytes)
	}
	if missing == len(job.batch.Errs) {
		// The topic does not exist and the broker does not create
		// topics: Confluent's documented 404 / 40401, at once (its
		// proxy answers 200 with per-record 50003 after max.block.ms).
		return rest.ErrProduceTopicNotFound
	}
	job.out = appendProduceResponse(job.out[:0], job.keySchema, job.valueSchema, job.batch)
	ctx.SetStatusCode(status)
	ctx.SetBody(job.out)
	return nil
}

// decodeProduce decodes a produce body into job's batch, its records
// covered by charge: by hand when it can (parseHand), else bounded
// (boundRecords) and by parse.
func (a *API) decodeProduce(ctx *fasthttp.RequestCtx, job *produceJob, body []byte, format codec.Format, topic string, pathPartition int32, charge *recordCharge) error {
	unchecked := format == codec.Binary
	if job.parseHand(body, a.Config.MaxRequestRecords, charge, unchecked) {
		err := a.buildProduce(ctx, job, format, topic, pathPartition)
		if err == nil || !unchecked {
			return err
		}
		// The hand decode took keys and values unchecked, so the body
		// may be one parse refuses: decode it again that way, for the
		// error parse or build gives it.
		job.reset()
		job.batch.Reset()
		charge.release()
	}
	records, err := a.boundRecords(body)
	if err != nil {
		return err
	}
	if !charge.cover(records) {
		return rest.ErrBusy
	}
	if err := job.parse(body); err != nil {
		return err
	}
	return a.buildProduce(ctx, job, format, topic, pathPartition)
}

// buildProduce builds job's decoded envelope into its batch, with the
// request's trace context and, for the schema formats, its schemas.
func (a *API) buildProduce(ctx *fasthttp.RequestCtx, job *produceJob, format codec.Format, topic string, pathPartition int32) error {
	job.traceparent, job.tracestate = rest.TraceParent(ctx), rest.TraceState(ctx)
	rest.NoteRecords(ctx, len(job.req.Records))
	if format.UsesSchema() {
		if err := a.requestSchemas(job, topic, format); err != nil {
			return err
		}
	}
	return job.build(format, topic, pathPartition)
}

// partitionParam parses the {partition} route parameter. A value that is
// not an int32 matches no resource, as a JAX-RS int path parameter that
// does not convert: the plain 404. A negative one is an unknown partition.
func partitionParam(ctx *fasthttp.RequestCtx) (int32, error) {
	raw, _ := ctx.UserValue("partition").(string)
	p, err := strconv.ParseInt(raw, 10, 32)
	switch {
	case err != nil:
		return 0, rest.ErrNotFound
	case p < 0:
		return 0, rest.ErrPartitionNotFound
	}
	return int32(p), nil
}

// requestSchemas resolves the key and value schemas of a schema-format
// request into job.
func (a *API) requestSchemas(job *produceJob, topic string, format codec.Format) error {
	if err := job.missingSchemas(); err != nil {
		return err
	}
	r := &job.req
	c, cancel := rest.KafkaContext()
	defer cancel()
	var err error
	if r.KeySchema != nil || r.KeySchemaID != nil {
		if job.keySchema, err = a.resolveSchema(c, topic, format, true, r.KeySchema, r.KeySchemaID); err != nil {
			return err
		}
	}
	if r.ValueSchema != nil || r.ValueSchemaID != nil {
		if job.valueSchema, err = a.resolveSchema(c, topic, format, false, r.ValueSchema, r.ValueSchemaID); err != nil {
			return err
		}
	}
	return nil
}

func (a *API) resolveSchema(ctx context.Context, topic string, format codec.Format, isKey bool, text *string, id *int32Field) (*schema.Registered, error) {
	if text != nil && id != nil {
		side := "value"
		if isKey {
			side = "key"
		}
		return nil, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: %s_schema and %s_schema_id are mutually exclusive", side, side)
	}
	spec := schema.Spec{Format: format, Text: text}
	if id != nil {
		n := int32(*id)
		spec.ID = &n
	}
	return a.Schemas.Resolve(ctx, topic, isKey, spec)
}

// appendProduceResponse appends Confluent's ProduceResponse for b to dst:
// {"key_schema_id":..,"value_schema_id":..,"offsets":[...]} with one
// {"partition","offset","error_code","error"} per record, in request order.
func appendProduceResponse(dst []byte, key, value *schema.Registered, b *produce.Batch) []byte {
	dst = append(dst, `{"key_schema_id":`...)
	dst = appendSchemaID(dst, key)
	dst = append(dst, `,"value_schema_id":`...)
	dst = appendSchemaID(dst, value)
	dst = append(dst, `,"offsets":[`...)
	for i := range b.Records {
		if i > 0 {
			dst = append(dst, ',')
		}
		if err := b.Errs[i]; err != nil {
			code, msg := rest.RecordError(err)
			dst = append(dst, `{"partition":null,"offset":null,"error_code":`...)
			dst = strconv.AppendInt(dst, int64(code), 10)
			dst = append(dst, `,"error":`...)
			dst = codec.AppendQuote(dst, msg)
			dst = append(dst, '}')
			continue
		}
		dst = append(dst, `{"partition":`...)
		dst = strconv.AppendInt(dst, int64(b.Records[i].Partition), 10)
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendInt(dst, b.Records[i].Offset, 10)
		dst = append(dst, `,"error_code":null,"error":null}`...)
	}
	return append(dst, "]}"...)
}

func appendSchemaID(dst []byte, s *schema.Registered) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, int64(s.ID), 10)
}

// produceJob is one produce request: its decoded envelope, its schemas, the
// batch of records it becomes, and the response. Jobs are pooled so that
// steady-state requests reuse their slices.
type produceJob struct {
	req produceRequest
	// keySchema and valueSchema frame keys and values of the schema formats.
	keySchema, valueSchema *schema.Registered
	batch                  *produce.Batch
	out                    []byte
	// traceparent is the request's trace context, written into each
	// record's headers (nil: tracing off).
	traceparent []byte
	tracestate  []byte // and its vendor state, if any
}

// maxPooledJobBytes keeps jobs that rendered a huge response out of the
// pool.
const maxPooledJobBytes = 1 << 20

var produceJobs = sync.Pool{New: func() any { return new(produceJob) }}

// getProduceJob returns an empty job with an empty batch.
func getProduceJob() *produceJob {
	j := produceJobs.Get().(*produceJob)
	j.batch = produce.GetBatch()
	return j
}

// putProduceJob recycles j and hands its batch back (see produce.PutBatch:
// only once Produce has returned). j must not be used after it.
func putProduceJob(j *produceJob) {
	produce.PutBatch(j.batch)
	j.batch = nil
	if cap(j.out) > maxPooledJobBytes || cap(j.req.Records) > maxPooledJobRecords {
		return
	}
	j.reset()
	produceJobs.Put(j)
}

// maxPooledJobRecords keeps jobs that decoded a huge request out of the
// pool.
const maxPooledJobRecords = 4096

// reset empties j's envelope and response, keeping their capacity.
func (j *produceJob) reset() {
	clear(j.req.Records) // drop the raw values, which reference the body
	j.out = j.out[:0]
	j.keySchema, j.valueSchema, j.traceparent, j.tracestate = nil, nil, nil, nil
	// The decoder leaves fields absent from the next body untouched, so
	// every field of the envelope is reset, not just the records.
	j.req = produceRequest{Records: j.req.Records[:0]}
}

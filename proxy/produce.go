package proxy

import (
	"bytes"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
)

// produceToTopic is POST /topics/{topic}.
func (s *Server) produceToTopic(ctx *fasthttp.RequestCtx) error {
	return s.produce(ctx, autoPartition)
}

// produceToPartition is POST /topics/{topic}/partitions/{partition}. As in
// Confluent's proxy, a record's own "partition" field wins over the path.
func (s *Server) produceToPartition(ctx *fasthttp.RequestCtx) error {
	p, err := partitionParam(ctx)
	if err != nil {
		return err
	}
	return s.produce(ctx, p)
}

func (s *Server) produce(ctx *fasthttp.RequestCtx, pathPartition int32) error {
	format, ferr := produceFormat(ctx.Request.Header.ContentType())
	if ferr != nil {
		return ferr
	}
	topic, err := pathParam(ctx, "topic")
	if err != nil {
		return err
	}
	body, release, err := s.requestBody(ctx)
	if err != nil {
		return err
	}
	defer release()

	job := getProduceJob()
	defer putProduceJob(job)
	if err := job.parse(body); err != nil {
		return err
	}
	if format.UsesSchema() {
		if err := s.requestSchemas(job, topic, format); err != nil {
			return err
		}
	}
	if err := job.build(format, topic, pathPartition); err != nil {
		return err
	}
	if err := s.producer.produce(job); err != nil {
		return err
	}
	status := fasthttp.StatusOK
	for _, e := range job.errs {
		if e == nil {
			continue
		}
		switch recordErrorCode(e) {
		case codeKafkaAuthentication:
			status = fasthttp.StatusUnauthorized
		case codeKafkaAuthorization:
			if status == fasthttp.StatusOK {
				status = fasthttp.StatusForbidden
			}
		}
	}
	job.out = appendProduceResponse(job.out[:0], job.keySchema, job.valueSchema, job.recs, job.errs)
	ctx.SetStatusCode(status)
	ctx.SetBody(job.out)
	return nil
}

// partitionParam parses the {partition} route parameter; anything but a
// non-negative int32 is an unknown partition.
func partitionParam(ctx *fasthttp.RequestCtx) (int32, error) {
	raw, _ := ctx.UserValue("partition").(string)
	p, err := strconv.ParseInt(raw, 10, 32)
	if err != nil || p < 0 {
		return 0, errPartitionNotFound
	}
	return int32(p), nil
}

// requestSchemas resolves the key and value schemas of a schema-format
// request into job.
func (s *Server) requestSchemas(job *produceJob, topic string, format codec.Format) error {
	if err := job.missingSchemas(); err != nil {
		return err
	}
	r := &job.req
	var err error
	if r.KeySchema != nil || r.KeySchemaID != nil {
		if job.keySchema, err = s.resolveSchema(topic, format, true, r.KeySchema, r.KeySchemaID); err != nil {
			return err
		}
	}
	if r.ValueSchema != nil || r.ValueSchemaID != nil {
		if job.valueSchema, err = s.resolveSchema(topic, format, false, r.ValueSchema, r.ValueSchemaID); err != nil {
			return err
		}
	}
	return nil
}

// appendProduceResponse appends Confluent's ProduceResponse for recs to dst:
// {"key_schema_id":..,"value_schema_id":..,"offsets":[...]} with one
// {"partition","offset","error_code","error"} per record, in request order.
func appendProduceResponse(dst []byte, key, value *resolvedSchema, recs []kgo.Record, errs []error) []byte {
	dst = append(dst, `{"key_schema_id":`...)
	dst = appendSchemaID(dst, key)
	dst = append(dst, `,"value_schema_id":`...)
	dst = appendSchemaID(dst, value)
	dst = append(dst, `,"offsets":[`...)
	for i := range recs {
		if i > 0 {
			dst = append(dst, ',')
		}
		if err := errs[i]; err != nil {
			dst = append(dst, `{"partition":null,"offset":null,"error_code":`...)
			dst = strconv.AppendInt(dst, int64(recordErrorCode(err)), 10)
			dst = append(dst, `,"error":`...)
			dst = codec.AppendQuote(dst, recordErrorMessage(err))
			dst = append(dst, '}')
			continue
		}
		dst = append(dst, `{"partition":`...)
		dst = strconv.AppendInt(dst, int64(recs[i].Partition), 10)
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendInt(dst, recs[i].Offset, 10)
		dst = append(dst, `,"error_code":null,"error":null}`...)
	}
	return append(dst, "]}"...)
}

func appendSchemaID(dst []byte, s *resolvedSchema) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, int64(s.id), 10)
}

// produceJob holds everything one produce request needs; jobs are pooled so
// that steady-state requests reuse their slices and arena.
type produceJob struct {
	req produceRequest
	// keySchema and valueSchema frame keys and values of the schema formats.
	keySchema, valueSchema *resolvedSchema
	arena                  *pool.Buffer // keys, values and header values of all records
	spans                  []recordSpan // where each record's bytes sit in arena
	recs                   []kgo.Record
	errs                   []error
	out                    []byte
	ptrs                   []*kgo.Record // &recs[i], for ProduceSync
	results                chan kgo.ProduceResults
	// abandoned marks a job whose records kgo still held when the request
	// gave up waiting (see producer.produce): it must not be recycled.
	abandoned bool
}

// maxPooledJobBytes and maxPooledJobRecords keep jobs that served a huge
// request out of the pool.
const (
	maxPooledJobBytes   = 1 << 20
	maxPooledJobRecords = 4096
)

var produceJobs = sync.Pool{New: func() any { return new(produceJob) }}

// getProduceJob returns a job with an empty arena from package pool.
func getProduceJob() *produceJob {
	j := produceJobs.Get().(*produceJob)
	j.arena = pool.GetBuffer()
	return j
}

// putProduceJob recycles j and its arena. Only call it once every record of
// j has been acknowledged or failed: kgo holds pointers into j.recs and the
// arena until then.
func putProduceJob(j *produceJob) {
	if j.abandoned {
		return // kgo may still read its records and arena: leave it to the GC
	}
	pool.PutBuffer(j.arena)
	j.arena = nil
	if cap(j.out) > maxPooledJobBytes || cap(j.recs) > maxPooledJobRecords {
		return
	}
	j.reset()
	produceJobs.Put(j)
}

// reset empties j, keeping its slices' capacity.
func (j *produceJob) reset() {
	clear(j.recs) // drop references to arena bytes, headers and contexts
	clear(j.errs)
	clear(j.ptrs)
	clear(j.req.Records)
	j.recs, j.errs, j.spans, j.out, j.ptrs = j.recs[:0], j.errs[:0], j.spans[:0], j.out[:0], j.ptrs[:0]
	j.keySchema, j.valueSchema = nil, nil
	// The decoder leaves fields absent from the next body untouched, so
	// every field of the envelope is reset, not just the records.
	j.req = produceRequest{Records: j.req.Records[:0]}
}

// span is a [off, end) range of the arena; off < 0 means a null value.
type span struct{ off, end int }

var nullSpan = span{-1, -1}

func (s span) in(arena []byte) []byte {
	if s.off < 0 {
		return nil
	}
	return arena[s.off:s.end:s.end]
}

type recordSpan struct {
	key, value span
	headers    []kgo.RecordHeader // values still hold arena offsets (see decode)
	headerVals []span
}

// isBlank reports whether body holds only JSON whitespace.
func isBlank(body []byte) bool {
	return len(bytes.TrimLeft(body, " \t\r\n")) == 0
}

package proxy

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/registry"
)

// renderedSize estimates the JSON size of recs (base64 inflates by 4/3),
// so the response buffer is allocated once instead of regrown.
func renderedSize(recs []*kgo.Record) int {
	n := 2
	for _, r := range recs {
		n += (len(r.Key)+len(r.Value))*4/3 + len(r.Topic) + 128
		for _, h := range r.Headers {
			n += len(h.Key) + len(h.Value)*4/3 + 32
		}
	}
	return n
}

// recordStyle selects the fields of rendered records.
type recordStyle struct {
	topic      bool // "topic" (v2; the original v1 topic read has none)
	extensions bool // krest's additive "timestamp" and "headers"
}

// appendRecords renders records as Confluent's consumer records:
// [{"topic","key","value","partition","offset"}], keys and values base64 for
// binary and verbatim JSON for json, plus krest's "timestamp" (ms) and
// "headers" (only when the record has some).
func (s *Server) appendRecords(dst []byte, recs []*kgo.Record, format codec.Format, style recordStyle) ([]byte, error) {
	dst = append(dst, '[')
	var topic string  // the last record's topic,
	var quoted [2]int // and where dst holds it quoted
	for i, r := range recs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if style.topic {
			dst = append(dst, `"topic":`...)
			if i > 0 && r.Topic == topic {
				dst = append(dst, dst[quoted[0]:quoted[1]]...)
			} else {
				topic, quoted[0] = r.Topic, len(dst)
				dst = codec.AppendQuote(dst, r.Topic)
				quoted[1] = len(dst)
			}
			dst = append(dst, ',')
		}
		var err error
		dst = append(dst, `"key":`...)
		if dst, err = s.appendData(dst, r.Key, format, r); err != nil {
			return dst, err
		}
		dst = append(dst, `,"value":`...)
		if dst, err = s.appendData(dst, r.Value, format, r); err != nil {
			return dst, err
		}
		dst = append(dst, `,"partition":`...)
		dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendInt(dst, r.Offset, 10)
		if style.extensions {
			dst = append(dst, `,"timestamp":`...)
			dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
			if len(r.Headers) > 0 {
				dst = append(dst, `,"headers":[`...)
				for k, h := range r.Headers {
					if k > 0 {
						dst = append(dst, ',')
					}
					dst = append(dst, `{"name":`...)
					dst = codec.AppendQuote(dst, h.Key)
					dst = append(dst, `,"value":`...)
					if h.Value == nil {
						dst = append(dst, "null"...)
					} else {
						dst = append(dst, '"')
						dst = codec.AppendBase64(dst, h.Value)
						dst = append(dst, '"')
					}
					dst = append(dst, '}')
				}
				dst = append(dst, ']')
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func (s *Server) appendData(dst, data []byte, format codec.Format, r *kgo.Record) ([]byte, error) {
	if data == nil {
		return append(dst, "null"...), nil
	}
	if format.UsesSchema() {
		out, err := s.appendSchemaData(dst, data)
		if err != nil {
			var re *registry.Error
			if errors.As(err, &re) && re.Kind == registry.Unavailable {
				return dst, err
			}
			return dst, newError(408, 40801, "Error deserializing the record at topic %s partition %d offset %d: %v", r.Topic, r.Partition, r.Offset, err)
		}
		return out, nil
	}
	switch format {
	case codec.JSON:
		if !codec.ValidJSON(data) {
			return dst, newError(408, 40801, "Error deserializing JSON of the record at topic %s partition %d offset %d: not valid JSON; seek past it to go on", r.Topic, r.Partition, r.Offset)
		}
		return append(dst, data...), nil
	default:
		dst = append(dst, '"')
		dst = codec.AppendBase64(dst, data)
		return append(dst, '"'), nil
	}
}

// readMessages is the stateless v1-era read
// GET /topics/{topic}/partitions/{partition}/messages?offset=&count=: no
// consumer instance, so any krest instance behind a load balancer answers
// it. It returns up to count (default 1) records from offset, fewer when the
// partition ends first.
func (s *Server) readMessages(ctx *fasthttp.RequestCtx) error {
	topic, p, err := s.topicPartition(ctx)
	if err != nil {
		return err
	}
	args := ctx.QueryArgs()
	offset, err := queryInt(args.Peek("offset"), "offset", -1)
	if err != nil {
		return err
	}
	if offset < 0 {
		return newError(400, 400, "Bad Request: the offset query parameter is required and must not be negative")
	}
	count, err := queryInt(args.Peek("count"), "count", 1)
	if err != nil {
		return err
	}
	if count <= 0 || count > maxMessagesCount {
		return newError(400, 400, "Bad Request: count must be in 1..%d", maxMessagesCount)
	}
	format := codec.Binary
	ct := embeddedType(codec.Binary, 2)
	if accept := ctx.Request.Header.Peek(fasthttp.HeaderAccept); len(accept) > 0 {
		for part := range bytes.SplitSeq(accept, []byte(",")) {
			typ, q := splitQuality(part)
			if mt, ok := parseMediaType(typ); ok && q > 0 && mt.format == codec.JSON {
				format, ct = codec.JSON, embeddedType(codec.JSON, max(mt.version, 1))
				break
			}
		}
	}
	c, cancel := adminContext()
	defer cancel()
	start, end, err := s.partitionRange(c, topic, p)
	if err != nil {
		return err
	}
	if offset < start || offset > end {
		return newError(404, 40402, "Offset %d is out of range for partition %d of topic %s: it holds %d..%d", offset, p, topic, start, end)
	}
	want := min(count, end-offset)
	var recs []*kgo.Record
	if want > 0 {
		if recs, err = s.fetchRange(topic, p, offset, want); err != nil {
			return err
		}
	}
	body, err := s.appendRecords(nil, recs, format, recordStyle{topic: true, extensions: true})
	if err != nil {
		return err
	}
	ctx.SetBody(body)
	ctx.SetContentType(ct)
	return nil
}

const maxMessagesCount = 10000

func queryInt(v []byte, name string, def int64) (int64, error) {
	if len(v) == 0 {
		return def, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, badRequest(errQuery(name, v))
	}
	return n, nil
}

// fetchRange reads n records of one partition from offset with a
// short-lived direct consumer.
func (s *Server) fetchRange(topic string, p int32, offset, n int64) ([]*kgo.Record, error) {
	cl, err := kgo.NewClient(append(s.cfg.ConsumerOpts(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {p: kgo.NewOffset().At(offset)}}),
		kgo.FetchMaxWait(100*time.Millisecond),
	)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	var out []*kgo.Record
	for int64(len(out)) < n {
		fs := cl.PollRecords(ctx, int(n)-len(out))
		if ctx.Err() != nil {
			return nil, kafkaError(ctx.Err())
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return nil, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= offset && int64(len(out)) < n {
				out = append(out, r)
			}
		})
	}
	return out, nil
}

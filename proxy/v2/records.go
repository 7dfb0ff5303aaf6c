package v2

import (
	"context"
	"errors"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
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
// "headers" (only when the record has some). The schema formats look
// schemas up under one Kafka-call deadline for the whole render.
func (a *API) appendRecords(dst []byte, recs []*kgo.Record, format codec.Format, style recordStyle) ([]byte, error) {
	ctx := context.Background() // unused by binary and json
	if format.UsesSchema() {
		c, cancel := rest.KafkaContext()
		defer cancel()
		ctx = c
	}
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
		if dst, err = a.appendData(ctx, dst, r.Key, format, r); err != nil {
			return dst, err
		}
		dst = append(dst, `,"value":`...)
		if dst, err = a.appendData(ctx, dst, r.Value, format, r); err != nil {
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
				dst = append(dst, `,"headers":`...)
				dst = codec.AppendHeaders(dst, r.Headers)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

func (a *API) appendData(ctx context.Context, dst, data []byte, format codec.Format, r *kgo.Record) ([]byte, error) {
	if data == nil {
		return append(dst, "null"...), nil
	}
	if format.UsesSchema() {
		out, err := a.Schemas.AppendJSON(ctx, dst, data)
		if err != nil {
			var re *schema.Error
			if errors.As(err, &re) && re.Kind == schema.Unavailable {
				return dst, err
			}
			return dst, rest.DeserializationError("Error deserializing the record at topic %s partition %d offset %d: %v", r.Topic, r.Partition, r.Offset, err)
		}
		return out, nil
	}
	switch format {
	case codec.JSON:
		if !codec.ValidJSON(data) {
			return dst, rest.DeserializationError("Error deserializing JSON of the record at topic %s partition %d offset %d: not valid JSON; seek past it to go on", r.Topic, r.Partition, r.Offset)
		}
		return append(dst, data...), nil
	default:
		dst = append(dst, '"')
		dst = codec.AppendBase64(dst, data)
		return append(dst, '"'), nil
	}
}

// countConsumed adds recs to the consume metrics of their topics.
func (a *API) countConsumed(recs []*kgo.Record) {
	if a.Metrics == nil {
		return
	}
	for i := 0; i < len(recs); {
		j, bytes := i, 0
		for ; j < len(recs) && recs[j].Topic == recs[i].Topic; j++ {
			bytes += len(recs[j].Key) + len(recs[j].Value)
		}
		t := a.Metrics.Topic(recs[i].Topic)
		t.ConsumedRecords.Add(j - i)
		t.ConsumedBytes.Add(bytes)
		i = j
	}
}

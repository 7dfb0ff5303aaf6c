package v3

import (
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/rest"
)

// appendInstant appends t as Java's Instant.toString does (ISO-8601 UTC,
// the fraction in groups of three digits, none when zero). It runs for
// every produced record, so it formats by hand.
func appendInstant(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 || year > 9999 {
		return append(dst, t.Format(time.RFC3339Nano)...)
	}
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, min, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		dst = append(dst, '.')
		switch {
		case ns%1e6 == 0:
			dst = appendDigits(dst, ns/1e6, 3)
		case ns%1e3 == 0:
			dst = appendDigits(dst, ns/1e3, 6)
		default:
			dst = appendDigits(dst, ns, 9)
		}
	}
	return append(dst, 'Z')
}

// appendDigits appends n, zero-padded to width digits.
func appendDigits(dst []byte, n, width int) []byte {
	var b [9]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, b[:width]...)
}

// appendSide appends a result's "key" or "value" object.
func appendSide(dst []byte, s *side) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typeNames[s.typ]...)
	dst = append(dst, '"')
	if s.reg != nil {
		dst = append(dst, `,"subject":`...)
		dst = codec.AppendQuote(dst, s.reg.Subject)
		dst = append(dst, `,"schema_id":`...)
		dst = strconv.AppendInt(dst, int64(s.reg.ID), 10)
		dst = append(dst, `,"schema_version":`...)
		dst = strconv.AppendInt(dst, int64(s.reg.Version), 10)
	}
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, int64(s.size), 10)
	return append(dst, '}')
}

// appendPlace appends where a record sits, as a produce result and a
// KafkaRecord both begin: "cluster_id", "topic_name", "partition_id",
// "offset" and "timestamp".
func appendPlace(dst []byte, cluster string, r *kgo.Record) []byte {
	dst = append(dst, `"cluster_id":`...)
	dst = codec.AppendQuote(dst, cluster)
	dst = append(dst, `,"topic_name":`...)
	dst = codec.AppendQuote(dst, r.Topic)
	dst = append(dst, `,"partition_id":`...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, `,"timestamp":"`...)
	dst = appendInstant(dst, r.Timestamp)
	return append(dst, '"')
}

// appendSuccess appends the fields of a produced record's result after
// its opening (error_code or id).
func appendSuccess(dst []byte, cluster string, r *kgo.Record, key, value *side) []byte {
	dst = appendPlace(dst, cluster, r)
	if key.present {
		dst = append(dst, `,"key":`...)
		dst = appendSide(dst, key)
	}
	if value.present {
		dst = append(dst, `,"value":`...)
		dst = appendSide(dst, value)
	}
	return append(dst, '}')
}

// failure is the error_code and message of a record that failed: 422
// codes become 422 with the code in the message, as Confluent's
// streaming and batch responses write them.
func failure(err error) (int, string) {
	e := rest.Map(err)
	if rest.IsConstraintCode(e.Code) {
		return 422, fmt.Sprintf("Error: %d : %s", e.Code, e.Message)
	}
	return e.Code, e.Message
}

// deliveryFailure is the error_code and message of a record Kafka failed.
func deliveryFailure(err error) (int, string) { return rest.RecordError(err) }

package proxy

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/consumer"
)

// Request bodies of the consumer endpoints (Confluent's v2 entities).
type (
	createConsumerRequest struct {
		Name             *string         `json:"name"`
		ID               *string         `json:"id"`
		Format           *string         `json:"format"`
		AutoOffsetReset  *string         `json:"auto.offset.reset"`
		AutoCommitEnable json.RawMessage `json:"auto.commit.enable"`
		FetchMinBytes    *int64          `json:"fetch.min.bytes"`
		ResponseMinBytes *int64          `json:"responseMinBytes"` // alias of fetch.min.bytes
		RequestTimeoutMs *int64          `json:"consumer.request.timeout.ms"`
		RequestWaitMs    *int64          `json:"requestWaitMs"` // alias
	}
	subscriptionRequest struct {
		Topics       []string `json:"topics"`
		TopicPattern string   `json:"topic_pattern"`
	}
	partitionsRequest struct {
		Partitions []topicPartition `json:"partitions"`
	}
	// topicPartition is a consumer.TopicPartition.
	topicPartition struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
	}
	seekRequest struct {
		Offsets []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Offset    int64  `json:"offset"`
			Metadata  string `json:"metadata"`
		} `json:"offsets"`
		Timestamps []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Timestamp string `json:"timestamp"`
			Metadata  string `json:"metadata"`
		} `json:"timestamps"`
	}
	commitRequest struct {
		Offsets []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Offset    int64  `json:"offset"`
			Metadata  string `json:"metadata"`
		} `json:"offsets"`
	}
)

// Response bodies of the consumer endpoints.
type (
	// committedOffset is a consumer.Commit, an entry of the commit
	// response: the offset of the last record processed (Confluent's API)
	// and what Kafka stores (that + 1).
	committedOffset struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Consumed  int64  `json:"consumed"`
		Committed int64  `json:"committed"`
	}
	// partitionCommitted is a consumer.CommittedOffset.
	partitionCommitted struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
		Metadata  string `json:"metadata"`
	}
)

// convert maps the consumer package's values to and from the JSON entities
// above. It never returns nil, which would render as null.
func convert[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func toTopicPartition(tp topicPartition) consumer.TopicPartition        { return consumer.TopicPartition(tp) }
func fromTopicPartition(tp consumer.TopicPartition) topicPartition      { return topicPartition(tp) }
func fromCommittedOffset(o consumer.CommittedOffset) partitionCommitted { return partitionCommitted(o) }
func fromCommit(c consumer.Commit) committedOffset {
	return committedOffset{Topic: c.Topic, Partition: c.Partition, Consumed: c.Consumed, Committed: c.Committed}
}

// decodeBody decodes an optional JSON body into v; an empty body leaves v
// as it is and reports false.
func (s *Server) decodeBody(ctx *fasthttp.RequestCtx, v any) (bool, error) {
	body, release, err := s.requestBody(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	if isBlank(body) || string(bytes.TrimSpace(body)) == "null" {
		return false, nil
	}
	if err := requestJSON.Unmarshal(body, v); err != nil {
		return false, jsonError(err)
	}
	return true, nil
}

// consumerContentType checks the Content-Type of a consumer request with a
// body: any application/vnd.kafka type, application/json, or none.
func consumerContentType(ctx *fasthttp.RequestCtx) error {
	ct := ctx.Request.Header.ContentType()
	if len(bytes.TrimSpace(ct)) == 0 || len(ctx.PostBody()) == 0 {
		return nil
	}
	base, _, _ := bytes.Cut(ct, []byte(";"))
	base = bytes.TrimSpace(base)
	if bytes.EqualFold(base, []byte(mediaJSON)) || bytes.EqualFold(base, []byte("application/octet-stream")) {
		return nil
	}
	if _, ok := parseMediaType(base); ok {
		return nil
	}
	return errUnsupportedMediaType
}

func groupInstance(ctx *fasthttp.RequestCtx) (string, string, error) {
	g, err := pathParam(ctx, "group")
	if err != nil {
		return "", "", err
	}
	i, err := pathParam(ctx, "instance")
	return g, i, err
}

// withInstance runs f on the instance named by the path, holding it.
func (s *Server) withInstance(ctx *fasthttp.RequestCtx, f func(inst *consumer.Instance) error) error {
	if err := consumerContentType(ctx); err != nil {
		return err
	}
	g, i, err := groupInstance(ctx)
	if err != nil {
		return err
	}
	inst, err := s.consumers.Use(g, i)
	if err != nil {
		return err
	}
	defer inst.Release()
	return f(inst)
}

func noContent(ctx *fasthttp.RequestCtx) error {
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	ctx.Response.SkipBody = true
	return nil
}

// createConsumer is POST /consumers/{group}.
func (s *Server) createConsumer(ctx *fasthttp.RequestCtx) error {
	if err := consumerContentType(ctx); err != nil {
		return err
	}
	group, err := pathParam(ctx, "group")
	if err != nil {
		return err
	}
	var req createConsumerRequest
	if _, err := s.decodeBody(ctx, &req); err != nil {
		return err
	}
	settings, err := s.instanceSettings(&req)
	if err != nil {
		return err
	}
	inst, err := s.consumers.Create(group, settings)
	if err != nil {
		return err
	}
	var b []byte
	b = append(b, `{"instance_id":`...)
	b = codec.AppendQuote(b, inst.Name())
	b = append(b, `,"base_uri":`...)
	b = codec.AppendQuote(b, s.baseURI(ctx, group, inst.Name()))
	b = append(b, '}')
	ctx.SetBody(b)
	return nil
}

func (s *Server) instanceSettings(req *createConsumerRequest) (consumer.Settings, error) {
	st := consumer.Settings{
		Format:         codec.Binary,
		Reset:          kgo.NewOffset().AtEnd(), // Kafka's default: latest
		AutoCommit:     true,                    // Kafka's default
		FetchMinBytes:  s.cfg.Consumers.FetchMinBytes,
		RequestTimeout: s.cfg.Consumers.RequestTimeout,
	}
	if req.Name != nil {
		st.Name = *req.Name
	}
	if req.ID != nil && *req.ID != "" {
		st.Name = *req.ID // the legacy id wins over name, as in Confluent's proxy
	}
	if strings.ContainsAny(st.Name, "/?#") {
		return st, newError(422, 422, "Invalid consumer instance name %q", st.Name)
	}
	if req.Format != nil {
		f, ok := codec.ParseFormat(*req.Format)
		if !ok {
			return st, newError(422, 422, "Invalid format type.")
		}
		if f.UsesSchema() && s.registry == nil {
			return st, errNoRegistry
		}
		st.Format = f
	}
	if req.AutoOffsetReset != nil {
		switch strings.ToLower(*req.AutoOffsetReset) {
		case "earliest", "smallest":
			st.Reset = kgo.NewOffset().AtStart()
		case "latest", "largest":
			st.Reset = kgo.NewOffset().AtEnd()
		case "none":
			st.Reset = kgo.NewOffset().AtCommitted()
		default:
			return st, newError(422, 42204, "Invalid consumer configuration: Invalid value %s for configuration auto.offset.reset: String must be one of: latest, earliest, none", *req.AutoOffsetReset)
		}
	}
	if len(req.AutoCommitEnable) > 0 && string(req.AutoCommitEnable) != "null" {
		v := strings.Trim(string(req.AutoCommitEnable), `"`)
		b, err := strconv.ParseBool(v)
		if err != nil {
			return st, newError(422, 42204, "Invalid consumer configuration: Invalid value %s for configuration enable.auto.commit: Expected value to be either true or false", v)
		}
		st.AutoCommit = b
	}
	minBytes := req.FetchMinBytes
	if minBytes == nil {
		minBytes = req.ResponseMinBytes
	}
	if minBytes != nil {
		if *minBytes < -1 || *minBytes > 10000000 {
			return st, newError(422, 40001, "Invalid consumer configuration. It does not abide by the constraints: fetch.min.bytes must be in -1..10000000, got %d", *minBytes)
		}
		st.FetchMinBytes = *minBytes
	}
	wait := req.RequestTimeoutMs
	if wait == nil {
		wait = req.RequestWaitMs
	}
	if wait != nil && *wait > 0 {
		st.RequestTimeout = time.Duration(*wait) * time.Millisecond
	}
	return st, nil
}

// baseURI builds an instance's URL: the first advertised listener, else
// host.name with the listener port, else the request's Host.
func (s *Server) baseURI(ctx *fasthttp.RequestCtx, group, name string) string {
	scheme := "http"
	authority := ""
	for _, u := range s.cfg.AdvertisedListeners {
		if u.Scheme == scheme {
			authority = u.Host
			break
		}
	}
	if authority == "" && s.cfg.HostName != "" {
		authority = s.cfg.HostName
		if _, port, err := net.SplitHostPort(s.cfg.Listeners[0].Addr); err == nil {
			authority = net.JoinHostPort(s.cfg.HostName, port)
		}
	}
	if authority == "" {
		authority = string(ctx.Host())
	}
	return scheme + "://" + authority + "/consumers/" + pathEscape(group) + "/instances/" + pathEscape(name)
}

func pathEscape(s string) string { return url.PathEscape(s) }

// deleteConsumer is DELETE /consumers/{group}/instances/{instance}.
func (s *Server) deleteConsumer(ctx *fasthttp.RequestCtx) error {
	g, i, err := groupInstance(ctx)
	if err != nil {
		return err
	}
	if err := s.consumers.Remove(g, i); err != nil {
		return err
	}
	return noContent(ctx)
}

func (s *Server) subscribe(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		var req subscriptionRequest
		if _, err := s.decodeBody(ctx, &req); err != nil {
			return err
		}
		if err := inst.Subscribe(req.Topics, req.TopicPattern); err != nil {
			return err
		}
		return noContent(ctx)
	})
}

func (s *Server) getSubscription(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		return writeJSON(ctx, map[string][]string{"topics": inst.Subscription()})
	})
}

func (s *Server) unsubscribe(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		inst.Unsubscribe()
		return noContent(ctx)
	})
}

func (s *Server) assign(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		var req partitionsRequest
		if _, err := s.decodeBody(ctx, &req); err != nil {
			return err
		}
		parts := map[string][]int32{}
		for _, tp := range req.Partitions {
			if tp.Partition < 0 {
				return errPartitionNotFound
			}
			parts[tp.Topic] = append(parts[tp.Topic], tp.Partition)
		}
		c, cancel := adminContext()
		defer cancel()
		if err := inst.Assign(c, parts); err != nil {
			return err
		}
		return noContent(ctx)
	})
}

func (s *Server) getAssignments(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		return writeJSON(ctx, partitionsRequest{Partitions: convert(inst.Assignment(), fromTopicPartition)})
	})
}

func (s *Server) seek(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		var req seekRequest
		if _, err := s.decodeBody(ctx, &req); err != nil {
			return err
		}
		if !inst.Consuming() {
			return consumer.ErrNotConsuming
		}
		offsets := map[string]map[int32]int64{}
		for _, o := range req.Offsets {
			if offsets[o.Topic] == nil {
				offsets[o.Topic] = map[int32]int64{}
			}
			offsets[o.Topic][o.Partition] = o.Offset
		}
		if len(offsets) > 0 {
			if err := inst.Seek(offsets); err != nil {
				return err
			}
		}
		if len(req.Timestamps) > 0 {
			times := map[consumer.TopicPartition]time.Time{}
			for _, ts := range req.Timestamps {
				t, err := time.Parse(time.RFC3339Nano, ts.Timestamp)
				if err != nil {
					return badRequest(errTimestamp(ts.Timestamp))
				}
				times[consumer.TopicPartition{Topic: ts.Topic, Partition: ts.Partition}] = t
			}
			c, cancel := adminContext()
			defer cancel()
			if err := inst.SeekToTimes(c, times); err != nil {
				return err
			}
		}
		return noContent(ctx)
	})
}

type timestampError string

func (e timestampError) Error() string {
	return "timestamp=" + strconv.Quote(string(e)) + " is not an ISO-8601 date-time"
}

func errTimestamp(s string) error { return timestampError(s) }

func (s *Server) seekToBeginning(ctx *fasthttp.RequestCtx) error { return s.seekToEdge(ctx, true) }
func (s *Server) seekToEnd(ctx *fasthttp.RequestCtx) error       { return s.seekToEdge(ctx, false) }

func (s *Server) seekToEdge(ctx *fasthttp.RequestCtx, beginning bool) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		var req partitionsRequest
		if _, err := s.decodeBody(ctx, &req); err != nil {
			return err
		}
		if !inst.Consuming() {
			return consumer.ErrNotConsuming
		}
		if len(req.Partitions) == 0 {
			return noContent(ctx)
		}
		c, cancel := adminContext()
		defer cancel()
		var err error
		tps := convert(req.Partitions, toTopicPartition)
		if beginning {
			err = inst.SeekToBeginning(c, tps)
		} else {
			err = inst.SeekToEnd(c, tps)
		}
		if err != nil {
			return err
		}
		return noContent(ctx)
	})
}

// commitOffsets is POST .../offsets: the listed offsets, or with no body
// everything delivered so far. It answers with what was committed
// (Confluent's v2 answers [], its v1 this list).
func (s *Server) commitOffsets(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		var req commitRequest
		if _, err := s.decodeBody(ctx, &req); err != nil {
			return err
		}
		var explicit []consumer.Commit
		for _, o := range req.Offsets {
			if o.Partition < 0 || o.Offset < 0 {
				return newError(422, 422, "offsets: partition and offset must not be negative")
			}
			explicit = append(explicit, consumer.Commit{Topic: o.Topic, Partition: o.Partition, Consumed: o.Offset, Metadata: o.Metadata})
		}
		c, cancel := adminContext()
		defer cancel()
		done, err := inst.Commit(c, explicit)
		if err != nil {
			return err
		}
		return writeJSON(ctx, convert(done, fromCommit))
	})
}

// getCommittedOffsets is GET .../offsets with {"partitions":[...]}; without
// a body it reports the instance's current partitions.
func (s *Server) getCommittedOffsets(ctx *fasthttp.RequestCtx) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		var req partitionsRequest
		if _, err := s.decodeBody(ctx, &req); err != nil {
			return err
		}
		c, cancel := adminContext()
		defer cancel()
		offs, err := inst.CommittedOffsets(c, convert(req.Partitions, toTopicPartition))
		if err != nil {
			return err
		}
		return writeJSON(ctx, map[string][]partitionCommitted{"offsets": convert(offs, fromCommittedOffset)})
	})
}

var errFormatMismatch = newError(406, 40601, "The requested embedded data format does not match the deserializer for this consumer instance")

// recordsFormat resolves the Accept header of a records read: the embedded
// type names the format (and must match the instance's: 406/40601), the
// format-less and wildcard types mean binary, as in Confluent's proxy, and
// plain application/json means "the instance's own format" (a krest
// extension). It returns the response Content-Type.
func recordsFormat(accept []byte, inst codec.Format, version int) (string, error) {
	accept = bytes.TrimSpace(accept)
	if len(accept) == 0 {
		accept = []byte("*/*")
	}
	bestQ := 0.0
	var chosen codec.Format
	ct := ""
	for part := range bytes.SplitSeq(accept, []byte(",")) {
		typ, q := splitQuality(part)
		if q <= 0 || q <= bestQ {
			continue
		}
		var f codec.Format
		var typeCT string
		switch {
		case bytes.Equal(typ, []byte("*/*")), bytes.Equal(typ, []byte("application/*")):
			f, typeCT = codec.Binary, embeddedType(codec.Binary, version)
		case bytes.EqualFold(typ, []byte(mediaJSON)):
			f, typeCT = inst, mediaJSON
		default:
			mt, ok := parseMediaType(typ)
			if !ok {
				continue
			}
			f = mt.format
			if f == 0 {
				f = codec.Binary
			}
			v := mt.version
			if v == 0 {
				v = version
			}
			typeCT = embeddedType(f, v)
		}
		chosen, ct, bestQ = f, typeCT, q
	}
	if ct == "" {
		return "", errNotAcceptable
	}
	// Confluent's proxy tells consumers apart by deserializer kind, so the
	// three Schema Registry formats are interchangeable here.
	if chosen != inst && !(chosen.UsesSchema() && inst.UsesSchema()) {
		return "", errFormatMismatch
	}
	return ct, nil
}

func embeddedType(f codec.Format, version int) string {
	return "application/vnd.kafka." + f.String() + ".v" + strconv.Itoa(version) + "+json"
}

// readRecords is GET .../records?timeout=&max_bytes=.
func (s *Server) readRecords(ctx *fasthttp.RequestCtx) error {
	return s.read(ctx, "", 2)
}

// readTopicV1 is the v1 read GET .../topics/{topic}: it subscribes to topic
// on first use and returns that topic's records.
func (s *Server) readTopicV1(ctx *fasthttp.RequestCtx) error {
	topic, err := pathParam(ctx, "topic")
	if err != nil {
		return err
	}
	return s.read(ctx, topic, 1)
}

var recordSlices = sync.Pool{New: func() any { return new([]*kgo.Record) }}

func (s *Server) read(ctx *fasthttp.RequestCtx, topic string, version int) error {
	return s.withInstance(ctx, func(inst *consumer.Instance) error {
		settings := inst.Settings()
		ct, err := recordsFormat(ctx.Request.Header.Peek(fasthttp.HeaderAccept), settings.Format, version)
		if err != nil {
			return err
		}
		lim, err := s.readLimits(ctx, settings)
		if err != nil {
			return err
		}
		if topic != "" {
			lim.Topic = topic
			if err := inst.AddTopic(topic); err != nil {
				return err
			}
		}
		rp := recordSlices.Get().(*[]*kgo.Record)
		recs, err := inst.Read(lim, (*rp)[:0])
		defer func() {
			clear(recs)
			*rp = recs[:0]
			recordSlices.Put(rp)
		}()
		if err != nil {
			return err
		}
		style := recordStyle{topic: version == 2, extensions: version == 2}
		buf := pool.GetBuffer()
		defer pool.PutBuffer(buf)
		buf.Grow(renderedSize(recs))
		if buf.B, err = s.appendRecords(buf.B, recs, settings.Format, style); err != nil {
			return err
		}
		// Hand the rendered body to fasthttp instead of copying it; its old
		// body buffer comes back to our pool.
		buf.B = ctx.Response.SwapBody(buf.B)[:0]
		ctx.SetContentType(ct)
		return nil
	})
}

// readLimits resolves timeout and max_bytes as Confluent's proxy does: the
// timeout parameter can only shorten the instance's wait, and max_bytes is
// capped by consumer.request.max.bytes.
func (s *Server) readLimits(ctx *fasthttp.RequestCtx, st consumer.Settings) (consumer.ReadLimits, error) {
	lim := consumer.ReadLimits{Wait: st.RequestTimeout, MaxBytes: s.cfg.Consumers.RequestMaxBytes, MinBytes: st.FetchMinBytes}
	args := ctx.QueryArgs()
	if v := args.Peek("timeout"); len(v) > 0 {
		ms, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return lim, badRequest(errQuery("timeout", v))
		}
		if ms > 0 {
			lim.Wait = min(lim.Wait, time.Duration(ms)*time.Millisecond)
		}
	}
	if v := args.Peek("max_bytes"); len(v) > 0 {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return lim, badRequest(errQuery("max_bytes", v))
		}
		if n > 0 {
			lim.MaxBytes = min(lim.MaxBytes, n)
		}
	}
	return lim, nil
}

type queryError struct {
	name  string
	value string
}

func (e queryError) Error() string { return e.name + "=" + e.value + " is not an integer" }

func errQuery(name string, v []byte) error { return queryError{name, string(v)} }

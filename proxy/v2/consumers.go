package v2

import (
	"bytes"
	"net/url"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/rest"
)

// decodeBody decodes an optional JSON body into v; an empty body leaves v
// as it is.
func decodeBody(r rest.Request, v any) error {
	if rest.IsBlank(r.Body) || string(bytes.TrimSpace(r.Body)) == "null" {
		return nil
	}
	return rest.DecodeJSON(r.Body, v)
}

func groupInstance(ctx *fasthttp.RequestCtx) (string, string, error) {
	g, err := rest.PathParam(ctx, "group")
	if err != nil {
		return "", "", err
	}
	i, err := rest.PathParam(ctx, "instance")
	return g, i, err
}

// withInstance runs f on the instance named by the path, holding it.
func (a *API) withInstance(ctx *fasthttp.RequestCtx, f func(inst *consumer.Instance) error) error {
	g, i, err := groupInstance(ctx)
	if err != nil {
		return err
	}
	inst, err := a.Consumers.Use(g, i, principal(ctx))
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

// CreateConsumer is POST /consumers/{group}.
func (a *API) CreateConsumer(ctx *fasthttp.RequestCtx, r rest.Request) error {
	group, err := rest.PathParam(ctx, "group")
	if err != nil {
		return err
	}
	if admin.NameTooLong(group) {
		return rest.Unprocessable("Invalid consumer group name: it can't be longer than %d characters, group: %s", admin.MaxGroupNameLength, codec.Clip(group, 40))
	}
	var req createConsumerRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	settings, err := a.instanceSettings(&req)
	if err != nil {
		return err
	}
	settings.Owner = principal(ctx)
	k, release, err := a.kafka(ctx)
	if err != nil {
		return err
	}
	release() // the instance keeps only the options
	settings.ClientOpts = k.ConsumerOpts
	if a.Directory != nil && settings.Name != "" {
		c, cancel := rest.KafkaContext()
		o, ok := a.Directory.LookupFresh(c, group, settings.Name)
		cancel()
		if ok && o.ID != a.Directory.Self().ID {
			return consumer.ErrInstanceExists // on another krest
		}
	}
	inst, err := a.Consumers.Create(group, settings)
	if err != nil {
		return err
	}
	if a.Directory != nil {
		c, cancel := rest.KafkaContext()
		err := a.Directory.Claim(c, group, inst.Name())
		cancel()
		if err != nil {
			_ = a.Consumers.Remove(group, inst.Name(), settings.Owner)
			return err
		}
	}
	var b []byte
	b = append(b, `{"instance_id":`...)
	b = codec.AppendQuote(b, inst.Name())
	b = append(b, `,"base_uri":`...)
	b = codec.AppendQuote(b, a.baseURI(ctx, group, inst.Name()))
	b = append(b, '}')
	ctx.SetBody(b)
	return nil
}

// baseURI builds an instance's URL on rest.BaseURL.
func (a *API) baseURI(ctx *fasthttp.RequestCtx, group, name string) string {
	return rest.BaseURL(ctx, a.Config) + "/consumers/" + pathEscape(group) + "/instances/" + pathEscape(name)
}

func pathEscape(s string) string { return url.PathEscape(s) }

// DeleteConsumer is DELETE /consumers/{group}/instances/{instance}.
func (a *API) DeleteConsumer(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	g, i, err := groupInstance(ctx)
	if err != nil {
		return err
	}
	if err := a.Consumers.Remove(g, i, principal(ctx)); err != nil {
		return err
	}
	return noContent(ctx)
}

// Subscribe is POST .../subscription.
func (a *API) Subscribe(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		var req subscriptionRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		if err := inst.Subscribe(req.Topics, req.TopicPattern); err != nil {
			return err
		}
		return noContent(ctx)
	})
}

// GetSubscription is GET .../subscription.
func (a *API) GetSubscription(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		return writeJSON(ctx, map[string][]string{"topics": inst.Subscription()})
	})
}

// Unsubscribe is DELETE .../subscription.
func (a *API) Unsubscribe(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		inst.Unsubscribe()
		return noContent(ctx)
	})
}

// Assign is POST .../assignments.
func (a *API) Assign(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		var req partitionsRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		if err := checkPartitions(req.Partitions); err != nil {
			return err
		}
		parts := map[string][]int32{}
		for _, tp := range req.Partitions {
			parts[tp.Topic] = append(parts[tp.Topic], int32(tp.Partition))
		}
		c, cancel := rest.KafkaContext()
		defer cancel()
		if err := inst.Assign(c, parts); err != nil {
			return err
		}
		return noContent(ctx)
	})
}

// GetAssignments is GET .../assignments.
func (a *API) GetAssignments(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		return writeJSON(ctx, partitionsRequest{Partitions: convert(inst.Assignment(), fromTopicPartition)})
	})
}

// Seek is POST .../positions: offsets, and timestamps (ISO-8601) looked up in Kafka.
func (a *API) Seek(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		var req seekRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		if !inst.Consuming() {
			return consumer.ErrNotConsuming
		}
		offsets := map[string]map[int32]int64{}
		for _, o := range req.Offsets {
			if o.Partition < 0 || o.Offset < 0 {
				return errNegativeOffsets
			}
			if offsets[o.Topic] == nil {
				offsets[o.Topic] = map[int32]int64{}
			}
			offsets[o.Topic][int32(o.Partition)] = int64(o.Offset)
		}
		if len(offsets) > 0 {
			if err := inst.Seek(offsets); err != nil {
				return err
			}
		}
		if len(req.Timestamps) > 0 {
			times := map[consumer.TopicPartition]time.Time{}
			for _, ts := range req.Timestamps {
				if ts.Partition < 0 {
					return rest.ErrPartitionNotFound
				}
				t, ok := codec.ParseTime([]byte(ts.Timestamp), false)
				if !ok {
					return rest.BadRequest(errTimestamp(ts.Timestamp))
				}
				times[consumer.TopicPartition{Topic: ts.Topic, Partition: int32(ts.Partition)}] = t
			}
			c, cancel := rest.KafkaContext()
			defer cancel()
			if err := inst.SeekToTimes(c, times); err != nil {
				return err
			}
		}
		return noContent(ctx)
	})
}

// errNegativeOffsets refuses a seek or commit to a negative partition or
// offset, which Kafka's consumer refuses too (IllegalArgumentException).
var errNegativeOffsets = rest.Unprocessable("offsets: partition and offset must not be negative")

// checkPartitions refuses a negative partition, which no topic has, before
// Kafka is asked about it.
func checkPartitions(tps []topicPartition) error {
	for _, tp := range tps {
		if tp.Partition < 0 {
			return rest.ErrPartitionNotFound
		}
	}
	return nil
}

type timestampError string

func (e timestampError) Error() string {
	return "timestamp=" + strconv.Quote(string(e)) + " is not an ISO-8601 date-time"
}

func errTimestamp(s string) error { return timestampError(s) }

// SeekToBeginning is POST .../positions/beginning.
func (a *API) SeekToBeginning(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.seekToEdge(ctx, r, true)
}

// SeekToEnd is POST .../positions/end.
func (a *API) SeekToEnd(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.seekToEdge(ctx, r, false)
}

func (a *API) seekToEdge(ctx *fasthttp.RequestCtx, r rest.Request, beginning bool) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		var req partitionsRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		if !inst.Consuming() {
			return consumer.ErrNotConsuming
		}
		if len(req.Partitions) == 0 {
			return noContent(ctx)
		}
		if err := checkPartitions(req.Partitions); err != nil {
			return err
		}
		c, cancel := rest.KafkaContext()
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

// CommitOffsets is POST .../offsets: the listed offsets, or with no body
// everything delivered so far. It answers with what was committed
// (Confluent's v2 answers [], its v1 this list).
func (a *API) CommitOffsets(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		var req commitRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		var explicit []consumer.Commit
		for _, o := range req.Offsets {
			if o.Partition < 0 || o.Offset < 0 {
				return errNegativeOffsets
			}
			explicit = append(explicit, consumer.Commit{Topic: o.Topic, Partition: int32(o.Partition), Consumed: int64(o.Offset), Metadata: o.Metadata})
		}
		c, cancel := rest.KafkaContext()
		defer cancel()
		done, err := inst.Commit(c, explicit)
		if err != nil {
			return err
		}
		return writeJSON(ctx, convert(done, fromCommit))
	})
}

// GetCommittedOffsets is GET .../offsets with {"partitions":[...]}; without
// a body it reports the instance's current partitions.
func (a *API) GetCommittedOffsets(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		var req partitionsRequest
		if err := decodeBody(r, &req); err != nil {
			return err
		}
		if err := checkPartitions(req.Partitions); err != nil {
			return err
		}
		c, cancel := rest.KafkaContext()
		defer cancel()
		offs, err := inst.CommittedOffsets(c, convert(req.Partitions, toTopicPartition))
		if err != nil {
			return err
		}
		return writeJSON(ctx, map[string][]partitionCommitted{"offsets": convert(offs, fromCommittedOffset)})
	})
}

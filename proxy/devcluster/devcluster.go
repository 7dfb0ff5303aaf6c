// Package devcluster starts the embedded single-node Kafka broker (franz-go's
// kfake) and Schema Registry (franz-go's srfake) that krest uses when no
// bootstrap.servers or schema.registry.url is configured, so that `make run`
// works on a machine without either. They are development tools: data lives
// in memory, the broker only listens on 127.0.0.1, and the registry accepts
// every schema change as compatible.
package devcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Retention of the in-memory dev broker: Kafka's default time (7 days) and
// at most RetentionBytes per partition, enforced every RetentionInterval, so
// a long-running dev proxy does not grow without bound.
const (
	RetentionBytes    = 128 << 20
	RetentionInterval = time.Minute
)

// MaxPartitions is the most partitions a topic may have on the dev broker.
// kfake creates as many as it is asked for, each with its own state in
// memory, so a create or a partition increase to 2,147,483,647 would grow
// the process without limit (a real broker's controller refuses such
// requests itself). Creates and increases past it are refused with Kafka's
// INVALID_PARTITIONS, whoever sends them: krest, or a client of the
// broker's port.
const MaxPartitions = 1000

// Cluster is a running embedded broker.
type Cluster struct {
	c    *kfake.Cluster
	stop chan struct{}
	done chan struct{}
}

// Start starts a broker on 127.0.0.1:port (0 picks a free port) that behaves
// like a stock Kafka broker for a developer: topics are created on first use
// with one partition, messages up to 10 MiB are accepted, and retention
// (7 days, RetentionBytes per partition) is applied every RetentionInterval.
func Start(port int) (*Cluster, error) {
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ClusterID("krest-dev"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(1),
		kfake.BrokerConfigs(map[string]string{
			"message.max.bytes":   "10485760",
			"log.retention.ms":    "604800000",
			"log.retention.bytes": fmt.Sprint(RetentionBytes),
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("starting embedded Kafka: %w", err)
	}
	capPartitions(c)
	dc := &Cluster{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	go dc.retain()
	return dc, nil
}

// errTooManyPartitions is the message of a refused create or increase.
var errTooManyPartitions = fmt.Sprintf("The dev broker holds at most %d partitions per topic (krest's embedded Kafka keeps them in memory).", MaxPartitions)

// capPartitions makes c refuse topic creates and partition increases past
// MaxPartitions. A request with such a topic is answered whole, each of
// its topics refused (the others as INVALID_REQUEST): the controls of
// kfake answer a request or leave it, they cannot answer half of it.
func capPartitions(c *kfake.Cluster) {
	c.ControlKey(int16(kmsg.CreateTopics), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.CreateTopicsRequest)
		over := func(t kmsg.CreateTopicsRequestTopic) bool {
			return t.NumPartitions > MaxPartitions || len(t.ReplicaAssignment) > MaxPartitions
		}
		if !slices.ContainsFunc(req.Topics, over) {
			return nil, nil, false
		}
		c.KeepControl()
		resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewCreateTopicsResponseTopic()
			rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Topic, -1, -1
			rt.ErrorCode, rt.ErrorMessage = refusal(over(t))
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.CreatePartitions), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.CreatePartitionsRequest)
		over := func(t kmsg.CreatePartitionsRequestTopic) bool { return t.Count > MaxPartitions }
		if !slices.ContainsFunc(req.Topics, over) {
			return nil, nil, false
		}
		c.KeepControl()
		resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewCreatePartitionsResponseTopic()
			rt.Topic = t.Topic
			rt.ErrorCode, rt.ErrorMessage = refusal(over(t))
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
}

// refusal is the error of one topic of a refused request.
func refusal(over bool) (int16, *string) {
	if over {
		return kerr.InvalidPartitions.Code, &errTooManyPartitions
	}
	msg := "Not done: another topic of the request asks for more partitions than the dev broker holds."
	return kerr.InvalidRequest.Code, &msg
}

// retain applies retention to every topic periodically: kfake only does so
// on its own for topics with a topic-level retention config.
func (c *Cluster) retain() {
	defer close(c.done)
	t := time.NewTicker(RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.c.ApplyRetention()
		}
	}
}

// Addrs returns the broker's host:port addresses, for bootstrap.servers.
func (c *Cluster) Addrs() []string { return c.c.ListenAddrs() }

// Close stops the broker and drops its data.
func (c *Cluster) Close() {
	close(c.stop)
	<-c.done
	c.c.Close()
}

// Registry is a running embedded Schema Registry.
type Registry struct {
	srv *http.Server
	url string
}

// StartRegistry serves a Confluent-compatible in-memory Schema Registry on
// addr (":8081" as Confluent's; port 0 picks a free one).
func StartRegistry(addr string) (*Registry, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting embedded Schema Registry: %w", err)
	}
	r := &Registry{srv: &http.Server{Handler: srfake.NewRegistry().Handler(), ReadHeaderTimeout: 10 * time.Second}}
	port := ln.Addr().(*net.TCPAddr).Port
	r.url = fmt.Sprintf("http://localhost:%d", port)
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return r, nil
}

// URL is the registry's address, for schema.registry.url.
func (r *Registry) URL() string { return r.url }

// Close stops the registry.
func (r *Registry) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.srv.Shutdown(ctx) //nolint:errcheck // nothing to do about it at exit
}

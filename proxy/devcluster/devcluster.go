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
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Retention of the in-memory dev broker: Kafka's default time (7 days) and
// at most RetentionBytes per partition, enforced every RetentionInterval, so
// a long-running dev proxy does not grow without bound.
const (
	RetentionBytes    = 128 << 20
	RetentionInterval = time.Minute
)

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
	dc := &Cluster{c: c, stop: make(chan struct{}), done: make(chan struct{})}
	go dc.retain()
	return dc, nil
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

// Package devcluster starts the embedded single-node Kafka broker (franz-go's
// kfake) that krest uses when no bootstrap.servers is configured, so that
// `make run` works on a machine without Kafka. It is a development tool: data
// lives in memory, and the broker only listens on 127.0.0.1.
package devcluster

import (
	"fmt"
	"time"

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

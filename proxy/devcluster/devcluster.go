// Package devcluster starts the embedded single-node Kafka broker (franz-go's
// kfake) that krest uses when no bootstrap.servers is configured, so that
// `make run` works on a machine without Kafka. It is a development tool: data
// lives in memory, and the broker only listens on 127.0.0.1.
package devcluster

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Cluster is a running embedded broker.
type Cluster struct {
	c *kfake.Cluster
}

// Start starts a broker on 127.0.0.1:port (0 picks a free port) that behaves
// like a stock Kafka broker for a developer: topics are created on first use
// with one partition, messages up to 10 MiB are accepted, and topics created
// with a retention setting are cleaned every minute.
func Start(port int) (*Cluster, error) {
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ClusterID("krest-dev"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(1),
		kfake.BrokerConfigs(map[string]string{
			"message.max.bytes":      "10485760",
			"log.cleaner.backoff.ms": "60000",
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("starting embedded Kafka: %w", err)
	}
	return &Cluster{c: c}, nil
}

// Addrs returns the broker's host:port addresses, for bootstrap.servers.
func (c *Cluster) Addrs() []string { return c.c.ListenAddrs() }

// Close stops the broker and drops its data.
func (c *Cluster) Close() { c.c.Close() }

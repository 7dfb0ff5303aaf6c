package metrics

import (
	"fmt"
	"net"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaHooks count one kind of client's broker traffic.
type kafkaHooks struct {
	connects, connectErrors, disconnects *vm.Counter
	written, read                        *vm.Counter
	latency                              *vm.PrometheusHistogram
	throttle                             *vm.FloatCounter
}

var (
	_ kgo.HookBrokerConnect    = (*kafkaHooks)(nil)
	_ kgo.HookBrokerDisconnect = (*kafkaHooks)(nil)
	_ kgo.HookBrokerE2E        = (*kafkaHooks)(nil)
	_ kgo.HookBrokerThrottle   = (*kafkaHooks)(nil)
)

// KafkaHooks returns the franz-go hooks of one kind of client ("producer",
// "admin" or "consumer"; every consumer instance shares one), to install
// with kgo.WithHooks: connections, connect errors, request latency,
// throttling and bytes written and read.
func (m *Metrics) KafkaHooks(kind string) kgo.Hook {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := fmt.Sprintf(`{client=%q}`, kind)
	h := &kafkaHooks{
		connects:      m.set.GetOrCreateCounter("krest_kafka_connects_total" + l),
		connectErrors: m.set.GetOrCreateCounter("krest_kafka_connect_errors_total" + l),
		disconnects:   m.set.GetOrCreateCounter("krest_kafka_disconnects_total" + l),
		written:       m.set.GetOrCreateCounter("krest_kafka_written_bytes_total" + l),
		read:          m.set.GetOrCreateCounter("krest_kafka_read_bytes_total" + l),
		latency:       m.set.GetOrCreatePrometheusHistogram("krest_kafka_request_duration_seconds" + l),
		throttle:      m.set.GetOrCreateFloatCounter("krest_kafka_throttle_seconds_total" + l),
	}
	m.set.GetOrCreateGauge("krest_kafka_connections"+l, func() float64 {
		return float64(h.connects.Get()) - float64(h.disconnects.Get())
	})
	return h
}

func (h *kafkaHooks) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		h.connectErrors.Inc()
		return
	}
	h.connects.Inc()
}

func (h *kafkaHooks) OnBrokerDisconnect(kgo.BrokerMetadata, net.Conn) { h.disconnects.Inc() }

func (h *kafkaHooks) OnBrokerE2E(_ kgo.BrokerMetadata, _ int16, e kgo.BrokerE2E) {
	h.written.Add(e.BytesWritten)
	h.read.Add(e.BytesRead)
	if e.Err() == nil {
		h.latency.Update(e.DurationE2E().Seconds())
	}
}

func (h *kafkaHooks) OnBrokerThrottle(_ kgo.BrokerMetadata, d time.Duration, _ bool) {
	h.throttle.Add(d.Seconds())
}

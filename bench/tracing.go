package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Rows 9 to 11: the cost of tracing. Row 2's load (one 100-byte record per
// request, 64 connections, no traceparent) against a krest of its own with
// tracing off (row 9), sampling 1% of the traces it starts (row 10:
// parentbased_traceidratio 0.01) and all of them (row 11: always_on). The
// traced krests export over OTLP/HTTP to a sink in this process that
// reads and drops what it gets. Compare "krest CPU µs/req" across the
// three, in the same run.
func rowTracingOff(cfg config, _ *krestProc, adm *kadm.Client) (row, error) {
	return rowTracing(cfg, adm, "9 produce 100 B × 1/req, tracing off", "")
}

func rowTracing1(cfg config, _ *krestProc, adm *kadm.Client) (row, error) {
	return rowTracing(cfg, adm, "10 produce 100 B × 1/req, tracing 1%", "parentbased_traceidratio")
}

func rowTracing100(cfg config, _ *krestProc, adm *kadm.Client) (row, error) {
	return rowTracing(cfg, adm, "11 produce 100 B × 1/req, tracing 100%", "always_on")
}

func rowTracing(cfg config, adm *kadm.Client, name, sampler string) (row, error) {
	const size = 100
	r := row{Name: name}
	args := []string{}
	var sink *otlpSink
	if sampler != "" {
		var err error
		if sink, err = startOTLPSink(); err != nil {
			return r, err
		}
		defer sink.close()
		args = append(args, "-o", "otel.exporter.otlp.endpoint="+sink.url, "-o", "otel.traces.sampler="+sampler, "-o", "otel.traces.sampler.arg=0.01")
	}
	k, err := startKrest(cfg.krest, cfg.brokers, args...)
	if err != nil {
		return r, err
	}
	defer k.stop()
	topic, err := createTopic(adm, "bench-tracing", 4)
	if err != nil {
		return r, err
	}
	res, err := measure(k, &r, size, whole(produceLoad{
		url: k.url + "/topics/" + topic, contentType: "application/vnd.kafka.binary.v2+json",
		body: binaryBody(1, size), recsPerReq: 1, conns: 64, duration: cfg.scale.requestDuration, label: "krest " + name,
	}.run))
	if err != nil {
		return r, err
	}
	r.Krest = toMetric(res, size)
	r.PeakRSSMiB = float64(k.stats().peakRSS) / (1 << 20)
	if err := k.stop(); err != nil { // exports the last spans
		return r, err
	}
	if sink != nil && sink.exports.Load() == 0 {
		return r, fmt.Errorf("%s: krest exported no spans", name)
	}
	return r, nil
}

// otlpSink takes OTLP/HTTP exports and drops them.
type otlpSink struct {
	url     string
	srv     *http.Server
	exports atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.exports.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty ExportTraceServiceResponse
	})}
	go s.srv.Serve(ln) //nolint:errcheck // ends with close
	return s, nil
}

func (s *otlpSink) close() { s.srv.Close() }

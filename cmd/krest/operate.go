package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/metrics"
)

// flagHelp says what each setting with a flag of its own does.
var flagHelp = map[string]string{
	"listeners":              "comma-separated listeners, http:// or https:// (default http://0.0.0.0:8082)",
	"port":                   "deprecated port of the listener, used when listeners is not set",
	"bootstrap.servers":      "Kafka brokers to bootstrap from, host:port,...; empty starts the embedded development broker",
	"schema.registry.url":    "Schema Registry URL; empty disables the schema formats (in dev mode an embedded registry starts)",
	"id":                     "this instance's id, part of generated consumer instance names",
	"host.name":              "deprecated host name for consumer base_uri links",
	"advertised.listeners":   "URLs clients use to reach this instance (consumer base_uri links)",
	"request.body.max.bytes": "largest request body, after gunzip; larger is 413 (default 16 MiB)",
	"idle.timeout.ms":        "idle keep-alive connections close after this (default 30000)",
	"shutdown.graceful.ms":   "SIGTERM finishes within this (default 30000)",
	"producer.buffer.memory": "bytes of records accepted but not yet acknowledged by Kafka, all requests together (default 256 MiB)",
	"producer.max.block.ms":  "how long a produce waits for room in producer.buffer.memory before 429 (default 5000)",
}

// secretKey reports settings whose values are never printed.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "secret", "jaas.config", "token", "user.info", "keystore.key", "credentials"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// printConfig writes the effective settings, each with where it comes
// from, secrets masked.
func printConfig(w io.Writer, props map[string]string, sources map[string]string) {
	all := config.Defaults()
	for k, v := range props {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, src := all[k], sources[k]
		if src == "" {
			src = "default"
		}
		if secretKey(k) && v != "" {
			v = "****"
		}
		fmt.Fprintf(w, "%s=%s\t# %s\n", k, v, src)
	}
}

// versionLine is what -version prints and the start-up line carries.
func versionLine() string {
	v, commit := metrics.Build()
	if metrics.Date != "" {
		return fmt.Sprintf("krest %s (commit %s of %s, %s)", v, commit, metrics.Date, runtime.Version())
	}
	return fmt.Sprintf("krest %s (commit %s, %s)", v, commit, runtime.Version())
}

// newLogger builds the logger of log.format (text or json) at level.
func newLogger(format string, level *slog.LevelVar) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("-log.format: %q is not text or json", format)
}

// serveDebug serves Go's pprof on addr (debug.listener): never on the
// public listener.
func serveDebug(addr string, log *slog.Logger) (io.Closer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug.listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln) //nolint:errcheck // ends at Close
	log.Info("pprof on http://" + ln.Addr().String() + "/debug/pprof/")
	return srv, nil
}

// serveMetrics serves GET /metrics on addr (metrics.listener).
func serveMetrics(addr string, write func(io.Writer), log *slog.Logger) (io.Closer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		write(w)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln) //nolint:errcheck // ends at Close
	log.Info("metrics on http://" + ln.Addr().String() + "/metrics")
	return srv, nil
}

// reload is SIGHUP: the config file's log.level applies at once. (Password
// files and certificates are re-read by themselves when they change.)
func reload(file string, level *slog.LevelVar, log *slog.Logger) {
	if file == "" {
		return
	}
	f, err := os.Open(file)
	if err != nil {
		log.Warn("SIGHUP: config file not re-read", "error", err)
		return
	}
	defer f.Close()
	props, err := config.ParseProperties(f)
	if err != nil {
		log.Warn("SIGHUP: config file not re-read", "error", err)
		return
	}
	if v, ok := props["log.level"]; ok {
		if err := level.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
			log.Warn("SIGHUP: log.level not changed", "error", err)
			return
		}
	}
	log.Info("SIGHUP: configuration re-read", "log.level", level.Level().String())
}

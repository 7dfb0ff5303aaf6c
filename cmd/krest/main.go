// Command krest serves the Confluent REST Proxy API for Apache Kafka.
//
// Settings use Confluent's key names and come from, in rising precedence, a
// Java properties file (-config), KREST_* environment variables
// (KREST_BOOTSTRAP_SERVERS sets bootstrap.servers) and flags (-bootstrap.servers,
// or -o key=value for any key). With no bootstrap.servers, krest starts an
// embedded single-node Kafka broker for development.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/krest-dev/krest/proxy"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/devcluster"
)

func main() {
	if err := run(os.Args[1:], os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "krest:", err)
		os.Exit(1)
	}
}

// flagKeys are the settings that also have a flag of their own.
var flagKeys = []string{
	"listeners", "port", "bootstrap.servers", "schema.registry.url", "id", "host.name",
	"advertised.listeners", "request.body.max.bytes", "idle.timeout.ms", "shutdown.graceful.ms",
	"producer.buffer.memory", "producer.max.block.ms",
}

type overrides map[string]string

func (o overrides) String() string { return "" }
func (o overrides) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	o[k] = v
	return nil
}

func run(args, environ []string) error {
	fs := flag.NewFlagSet("krest", flag.ContinueOnError)
	configFile := fs.String("config", "", "Java properties file with krest settings (Confluent key names)")
	devPort := fs.Int("dev.kafka.port", 0, "port of the embedded dev-mode Kafka broker (0 = any free port)")
	devRegistry := fs.String("dev.schema.registry.listen", ":8081", "address of the embedded dev-mode Schema Registry (port 0 = any free port)")
	logLevel := fs.String("log.level", "info", "log level: debug, info, warn or error (also log.level in the config file, re-read on SIGHUP)")
	logFormat := fs.String("log.format", "text", "log line format: text or json")
	showVersion := fs.Bool("version", false, "print the version, commit and Go version, and exit")
	showConfig := fs.Bool("print-config", false, "print the effective configuration, each key with its source (file, env, flag, default), secrets masked, and exit")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for PGO and bench profiles)")
	memProfile := fs.String("memprofile", "", "write a heap profile at shutdown to this file")
	set := overrides{}
	fs.Var(set, "o", "set any key, as key=value (repeatable)")
	flagVals := map[string]*string{}
	defaults := config.Defaults()
	for _, k := range flagKeys {
		def := defaults[k]
		flagVals[k] = fs.String(k, "", fmt.Sprintf("%s (key %s, default %q)", flagHelp[k], k, def))
	}
	if err := fs.Parse(args); err != nil {
		return err
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *memProfile != "" {
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0) //nolint:errcheck // best effort at exit
				f.Close()
			}
		}()
	}

	if *showVersion {
		fmt.Println(versionLine())
		return nil
	}
	level := &slog.LevelVar{}
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log.level: %w", err)
	}
	log, err := newLogger(*logFormat, level)
	if err != nil {
		return err
	}

	props, sources, err := gatherProps(*configFile, environ)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if p, ok := flagVals[f.Name]; ok {
			props[f.Name], sources[f.Name] = *p, "flag -"+f.Name
		}
	})
	for k, v := range set {
		props[k], sources[k] = v, "flag -o"
	}
	if *showConfig {
		printConfig(os.Stdout, props, sources)
		return nil
	}
	if v, ok := props["log.level"]; ok && sources["log.level"] != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("log.level: %w", err)
		}
	}
	cfg, err := config.Parse(props)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w)
	}

	kafkaDesc := "Kafka at " + strings.Join(cfg.BootstrapServers, ",")
	devMode := cfg.DevMode() // decided before the embedded broker's address fills bootstrap.servers
	var dev *devcluster.Cluster
	if devMode {
		if dev, err = devcluster.Start(*devPort); err != nil {
			return err
		}
		defer dev.Close()
		cfg.BootstrapServers = dev.Addrs()
		// The embedded broker lives and dies with this process: no peer
		// shares its consumers, so no directory topic clutters it.
		cfg.Consumers.Forwarding = "off"
		kafkaDesc = "embedded dev Kafka broker (kfake, in memory) at " + strings.Join(dev.Addrs(), ",") +
			"; set bootstrap.servers to use a real cluster"
	}

	registryDesc := ""
	if cfg.SchemaRegistryURL != "" {
		registryDesc = "; Schema Registry at " + cfg.SchemaRegistryURL
	} else if devMode {
		reg, err := devcluster.StartRegistry(*devRegistry)
		if err != nil {
			return err
		}
		defer reg.Close()
		cfg.SchemaRegistryURL = reg.URL()
		registryDesc = "; embedded dev Schema Registry (srfake, in memory, every schema compatible) at " + reg.URL() +
			"; set schema.registry.url to use a real one"
	}

	srv, err := proxy.New(cfg, log)
	if err != nil {
		return err
	}
	var lns []net.Listener
	for _, l := range cfg.Listeners {
		ln, err := srv.Listen(l)
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen %s: %w", l.Addr, err)
		}
		lns = append(lns, ln)
	}
	// Signals are caught before anything is served: a SIGHUP sent once
	// krest answers must reload, not end the process (its default action).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	serveErr := make(chan error, len(lns))
	addrs := make([]string, len(lns))
	for i, ln := range lns {
		addrs[i] = cfg.Listeners[i].Scheme + "://" + ln.Addr().String()
		go func() { serveErr <- srv.Serve(ln) }()
	}
	for _, side := range []struct {
		addr  string
		serve func(string, *slog.Logger) (io.Closer, error)
	}{
		{cfg.MetricsListener, func(a string, l *slog.Logger) (io.Closer, error) { return serveMetrics(a, srv.WriteMetrics, l) }},
		{cfg.DebugListener, serveDebug},
	} {
		if side.addr == "" {
			continue
		}
		c, err := side.serve(side.addr, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer c.Close()
	}
	log.Info(fmt.Sprintf("krest listening on %s; %s%s", strings.Join(addrs, ","), kafkaDesc, registryDesc), "version", versionLine())

	for {
		s := <-sig
		if s == syscall.SIGHUP {
			reload(*configFile, level, log)
			continue
		}
		log.Info("shutting down: finishing in-flight requests and flushing the producer", "signal", s.String())
		break
	}
	select {
	case err := <-serveErr:
		srv.Close()
		return err
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("krest stopped")
	return nil
}

// gatherProps reads the properties file (if any) and overlays KREST_*
// environment variables: KREST_BOOTSTRAP_SERVERS=x sets bootstrap.servers.
func gatherProps(file string, environ []string) (props, sources map[string]string, err error) {
	props, sources = map[string]string{}, map[string]string{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		if props, err = config.ParseProperties(f); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		for k := range props {
			sources[k] = "file " + file
		}
	}
	sort.Strings(environ)
	for _, kv := range environ {
		// Confluent's start script passes the JAAS file of HTTP Basic
		// users as -Djava.security.auth.login.config=… in KAFKAREST_OPTS.
		if opts, ok := strings.CutPrefix(kv, "KAFKAREST_OPTS="); ok {
			for f := range strings.FieldsSeq(opts) {
				if v, ok := strings.CutPrefix(f, "-Djava.security.auth.login.config="); ok {
					props["java.security.auth.login.config"] = strings.Trim(v, `"'`)
					sources["java.security.auth.login.config"] = "env KAFKAREST_OPTS"
				}
			}
		}
		k, v, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, "KREST_")
		if !ok || strings.HasPrefix(name, "TEST_") || name == "" {
			continue
		}
		key := strings.ReplaceAll(strings.ToLower(name), "_", ".")
		props[key], sources[key] = v, "env "+k
	}
	return props, sources, nil
}

// Command bench measures krest against the native Kafka clients on one real
// broker, back to back: the Java client's ProducerPerformance and
// ConsumerPerformance (from the same Maven jars as the broker) and franz-go.
//
// `make bench` (full, under 15 minutes) and `make bench-quick` (seconds per
// row) start the broker and run it; results go to bench/results/ as JSON and
// an SVG chart, and one table is printed.
//
// `bench load` runs the load generator alone against any krest:
//
//	go run ./bench load -url http://localhost:8082 -format binary -size 1024 -records-per-request 500 -conns 8 -count 1000000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/devcluster"
)

// scale is the size of a run.
type scale struct {
	name            string
	produceRecords  int64         // row 1
	requestDuration time.Duration // row 2
	consumeRecords  int64         // row 3
	avroRecords     int64         // row 4
	latencyRate     int           // row 5, records/s
	latencyDuration time.Duration
	idleInstances   int
}

var scales = map[string]scale{
	"full":  {"full", 1_000_000, 20 * time.Second, 1_000_000, 1_000_000, 1000, 20 * time.Second, 1000},
	"quick": {"quick", 100_000, 3 * time.Second, 100_000, 100_000, 500, 3 * time.Second, 100},
	// Reads of 50k: 5k took ~60 ms, too short for /proc's 10 ms CPU ticks
	// once the consumer rows measure their reads alone; 20k Avro records
	// for the same reason (2k cost krest under one tick, and its CPU read 0).
	"smoke": {"smoke", 5_000, time.Second, 50_000, 20_000, 100, time.Second, 10},
}

type config struct {
	brokers, libs, krest, out string
	scale                     scale
	java                      bool
	runs                      int             // repetitions of every row; the report gives medians
	krestArgs                 []string        // extra flags for krest (profiling)
	rows                      map[string]bool // rows to run ("1".."8", "idle"); nil = all
	log                       io.Writer
}

// metric is one measurement of one client.
type metric struct {
	Records       int64   `json:"records"`
	Seconds       float64 `json:"seconds"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	P50ms         float64 `json:"p50_ms,omitempty"`
	P99ms         float64 `json:"p99_ms,omitempty"`
	P999ms        float64 `json:"p999_ms,omitempty"`
	// CPU of the native client's process (0 for krest, whose CPU is in
	// row): seconds per GB of values and per million records.
	CPUSecPerGB       float64 `json:"cpu_sec_per_gb,omitempty"`
	CPUSecPerMRecords float64 `json:"cpu_sec_per_million_records,omitempty"`
	// The rest of the machine while it ran.
	Machine machineUse `json:"machine"`
}

// row is one line of the result table.
type row struct {
	Name  string  `json:"name"`
	Krest metric  `json:"krest"`
	Java  *metric `json:"java,omitempty"`
	Franz *metric `json:"franz_go,omitempty"`
	// FranzShape is franz-go in krest's shape, where that differs from
	// the plain baseline (row 3: four group members fetching as krest's
	// four instances do, against one client for every partition; rows 1
	// and 4: at most the records krest's HTTP clients have in flight).
	FranzShape      *metric `json:"franz_go_same_shape,omitempty"`
	RatioJava       float64 `json:"ratio_java,omitempty"`
	RatioFranz      float64 `json:"ratio_franz_go,omitempty"`
	RatioFranzShape float64 `json:"ratio_franz_go_same_shape,omitempty"`
	// Floor is the HTTP floor under the row's load (row 2): a do-nothing
	// fasthttp server in a process of its own. RatioFloor is krest's rate
	// over it, CPUVsFloor krest's CPU per request over its.
	Floor                *metric `json:"http_floor,omitempty"`
	FloorCPUMicrosPerReq float64 `json:"http_floor_cpu_us_per_request,omitempty"`
	RatioFloor           float64 `json:"ratio_http_floor,omitempty"`
	CPUVsFloor           float64 `json:"krest_cpu_vs_http_floor,omitempty"`
	// KafkaFloor is the Kafka floor under the same load (row 2): the HTTP
	// floor that also produces each body with franz-go and waits for the
	// ack. RatioKafkaFloor and CPUVsKafkaFloor hold krest to it;
	// KafkaFloorVsFloor is its CPU per request over the HTTP floor's, the
	// share of the bare exchange that the Kafka round trip adds.
	KafkaFloor                *metric `json:"kafka_floor,omitempty"`
	KafkaFloorCPUMicrosPerReq float64 `json:"kafka_floor_cpu_us_per_request,omitempty"`
	RatioKafkaFloor           float64 `json:"ratio_kafka_floor,omitempty"`
	CPUVsKafkaFloor           float64 `json:"krest_cpu_vs_kafka_floor,omitempty"`
	KafkaFloorVsFloor         float64 `json:"kafka_floor_cpu_vs_http_floor,omitempty"`
	// KafkaFloorVsFranz is the Kafka floor's rate over franz-go's (row 1):
	// what a proxy that did no work of its own would reach of the native
	// client's rate on this machine.
	KafkaFloorVsFranz float64 `json:"kafka_floor_vs_franz_go,omitempty"`
	// krest process CPU and memory while it served this row.
	CPUSecPerGB       float64 `json:"krest_cpu_sec_per_gb,omitempty"`
	CPUSecPerMRecords float64 `json:"krest_cpu_sec_per_million_records,omitempty"`
	CPUMicrosPerReq   float64 `json:"krest_cpu_us_per_request,omitempty"`
	// CPUVsFranz is krest's CPU per record over the franz-go baseline's.
	CPUVsFranz float64 `json:"krest_cpu_vs_franz_go,omitempty"`
	PeakRSSMiB float64 `json:"krest_peak_rss_mib"`
	// Runs are the repetitions this row is the median of (with -runs > 1),
	// and Spread their range.
	Runs   []row   `json:"runs,omitempty"`
	Spread *spread `json:"spread,omitempty"`
}

type report struct {
	Scale   string    `json:"scale"`
	Started time.Time `json:"started"`
	Machine string    `json:"machine"`
	Rows    []row     `json:"rows"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "native" {
		if err := nativeCommand(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench native:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		if err := floorCommand(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench floor:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "table" { // reprint a saved report
		b, err := os.ReadFile(os.Args[2])
		var rep report
		if err == nil {
			err = json.Unmarshal(b, &rep)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench table:", err)
			os.Exit(1)
		}
		printTable(os.Stdout, &rep)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "load" {
		if err := loadCommand(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	scaleName := flag.String("scale", "full", "full, quick or smoke")
	flag.StringVar(&cfg.brokers, "brokers", os.Getenv("KREST_TEST_BOOTSTRAP"), "Kafka bootstrap servers (make bench starts a broker)")
	flag.StringVar(&cfg.libs, "kafka-libs", "", "directory of the Kafka jars (for the Java perf tools)")
	flag.StringVar(&cfg.krest, "krest", "bin/krest", "krest binary")
	flag.StringVar(&cfg.out, "out", "bench/results", "directory for results (JSON, SVG)")
	krestArgs := flag.String("krest-args", "", "extra krest flags, space separated")
	logFile := flag.String("krest-log", "", "append krest's log to this file (add -krest-args \"-log.level debug\" for more)")
	rows := flag.String("rows", "", "comma-separated rows to run (1..12, idle); empty = all")
	runs := flag.Int("runs", 0, "repetitions of every row, reported as median and spread (0: 3 at full scale, else 1)")
	flag.BoolVar(&loadedFranzFirstFlag, "loaded-franz-first", false, "row 12 runs franz-go's side before krest's")
	flag.BoolVar(&warmUpFlag, "warm-up", true, "send untimed traffic through krest, franz-go and the broker before the first row (false: a profile of krest holds the rows' work only)")
	flag.BoolVar(&loadedStreamFlag, "loaded-stream", false, "row 12's krest side reads through an SSE stream instead of polls")
	flag.IntVar(&loadedRateFlag, "loaded-rate", 0, "row 12's records/s (0: half of row 1's krest rate in this run)")
	flag.StringVar(&floorProfile, "floor-cpuprofile", "", "write the HTTP floor server's CPU profile (row 2) to this file")
	flag.StringVar(&kafkaFloorProfile, "kafka-floor-cpuprofile", "", "write the Kafka floor server's CPU profile (row 2) to this file")
	cpuProfile := flag.String("cpuprofile", "", "write the bench process's own CPU profile (the load generator's) to this file")
	flag.Parse()
	s, ok := scales[*scaleName]
	if !ok || cfg.brokers == "" {
		fmt.Fprintln(os.Stderr, "bench: need -brokers and -scale full|quick|smoke")
		os.Exit(2)
	}
	cfg.scale, cfg.java, cfg.log = s, cfg.libs != "", os.Stdout
	cfg.krestArgs = strings.Fields(*krestArgs)
	cfg.runs = *runs
	if cfg.runs <= 0 {
		cfg.runs = 1
		if s.name == "full" {
			cfg.runs = 3
		}
	}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		defer f.Close()
		krestLog = f
	}
	if *rows != "" {
		cfg.rows = map[string]bool{}
		for _, r := range strings.Split(*rows, ",") {
			cfg.rows[strings.TrimSpace(r)] = true
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := run(cfg)
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	printTable(cfg.log, rep)
}

func run(cfg config) (*report, error) {
	rep := &report{Scale: cfg.scale.name, Started: time.Now().UTC(), Machine: machine()}
	reg, err := devcluster.StartRegistry("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	k, err := startKrest(cfg.krest, cfg.brokers, append([]string{"-schema.registry.url", reg.URL()}, cfg.krestArgs...)...)
	if err != nil {
		return nil, err
	}
	defer k.stop()
	adm, closeAdm, err := admin(cfg.brokers)
	if err != nil {
		return nil, err
	}
	defer closeAdm()

	steps := []func(config, *krestProc, *kadm.Client) (row, error){
		rowProduceBatch, rowProduceSmall, rowConsume, rowAvro, rowLatency, rowProduceStream, rowStreamLatency, rowStreamConsume,
		rowTracingOff, rowTracing1, rowTracing100, rowLoadedLatency,
	}
	if warmUpFlag {
		if err := warmUp(cfg, k, adm); err != nil {
			return nil, err
		}
		k.resetPeakRSS() // the rows' peak, not the warm-up's
	}
	// Every row once, then again: repetitions far apart in time see more
	// of the machine's noise than back-to-back ones.
	perStep := make([][]row, len(steps))
	for range max(cfg.runs, 1) {
		for i, step := range steps {
			if cfg.rows != nil && !cfg.rows[fmt.Sprint(i+1)] {
				continue
			}
			r, err := step(cfg, k, adm)
			if err != nil {
				return nil, err
			}
			if err := deleteTopics(adm); err != nil {
				return nil, err
			}
			if r.PeakRSSMiB == 0 { // a row with a krest of its own says its own
				r.PeakRSSMiB = float64(k.stats().peakRSS) / (1 << 20)
			}
			perStep[i] = append(perStep[i], r)
		}
	}
	for _, rs := range perStep {
		if len(rs) > 0 {
			rep.Rows = append(rep.Rows, aggregate(rs))
		}
	}
	if err := k.stop(); err != nil {
		return nil, err
	}
	if cfg.rows == nil || cfg.rows["idle"] {
		idle, err := rowIdle(cfg, adm)
		if err == nil {
			err = deleteTopics(adm)
		}
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, idle)
	}
	return rep, writeReport(cfg.out, rep)
}

// warmUpFlag (-warm-up) runs warmUp; on by default.
var warmUpFlag bool

// warmUp sends a quarter of row 1's records through krest and through
// franz-go, then a quarter of row 2's time of one-record requests through
// krest, and reads as many back through a group of four krest instances,
// untimed, before the first row. The broker's produce path is cold
// when the bench starts, and the first phase measured paid for it: row 1's
// krest side cost the broker 4.9–6.7 CPU-s/GB on a fresh broker against
// 2.3–3.2 a row later. The big requests alone (a few hundred) left it at
// 4.9; with the small ones (thousands, as the JIT wants) it measured 3.8
// against 3.2 a row later.
func warmUp(cfg config, k *krestProc, adm *kadm.Client) error {
	const size, perReq = 1024, 500
	topic, err := createTopic(adm, "bench-warmup", 4)
	if err != nil {
		return err
	}
	n := cfg.scale.produceRecords / 4
	if _, err := (produceLoad{
		url: k.url + "/topics/" + topic, contentType: "application/vnd.kafka.binary.v2+json",
		body: binaryBody(perReq, size), recsPerReq: perReq, conns: 8, total: n, label: "warm-up (krest)",
	}).run(); err != nil {
		return err
	}
	if _, err := franzProducerProcess(cfg.brokers, topic, n, 0, size, 8, false); err != nil {
		return err
	}
	// Thousands of small requests: the JIT compiles a request's path
	// after thousands of them, more than the big requests above make.
	if _, err := (produceLoad{
		url: k.url + "/topics/" + topic, contentType: "application/vnd.kafka.binary.v2+json",
		body: binaryBody(1, 100), recsPerReq: 1, conns: 64, duration: cfg.scale.requestDuration / 4, label: "warm-up (krest, small)",
	}).run(); err != nil {
		return err
	}
	// And the read path: the first consumer group of a fresh broker
	// (its offsets topic made on first use) took 3.3 s to balance in row
	// 3's first run, against 30 ms in the next.
	if _, err := krestConsumer(k.url, topic, 4, 4, n, func() {}); err != nil {
		return err
	}
	return deleteTopics(adm)
}

func admin(brokers string) (*kadm.Client, func(), error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl.Close, nil
}

// created holds the topics createTopic made since deleteTopics last ran.
var created struct {
	sync.Mutex
	names []string
}

func createTopic(adm *kadm.Client, name string, partitions int32) (string, error) {
	name = fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err == nil {
		created.Lock()
		created.names = append(created.names, name)
		created.Unlock()
	}
	return name, err
}

// deleteTopics deletes the topics a row created: a full run writes
// gigabytes, and three of them, kept, would fill a small disk.
func deleteTopics(adm *kadm.Client) error {
	created.Lock()
	names := created.names
	created.names = nil
	created.Unlock()
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resps, err := adm.DeleteTopics(ctx, names...)
	if err == nil {
		err = resps.Error()
	}
	if err == nil {
		waitDeleted(30 * time.Second)
	}
	return err
}

// waitDeleted waits, up to limit, until the broker has removed the files
// of the topics deleted (its log directories renamed "…-delete"), when the
// bench runs under .ci/kafka/with-broker.sh (whose broker removes them
// after a second, and keeps its data beside its pid file). Freeing a row's
// gigabytes of page cache costs the kernel CPU: done during the next row's
// first phase, it was charged to that phase.
func waitDeleted(limit time.Duration) {
	pidfile := os.Getenv("KREST_TEST_BROKER_PIDFILE")
	if pidfile == "" {
		return
	}
	data := filepath.Join(filepath.Dir(pidfile), "data")
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		entries, err := os.ReadDir(data)
		if err != nil {
			return
		}
		if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), "-delete") }) {
			return
		}
	}
}

func toMetric(r loadResult, recordBytes int) metric {
	s := r.elapsed.Seconds()
	m := metric{Records: r.records, Seconds: s, RecordsPerSec: float64(r.records) / s, MBPerSec: float64(r.records) * float64(recordBytes) / s / 1e6, Machine: r.machine}
	if r.cpu > 0 && r.records > 0 {
		m.CPUSecPerMRecords = r.cpu.Seconds() / float64(r.records) * 1e6
		m.CPUSecPerGB = r.cpu.Seconds() / (float64(r.records) * float64(recordBytes) / 1e9)
	}
	if len(r.latency) > 0 {
		m.P50ms, m.P99ms, m.P999ms = ms(r.latency.pct(0.5)), ms(r.latency.pct(0.99)), ms(r.latency.pct(0.999))
	}
	return m
}

// baseline runs a native client and returns its figures.
func baseline(size int, run func() (loadResult, error)) (*metric, error) {
	before := snapshot()
	res, err := run()
	if err != nil {
		return nil, err
	}
	m := toMetric(res, size)
	if res.machine.MachineBusyPct > 0 {
		m.Machine = res.machine // the process measured its timed phase itself
	} else {
		before.spent(snapshot(), float64(res.records)*float64(size), &m.Machine)
	}
	return &m, nil
}

// onNewTopic runs a native producer on a topic of its own, named after
// name.
func onNewTopic(adm *kadm.Client, name string, partitions int32, run func(topic string) (loadResult, error)) func() (loadResult, error) {
	return func() (loadResult, error) {
		topic, err := createTopic(adm, name, partitions)
		if err != nil {
			return loadResult{}, err
		}
		return run(topic)
	}
}

func ms(t time.Duration) float64 { return float64(t.Microseconds()) / 1000 }

// measure runs f while tracking krest's CPU, and fills the CPU columns.
// A load whose clock covers only part of it (a consumer group's join
// before, idle long polls after) marks the clock's start and end (see
// window); other loads ignore mark (see whole).
func measure(k *krestProc, r *row, bytesPerRecord int, f func(mark func()) (loadResult, error)) (loadResult, error) {
	w := newWindow(func() time.Duration { return k.stats().cpu })
	res, err := f(w.mark)
	if err != nil {
		return res, err
	}
	spent, from, to := w.close()
	from.spent(to, float64(res.records)*float64(bytesPerRecord), &res.machine)
	cpu := spent.Seconds()
	if res.records > 0 {
		r.CPUSecPerMRecords = cpu / float64(res.records) * 1e6
		r.CPUSecPerGB = cpu / (float64(res.records) * float64(bytesPerRecord) / 1e9)
	}
	if res.requests > 0 {
		r.CPUMicrosPerReq = cpu / float64(res.requests) * 1e6
	}
	return res, nil
}

// whole is a load for measure whose clock covers all of it.
func whole(run func() (loadResult, error)) func(func()) (loadResult, error) {
	return func(func()) (loadResult, error) { return run() }
}

func ratios(r *row) {
	if r.Java != nil && r.Java.RecordsPerSec > 0 {
		r.RatioJava = r.Krest.RecordsPerSec / r.Java.RecordsPerSec
	}
	if r.Franz != nil && r.Franz.RecordsPerSec > 0 {
		r.RatioFranz = r.Krest.RecordsPerSec / r.Franz.RecordsPerSec
	}
	if r.FranzShape != nil && r.FranzShape.RecordsPerSec > 0 {
		r.RatioFranzShape = r.Krest.RecordsPerSec / r.FranzShape.RecordsPerSec
	}
	if r.Franz != nil && r.Franz.CPUSecPerMRecords > 0 && r.CPUSecPerMRecords > 0 {
		r.CPUVsFranz = r.CPUSecPerMRecords / r.Franz.CPUSecPerMRecords
	}
	if r.Floor != nil && r.Floor.RecordsPerSec > 0 {
		r.RatioFloor = r.Krest.RecordsPerSec / r.Floor.RecordsPerSec
	}
	if r.FloorCPUMicrosPerReq > 0 && r.CPUMicrosPerReq > 0 {
		r.CPUVsFloor = r.CPUMicrosPerReq / r.FloorCPUMicrosPerReq
	}
	if r.KafkaFloor != nil && r.KafkaFloor.RecordsPerSec > 0 {
		r.RatioKafkaFloor = r.Krest.RecordsPerSec / r.KafkaFloor.RecordsPerSec
	}
	if r.KafkaFloorCPUMicrosPerReq > 0 && r.CPUMicrosPerReq > 0 {
		r.CPUVsKafkaFloor = r.CPUMicrosPerReq / r.KafkaFloorCPUMicrosPerReq
	}
	if r.KafkaFloorCPUMicrosPerReq > 0 && r.FloorCPUMicrosPerReq > 0 {
		r.KafkaFloorVsFloor = r.KafkaFloorCPUMicrosPerReq / r.FloorCPUMicrosPerReq
	}
	if r.KafkaFloor != nil && r.Franz != nil && r.Franz.RecordsPerSec > 0 {
		r.KafkaFloorVsFranz = r.KafkaFloor.RecordsPerSec / r.Franz.RecordsPerSec
	}
}

// Row 1: 1 KiB binary values, 500 records per request.
func rowProduceBatch(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	const size, perReq = 1024, 500
	r := row{Name: "1 produce 1 KiB × 500/req"}
	topic, err := createTopic(adm, "bench-produce-krest", 4)
	if err != nil {
		return r, err
	}
	reqs0 := krestRequests(k.url)
	load := produceLoad{
		url: k.url + "/topics/" + topic, contentType: "application/vnd.kafka.binary.v2+json",
		body: binaryBody(perReq, size), recsPerReq: perReq, conns: 8, total: cfg.scale.produceRecords, label: "krest produce",
	}
	res, err := measure(k, &r, size, whole(load.run))
	if err != nil {
		return r, err
	}
	fmt.Fprintf(os.Stderr, "  krest's producer made %d requests to the broker\n", krestRequests(k.url).since(reqs0).all[0])
	r.Krest = toMetric(res, size)
	row1Krest = r.Krest.RecordsPerSec
	if cfg.java {
		if r.Java, err = baseline(size, onNewTopic(adm, "bench-produce-java", 4, func(topic string) (loadResult, error) {
			return javaProducer(cfg.libs, cfg.brokers, topic, int(cfg.scale.produceRecords), size)
		})); err != nil {
			return r, err
		}
		row1Java = r.Java
	}
	if r.Franz, err = baseline(size, onNewTopic(adm, "bench-produce-franz", 4, func(topic string) (loadResult, error) {
		return franzProducerProcess(cfg.brokers, topic, cfg.scale.produceRecords, 0, size, 8, false)
	})); err != nil {
		return r, err
	}
	// krest's shape: 8 clients, each with one request of 500 records in
	// flight, waiting for all of them before the next.
	if r.FranzShape, err = baseline(size, onNewTopic(adm, "bench-produce-shape", 4, func(topic string) (loadResult, error) {
		return franzBatchesProcess(cfg.brokers, topic, cfg.scale.produceRecords, size, 8, perReq)
	})); err != nil {
		return r, err
	}
	// The Kafka floor: the same clients and bodies, each body produced as
	// 500 records of 1 KiB cut from it, with no JSON and no base64.
	floorTopic, err := createTopic(adm, "bench-produce-floor", 4)
	if err != nil {
		return r, err
	}
	if r.KafkaFloor, r.KafkaFloorCPUMicrosPerReq, err = floorLoad(load, size, "Kafka floor", "-brokers", cfg.brokers, "-topic", floorTopic,
		"-records", strconv.Itoa(perReq), "-size", strconv.Itoa(size)); err != nil {
		return r, err
	}
	ratios(&r)
	return r, nil
}

// Row 2: 100-byte values, 1 record per request, 64 connections.
func rowProduceSmall(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	const size = 100
	r := row{Name: "2 produce 100 B × 1/req, 64 conns"}
	topic, err := createTopic(adm, "bench-small-krest", 4)
	if err != nil {
		return r, err
	}
	load := produceLoad{
		url: k.url + "/topics/" + topic, contentType: "application/vnd.kafka.binary.v2+json",
		body: binaryBody(1, size), recsPerReq: 1, conns: 64, duration: cfg.scale.requestDuration, label: "krest 1-record requests",
	}
	reqs0 := krestRequests(k.url)
	res, err := measure(k, &r, size, whole(load.run))
	if err != nil {
		return r, err
	}
	fmt.Fprintf(os.Stderr, "  krest's producer made %d requests to the broker\n", krestRequests(k.url).since(reqs0).all[0])
	r.Krest = toMetric(res, size)
	if r.Floor, r.FloorCPUMicrosPerReq, err = floorLoad(load, size, "HTTP floor"); err != nil {
		return r, err
	}
	floorTopic, err := createTopic(adm, "bench-small-floor", 4)
	if err != nil {
		return r, err
	}
	if r.KafkaFloor, r.KafkaFloorCPUMicrosPerReq, err = floorLoad(load, size, "Kafka floor", "-brokers", cfg.brokers, "-topic", floorTopic); err != nil {
		return r, err
	}
	if r.Franz, err = baseline(size, onNewTopic(adm, "bench-small-franz", 4, func(topic string) (loadResult, error) {
		return franzProducerProcess(cfg.brokers, topic, 0, cfg.scale.requestDuration, size, 64, true)
	})); err != nil {
		return r, err
	}
	ratios(&r)
	return r, nil
}

// Row 3: consume 1 KiB binary records through 4 instances of one group.
func rowConsume(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	const size = 1024
	r := row{Name: "3 consume 1 KiB, 4 instances"}
	topic, err := createTopic(adm, "bench-consume", 4)
	if err != nil {
		return r, err
	}
	if _, err := franzProducer(cfg.brokers, topic, cfg.scale.consumeRecords, 0, size, 8, false); err != nil {
		return r, err
	}
	res, err := measure(k, &r, size, func(mark func()) (loadResult, error) {
		return krestConsumer(k.url, topic, 4, 4, cfg.scale.consumeRecords, mark)
	})
	if err != nil {
		return r, err
	}
	r.Krest = toMetric(res, size)
	if cfg.java {
		if r.Java, err = baseline(size, func() (loadResult, error) {
			return javaConsumer(cfg.libs, cfg.brokers, topic, int(cfg.scale.consumeRecords))
		}); err != nil {
			return r, err
		}
	}
	if r.Franz, err = baseline(size, func() (loadResult, error) {
		return franzConsumerProcess(cfg.brokers, topic, cfg.scale.consumeRecords)
	}); err != nil {
		return r, err
	}
	// krest's default consumer.buffer.max.bytes (8 MiB) fetches a quarter
	// of it at a time.
	if r.FranzShape, err = baseline(size, func() (loadResult, error) {
		return franzMembersProcess(cfg.brokers, topic, cfg.scale.consumeRecords, 4, 4, 2<<20)
	}); err != nil {
		return r, err
	}
	row3Java, row3Franz = r.Java, r.Franz
	ratios(&r)
	return r, nil
}

// Row 5: end-to-end latency at a fixed moderate rate.
func rowLatency(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	r := row{Name: fmt.Sprintf("5 e2e latency @ %d rec/s", cfg.scale.latencyRate)}
	topic, err := createTopic(adm, "bench-latency", 1)
	if err != nil {
		return r, err
	}
	lat, err := krestLatency(k.url, topic, cfg.scale.latencyRate, cfg.scale.latencyDuration)
	if err != nil {
		return r, err
	}
	r.Krest = latencyMetric(lat, cfg.scale.latencyDuration)
	ft, err := createTopic(adm, "bench-latency-franz", 1)
	if err != nil {
		return r, err
	}
	flat, err := franzLatency(cfg.brokers, ft, cfg.scale.latencyRate, cfg.scale.latencyDuration)
	if err != nil {
		return r, err
	}
	m := latencyMetric(flat, cfg.scale.latencyDuration)
	r.Franz = &m
	row5Franz = &m
	return r, nil
}

func latencyMetric(l latencies, d time.Duration) metric {
	return metric{Records: int64(len(l)), Seconds: d.Seconds(), RecordsPerSec: float64(len(l)) / d.Seconds(),
		P50ms: ms(l.pct(0.5)), P99ms: ms(l.pct(0.99)), P999ms: ms(l.pct(0.999))}
}

// Idle instances: RSS of a fresh krest holding n subscribed, unpolled
// consumer instances.
func rowIdle(cfg config, adm *kadm.Client) (row, error) {
	n := cfg.scale.idleInstances
	r := row{Name: fmt.Sprintf("idle: %d consumer instances", n)}
	k, err := startKrest(cfg.krest, cfg.brokers, "-o", "consumer.buffer.max.bytes=262144")
	if err != nil {
		return r, err
	}
	defer k.stop()
	topic, err := createTopic(adm, "bench-idle", 1)
	if err != nil {
		return r, err
	}
	start := time.Now()
	group := fmt.Sprintf("idle-%d", time.Now().UnixNano())
	for i := range n {
		if _, err := createInstance(k.url, group, fmt.Sprintf("c%d", i), topic, ""); err != nil {
			return r, err
		}
	}
	time.Sleep(2 * time.Second) // joins and heartbeats settle
	st := k.stats()
	r.Krest = metric{Records: int64(n), Seconds: time.Since(start).Seconds()}
	r.PeakRSSMiB = float64(st.rss) / (1 << 20)
	return r, nil
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func writeReport(dir string, rep *report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	base := filepath.Join(dir, "bench-"+rep.Scale)
	if err := os.WriteFile(base+".json", b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(base+".svg", []byte(chart(rep)), 0o644)
}

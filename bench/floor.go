package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// The HTTP floor: what one HTTP exchange costs on this machine at all.
// `bench floor` (this binary again, in a process of its own) serves a
// do-nothing fasthttp server that reads each request's body and answers
// the fixed 200 response of a one-record produce. Row 2 drives it with its
// own load (same generator, connections, body and duration) in the same
// run, so krest's one-record request is held to a ratio of the bare
// exchange's rate and CPU rather than to an absolute figure the machine
// decides.
//
// The Kafka floor is the same server producing each request's body with
// franz-go (krest's producer settings: acks=all, 5 ms linger, no
// compression) and answering once the broker has acknowledged it: the
// least any proxy on this stack spends on a one-record produce, with no
// JSON, no base64, no routing and no checks. What krest spends above it is
// krest's; what the Kafka floor spends above the HTTP floor is the Kafka
// round trip's, which no proxy avoids.

// The Kafka floor also reads (row 12): it takes consumer instances as
// krest's v2 API does (create, subscribe, records, delete; one instance at
// a time, its name and group ignored) and answers each records request
// with the values of the records a franz-go consumer of the topic holds or
// polls next (within ?timeout), up to ?max_bytes, as a JSON array. Each
// value is a request body it produced, so a read hands back the records
// exactly as they were sent, and row 12's generator finds the stamps in
// it as it finds them in krest's answers. It is the least a proxy on this
// stack spends to carry row 12's records both ways: the same HTTP
// clients, connections and requests, the same Kafka round trips, and no
// records taken apart or put together.

// floorResponse is what krest answers to a one-record produce.
const floorResponse = `{"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}`

// floorProfile and kafkaFloorProfile, when set (-floor-cpuprofile,
// -kafka-floor-cpuprofile), are where `bench floor` writes its CPU profile
// as the HTTP or the Kafka floor, up to its first SIGTERM.
var floorProfile, kafkaFloorProfile string

// floorCommand is `bench floor`: it listens on a loopback port, prints the
// address on stdout and serves until killed (with -cpuprofile, until
// SIGTERM, which ends the profile first).
func floorCommand(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	profile := fs.String("cpuprofile", "", "write a CPU profile here until SIGTERM")
	brokers := fs.String("brokers", "", "with -topic, produce each request's body here (the Kafka floor)")
	topic := fs.String("topic", "", "the Kafka floor's topic")
	split := fs.Int("records", 1, "the Kafka floor produces each body as this many records of -size bytes cut from it (row 1), not as one record")
	size := fs.Int("size", 0, "with -records above 1, each record's bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *split > 1 && *size <= 0 {
		return fmt.Errorf("-records %d needs -size", *split)
	}
	var requests brokerRequests // the Kafka floor's, printed on SIGTERM
	handler := func(ctx *fasthttp.RequestCtx) {
		_ = ctx.PostBody() // read, as krest reads it, and dropped
		ctx.SetContentType("application/vnd.kafka.v2+json")
		ctx.SetBodyString(floorResponse)
	}
	if (*brokers == "") != (*topic == "") {
		return fmt.Errorf("the Kafka floor needs both -brokers and -topic")
	}
	if *brokers != "" {
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...), kgo.DefaultProduceTopic(*topic),
			kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.WithHooks(&requests))
		if err != nil {
			return err
		}
		defer cl.Close()
		reader := &floorReader{brokers: *brokers, topic: *topic}
		defer reader.close()
		handler = func(ctx *fasthttp.RequestCtx) {
			if bytes.HasPrefix(ctx.Path(), []byte("/consumers/")) {
				reader.serve(ctx)
				return
			}
			// The body stays valid until the handler returns, and the
			// handler waits for the ack, so it is produced without a copy.
			if *split > 1 {
				body := ctx.PostBody()
				if len(body) < *split**size {
					ctx.Error("body shorter than -records × -size", fasthttp.StatusBadRequest)
					return
				}
				rs := recordSets.Get().(*recordSet)
				rs.cut(body, *split, *size)
				err := cl.ProduceSync(ctx, rs.ptrs...).FirstErr()
				recordSets.Put(rs)
				if err != nil {
					ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
					return
				}
				ctx.SetContentType("application/vnd.kafka.v2+json")
				ctx.SetBodyString(floorResponse)
				return
			}
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: ctx.PostBody()}).FirstErr(); err != nil {
				ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
				return
			}
			ctx.SetContentType("application/vnd.kafka.v2+json")
			ctx.SetBodyString(floorResponse)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stopProfile := func() {}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		stopProfile()
		fmt.Fprintf(os.Stderr, "produce requests: %d\n", requests.produce.Load())
		os.Exit(0)
	}()
	fmt.Println(ln.Addr().String())
	s := &fasthttp.Server{Name: "floor", Handler: handler}
	return s.Serve(ln)
}

// recordSet is the records the Kafka floor cuts one body into (-records),
// pooled: the floor spends nothing per record but franz-go's own work.
type recordSet struct {
	recs []kgo.Record
	ptrs []*kgo.Record
}

var recordSets = sync.Pool{New: func() any { return new(recordSet) }}

// cut makes rs n records of size bytes each, the first n×size of body.
func (rs *recordSet) cut(body []byte, n, size int) {
	if cap(rs.recs) < n {
		rs.recs, rs.ptrs = make([]kgo.Record, n), make([]*kgo.Record, n)
	}
	rs.recs, rs.ptrs = rs.recs[:n], rs.ptrs[:n]
	for i := range rs.recs {
		rs.recs[i] = kgo.Record{Value: body[i*size : (i+1)*size : (i+1)*size]}
		rs.ptrs[i] = &rs.recs[i]
	}
}

// floorReader is the Kafka floor's consumer instance.
type floorReader struct {
	brokers, topic string
	mu             sync.Mutex
	cl             *kgo.Client   // nil until an instance is created
	held           []*kgo.Record // polled, not yet answered
	out            []byte
}

// serve answers the consumer API's requests.
func (f *floorReader) serve(ctx *fasthttp.RequestCtx) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := string(ctx.Path())
	switch {
	case ctx.IsDelete():
		f.close()
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	case ctx.IsPost() && strings.HasSuffix(path, "/subscription"):
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	case ctx.IsPost():
		f.close()
		// krest's consumer settings (consumer.buffer.max.bytes of 8
		// MiB: two fetches of 2 MiB in flight or buffered).
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(f.brokers, ",")...), kgo.ConsumeTopics(f.topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchMaxBytes(2<<20), kgo.FetchMaxPartitionBytes(2<<20), kgo.MaxConcurrentFetches(2))
		if err != nil {
			ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
			return
		}
		f.cl = cl
		ctx.SetContentType("application/vnd.kafka.v2+json")
		fmt.Fprintf(ctx, `{"instance_id":"floor","base_uri":"http://%s%s/instances/floor"}`, ctx.Host(), path)
	case strings.HasSuffix(path, "/records") && f.cl != nil:
		// What franz-go holds is taken at every read (a poll of at
		// most a millisecond: a done context takes nothing), so that
		// its next fetches go out at once, as krest's prefetch does;
		// only a read that finds nothing waits, up to its timeout.
		now, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		f.held = append(f.held, f.cl.PollRecords(now, 0).Records()...)
		cancel()
		if len(f.held) == 0 {
			wait := time.Duration(ctx.QueryArgs().GetUintOrZero("timeout")) * time.Millisecond
			poll, cancel := context.WithTimeout(context.Background(), wait)
			f.held = f.cl.PollRecords(poll, 0).Records()
			cancel()
		}
		limit := ctx.QueryArgs().GetUintOrZero("max_bytes")
		if limit <= 0 {
			limit = 64 << 20
		}
		f.out = append(f.out[:0], '[')
		n := 0
		for n < len(f.held) && (n == 0 || len(f.out)+len(f.held[n].Value) <= limit) {
			if n > 0 {
				f.out = append(f.out, ',')
			}
			f.out = append(f.out, f.held[n].Value...)
			n++
		}
		f.held = f.held[n:]
		f.out = append(f.out, ']')
		ctx.SetContentType("application/vnd.kafka.binary.v2+json")
		ctx.SetBody(f.out)
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
	}
}

// close ends the instance, if any.
func (f *floorReader) close() {
	if f.cl != nil {
		f.cl.Close()
		f.cl, f.held = nil, nil
	}
}

// startFloor runs `bench floor` with extra (none for the HTTP floor) and
// waits until it answers; its CPU and RSS come from /proc as krest's do.
func startFloor(extra ...string) (*krestProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"floor"}
	profile := floorProfile
	if len(extra) > 0 {
		profile = kafkaFloorProfile
	}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	args = append(args, extra...)
	p := &krestProc{cmd: exec.Command(exe, args...)}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			p.cmd.Process.Kill()
			p.cmd.Wait()
			return nil, fmt.Errorf("bench floor did not start: %s", p.stderr.String())
		}
		p.url = "http://" + a
		return p, nil
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		p.cmd.Wait()
		return nil, fmt.Errorf("bench floor did not start: %s", p.stderr.String())
	}
}

// floorLoad measures a floor under load: the same load as krest's,
// against the bare server started with extra.
func floorLoad(load produceLoad, size int, label string, extra ...string) (*metric, float64, error) {
	f, err := startFloor(extra...)
	if err != nil {
		return nil, 0, err
	}
	load.url = f.url + "/topics/floor"
	load.label = label
	var r row
	res, err := measure(f, &r, size, whole(load.run))
	f.stop()
	if err != nil {
		return nil, 0, err
	}
	if len(extra) > 0 {
		n := strings.TrimSpace(strings.TrimPrefix(f.stderr.String(), "produce requests:"))
		fmt.Fprintf(os.Stderr, "  the %s made %s produce requests to the broker\n", label, n)
	}
	m := toMetric(res, size)
	m.CPUSecPerMRecords, m.CPUSecPerGB = r.CPUSecPerMRecords, r.CPUSecPerGB
	return &m, r.CPUMicrosPerReq, nil
}

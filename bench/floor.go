package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strings"
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
	if err := fs.Parse(args); err != nil {
		return err
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
		handler = func(ctx *fasthttp.RequestCtx) {
			// The body stays valid until the handler returns, and the
			// handler waits for the ack, so it is produced without a copy.
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

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

// floorResponse is what krest answers to a one-record produce.
const floorResponse = `{"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}`

// floorProfile, when set (-floor-cpuprofile), is where `bench floor`
// writes its CPU profile, up to its first SIGTERM.
var floorProfile string

// floorCommand is `bench floor`: it listens on a loopback port, prints the
// address on stdout and serves until killed (with -cpuprofile, until
// SIGTERM, which ends the profile first).
func floorCommand(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	profile := fs.String("cpuprofile", "", "write a CPU profile here until SIGTERM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		go func() {
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	fmt.Println(ln.Addr().String())
	s := &fasthttp.Server{
		Name: "floor",
		Handler: func(ctx *fasthttp.RequestCtx) {
			_ = ctx.PostBody() // read, as krest reads it, and dropped
			ctx.SetContentType("application/vnd.kafka.v2+json")
			ctx.SetBodyString(floorResponse)
		},
	}
	return s.Serve(ln)
}

// startFloor runs `bench floor` and waits until it answers; its CPU and
// RSS come from /proc as krest's do.
func startFloor() (*krestProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"floor"}
	if floorProfile != "" {
		args = append(args, "-cpuprofile", floorProfile)
	}
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

// floorLoad measures the floor under load: the same load as krest's,
// against the bare server.
func floorLoad(load produceLoad, size int) (*metric, float64, error) {
	f, err := startFloor()
	if err != nil {
		return nil, 0, err
	}
	defer f.stop()
	load.url = f.url + "/topics/floor"
	load.label = "HTTP floor"
	var r row
	res, err := measure(f, &r, size, whole(load.run))
	if err != nil {
		return nil, 0, err
	}
	m := toMetric(res, size)
	m.CPUSecPerMRecords, m.CPUSecPerGB = r.CPUSecPerMRecords, r.CPUSecPerGB
	return &m, r.CPUMicrosPerReq, nil
}

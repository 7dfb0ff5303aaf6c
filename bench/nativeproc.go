package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// The franz-go baselines of rows 1 to 4 run as processes of their own
// (`bench native …`, this binary again), so that their CPU is measured as
// krest's is: what the process spent, not what the bench's own goroutines
// did beside it.

// nativeRun is what a native-client process prints: its figures and the
// CPU it spent in its window (the consumers' timed reads; a producer's whole
// run from creating its client).
type nativeRun struct {
	Records    int64   `json:"records"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	// Machine is the broker and the machine over the consumers' timed
	// phase (their join left out), when the process measured it.
	Machine *machineUse `json:"machine,omitempty"`
	// Produce and Fetch count the requests the process's clients made to
	// the brokers (bench prints them: the broker's cost follows them).
	Produce int64 `json:"produce_requests"`
	Fetch   int64 `json:"fetch_requests"`
}

// processCPU is the CPU time this process has spent, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nativeCommand is `bench native`: one franz-go baseline, its result as
// JSON on out.
func nativeCommand(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("native", flag.ContinueOnError)
	mode := fs.String("mode", "", "produce (asynchronous), produce-sync (each record awaited), produce-batches (-batch records awaited at a time), avro (the bench Avro record), consume or consume-members")
	brokers := fs.String("brokers", "", "Kafka bootstrap servers")
	topic := fs.String("topic", "", "topic")
	records := fs.Int64("records", 0, "records (0: run for -duration)")
	duration := fs.Duration("duration", 0, "how long to produce when -records is 0")
	size := fs.Int("size", 1024, "value bytes")
	conns := fs.Int("conns", 8, "producing goroutines, or consuming group members")
	partitions := fs.Int("partitions", 4, "the topic's partitions (consume-members)")
	fetchBytes := fs.Int("fetch-bytes", 2<<20, "bytes per fetch and partition (consume-members)")
	schemaID := fs.Int("schema-id", 0, "the bench Avro schema's registry id (avro)")
	batch := fs.Int("batch", 0, "records each goroutine produces and awaits at a time (produce-batches; avro with -conns > 0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := newWindow(processCPU)
	var res loadResult
	var err error
	switch *mode {
	case "produce", "produce-sync":
		res, err = franzProducer(*brokers, *topic, *records, *duration, *size, *conns, *mode == "produce-sync")
	case "produce-batches":
		res, err = franzBatches(*brokers, *topic, *records, *size, *conns, *batch)
	case "avro":
		res, err = franzAvro(*brokers, *topic, *schemaID, *records, *conns, *batch)
	case "consume":
		res, err = franzConsumer(*brokers, *topic, *records, w.mark)
	case "consume-members":
		res, err = franzMembers(*brokers, *topic, *records, *conns, *partitions, int32(*fetchBytes), w.mark)
	default:
		return fmt.Errorf("-mode %q: want produce, produce-sync, produce-batches, avro, consume or consume-members", *mode)
	}
	if err != nil {
		return err
	}
	cpu, from, to := w.close()
	run := nativeRun{Records: res.records, Seconds: res.elapsed.Seconds(), CPUSeconds: cpu.Seconds(),
		Produce: franzRequests.produce.Load(), Fetch: franzRequests.fetch.Load()}
	if *mode == "consume" || *mode == "consume-members" { // the producers' window is their whole run, which the bench measures
		run.Machine = new(machineUse)
		from.spent(to, float64(res.records)*float64(*size), run.Machine)
		run.Machine.LoadCPUSecPerGB = 0 // this process is the native client, not the bench's load generator
	}
	return json.NewEncoder(out).Encode(run)
}

// franzProcess runs `bench native` with args and returns its figures.
func franzProcess(args ...string) (loadResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadResult{}, err
	}
	cmd := exec.Command(exe, append([]string{"native"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return loadResult{}, fmt.Errorf("franz-go baseline: %v\n%s", err, stderr.Bytes())
	}
	var r nativeRun
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return loadResult{}, fmt.Errorf("franz-go baseline printed %q: %v", out, err)
	}
	if r.Produce+r.Fetch > 0 { // the producers count theirs
		fmt.Fprintf(os.Stderr, "  franz-go (%s) made %d produce and %d fetch requests to the broker\n", args[1], r.Produce, r.Fetch)
	}
	res := loadResult{records: r.Records, elapsed: time.Duration(r.Seconds * float64(time.Second)), cpu: time.Duration(r.CPUSeconds * float64(time.Second))}
	if r.Machine != nil {
		res.machine = *r.Machine
	}
	return res, nil
}

// franzProducerProcess is franzProducer in a process of its own.
func franzProducerProcess(brokers, topic string, records int64, duration time.Duration, size, conns int, waitEach bool) (loadResult, error) {
	mode := "produce"
	if waitEach {
		mode = "produce-sync"
	}
	return franzProcess("-mode", mode, "-brokers", brokers, "-topic", topic, "-records", strconv.FormatInt(records, 10),
		"-duration", duration.String(), "-size", strconv.Itoa(size), "-conns", strconv.Itoa(conns))
}

// franzBatchesProcess is franzBatches in a process of its own.
func franzBatchesProcess(brokers, topic string, records int64, size, conns, batch int) (loadResult, error) {
	return franzProcess("-mode", "produce-batches", "-brokers", brokers, "-topic", topic, "-records", strconv.FormatInt(records, 10),
		"-size", strconv.Itoa(size), "-conns", strconv.Itoa(conns), "-batch", strconv.Itoa(batch))
}

// franzConsumerProcess is franzConsumer in a process of its own.
func franzConsumerProcess(brokers, topic string, records int64) (loadResult, error) {
	return franzProcess("-mode", "consume", "-brokers", brokers, "-topic", topic, "-records", strconv.FormatInt(records, 10))
}

// franzMembersProcess is franzMembers in a process of its own.
func franzMembersProcess(brokers, topic string, records int64, members, partitions, fetchBytes int) (loadResult, error) {
	return franzProcess("-mode", "consume-members", "-brokers", brokers, "-topic", topic, "-records", strconv.FormatInt(records, 10),
		"-conns", strconv.Itoa(members), "-partitions", strconv.Itoa(partitions), "-fetch-bytes", strconv.Itoa(fetchBytes))
}

// childCPU is the CPU a finished child process spent (the kernel's
// accounting, the counters /proc/<pid>/stat shows while it runs). For the
// Java tools it includes the JVM's start and JIT, which their own timing
// leaves out.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// usage is a snapshot of where the machine's CPU went: the bench process
// (the load generator), the broker, and the machine as a whole. The bench
// shares two cores with the broker and krest, so these say whether a row
// was limited by krest or by the machine.
type usage struct {
	bench, broker time.Duration
	busy, total   int64 // jiffies of /proc/stat's cpu line
}

// brokerPID is the broker's pid when the bench runs under
// .ci/kafka/with-broker.sh (0 otherwise).
func brokerPID() int {
	b, err := os.ReadFile(os.Getenv("KREST_TEST_BROKER_PIDFILE"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func snapshot() usage {
	u := usage{bench: processCPU()}
	if pid := brokerPID(); pid > 0 {
		if st, err := readProcStats(pid); err == nil {
			u.broker = st.cpu
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseInt(f, 10, 64)
			u.total += v
			if i != 3 && i != 4 { // idle, iowait
				u.busy += v
			}
		}
	}
	return u
}

// spent is what the machine did between u and a later snapshot, per GB of
// values moved (bytes), into m's machine fields.
func (u usage) spent(later usage, bytes float64, m *machineUse) {
	if bytes <= 0 {
		return
	}
	gb := bytes / 1e9
	m.LoadCPUSecPerGB = (later.bench - u.bench).Seconds() / gb
	m.BrokerCPUSecPerGB = (later.broker - u.broker).Seconds() / gb
	if dt := later.total - u.total; dt > 0 {
		m.MachineBusyPct = float64(later.busy-u.busy) / float64(dt) * 100
	}
}

// machineUse is the machine around one measurement.
type machineUse struct {
	// LoadCPUSecPerGB is the bench process's CPU (krest's load
	// generator and HTTP clients; ~0 while a native baseline, a process
	// of its own, runs).
	LoadCPUSecPerGB float64 `json:"load_cpu_sec_per_gb,omitempty"`
	// BrokerCPUSecPerGB is the broker's CPU.
	BrokerCPUSecPerGB float64 `json:"broker_cpu_sec_per_gb,omitempty"`
	// MachineBusyPct is how busy all cores were, in percent.
	MachineBusyPct float64 `json:"machine_busy_pct,omitempty"`
}

// window is the part of a load that its clock covers. A load whose clock
// starts after a setup (a consumer group's join) or stops before a tail
// (the other readers' long polls running out after the last record) marks
// both ends, so that the CPU and machine columns cover what the rate
// covers; without marks the window is the whole load.
type window struct {
	proc       func() time.Duration // the measured process's CPU so far
	mu         sync.Mutex
	start, end windowMark
	marks      int
}

type windowMark struct {
	cpu time.Duration
	at  usage
}

func newWindow(proc func() time.Duration) *window {
	return &window{proc: proc, start: windowMark{proc(), snapshot()}}
}

// mark marks the start of the clock on its first call and its end on the
// second; later calls are ignored. Loads may call it from any goroutine.
func (w *window) mark() {
	m := windowMark{w.proc(), snapshot()}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.marks {
	case 0:
		w.start = m
	case 1:
		w.end = m
	}
	w.marks++
}

// close returns the CPU the process spent in the window, and the machine
// snapshots at its ends (the end is now when the load did not mark one).
func (w *window) close() (cpu time.Duration, from, to usage) {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := w.end
	if w.marks < 2 {
		end = windowMark{w.proc(), snapshot()}
	}
	return end.cpu - w.start.cpu, w.start.at, end.at
}

package main

import (
	"os"
	"strconv"
	"strings"
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

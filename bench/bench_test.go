package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/krest-dev/krest/proxy/testenv"
)

// TestSmoke runs every row at the smoke scale against the real broker, to
// prove the bench tools work (make test runs it; timing is never asserted).
func TestSmoke(t *testing.T) {
	brokers := strings.Join(testenv.Broker(t), ",")
	dir := t.TempDir()
	bin := buildKrest(t)
	libs, err := exec.Command("../.ci/kafka/fetch-jars.sh").Output()
	if err != nil {
		t.Fatalf("fetch-jars: %v", err)
	}
	var log strings.Builder
	rep, err := run(config{brokers: brokers, libs: strings.TrimSpace(string(libs)), krest: bin, out: dir, scale: scales["smoke"], java: true, log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 13 { // rows 1 to 12 and idle
		t.Fatalf("%d rows", len(rep.Rows))
	}
	for _, r := range rep.Rows[:4] {
		if r.Krest.Records == 0 || r.Franz == nil || r.Franz.Records == 0 {
			t.Errorf("row %q measured nothing: %+v", r.Name, r)
		}
	}
	if rep.Rows[0].Java == nil || rep.Rows[2].Java == nil {
		t.Error("the Java baselines did not run")
	} else if rep.Rows[0].Java.CPUSecPerGB <= 0 || rep.Rows[2].Java.CPUSecPerGB <= 0 {
		t.Error("the Java baselines' CPU was not measured")
	}
	if r := rep.Rows[0]; r.FranzShape == nil || r.FranzShape.Records == 0 || r.FranzShape.CPUSecPerMRecords <= 0 || r.RatioFranzShape <= 0 {
		t.Errorf("row 1's franz-go baseline in krest's shape did not run: %+v", r.FranzShape)
	}
	if r := rep.Rows[0]; r.KafkaFloor == nil || r.KafkaFloor.Records == 0 || r.KafkaFloorCPUMicrosPerReq <= 0 || r.RatioKafkaFloor <= 0 || r.KafkaFloorVsFranz <= 0 {
		t.Errorf("row 1's Kafka floor did not run: %+v", r.KafkaFloor)
	}
	if r := rep.Rows[2]; r.FranzShape == nil || r.FranzShape.Records == 0 || r.RatioFranzShape <= 0 {
		t.Errorf("row 3's franz-go baseline in krest's shape did not run: %+v", r.FranzShape)
	}
	if r := rep.Rows[3]; r.FranzShape == nil || r.FranzShape.Records == 0 || r.FranzShape.CPUSecPerMRecords <= 0 || r.RatioFranzShape <= 0 {
		t.Errorf("row 4's franz-go baseline in krest's shape did not run: %+v", r.FranzShape)
	}
	if r := rep.Rows[1]; r.Floor == nil || r.Floor.Records == 0 || r.FloorCPUMicrosPerReq <= 0 || r.RatioFloor <= 0 || r.CPUVsFloor <= 0 {
		t.Errorf("row 2's HTTP floor did not run: %+v", r.Floor)
	}
	if r := rep.Rows[1]; r.KafkaFloor == nil || r.KafkaFloor.Records == 0 || r.KafkaFloorCPUMicrosPerReq <= 0 || r.CPUVsKafkaFloor <= 0 || r.KafkaFloorVsFloor <= 0 {
		t.Errorf("row 2's Kafka floor did not run: %+v", r.KafkaFloor)
	}
	if r := rep.Rows[11]; r.Krest.P99ms <= 0 || r.Franz == nil || r.Franz.P99ms <= 0 || r.Krest.Records == 0 {
		t.Errorf("the loaded latency row measured nothing: %+v", r)
	}
	if f := rep.Rows[11].KafkaFloor; f == nil || f.P99ms <= 0 || f.Records == 0 || f.CPUSecPerGB <= 0 {
		t.Errorf("row 12's Kafka floor did not run: %+v", f)
	}
	if m := rep.Rows[2].Krest.Machine; m.MachineBusyPct <= 0 || m.BrokerCPUSecPerGB <= 0 || m.LoadCPUSecPerGB <= 0 {
		t.Errorf("row 3's machine use was not measured: %+v", m)
	}
	for _, r := range rep.Rows[:4] { // franz-go in a process of its own
		if r.Franz == nil || r.Franz.CPUSecPerMRecords <= 0 || r.CPUVsFranz <= 0 {
			t.Errorf("row %q: franz-go's CPU was not measured: %+v", r.Name, r.Franz)
		}
	}
	if r := rep.Rows[5]; r.Krest.Records == 0 || r.Franz == nil || r.Java == nil {
		t.Errorf("stream row measured nothing: %+v", r)
	}
	if r := rep.Rows[6]; r.Krest.P50ms <= 0 || r.Franz == nil {
		t.Errorf("SSE latency row measured nothing: %+v", r)
	}
	if r := rep.Rows[7]; r.Krest.Records == 0 || r.Franz == nil || r.Java == nil {
		t.Errorf("SSE consume row measured nothing: %+v", r)
	}
	if r := rep.Rows[4]; r.Krest.P50ms <= 0 || r.Franz.P50ms <= 0 {
		t.Errorf("latency row measured nothing: %+v", r)
	}
	for _, r := range rep.Rows[8:11] { // tracing off, at 1% and at 100%
		if r.Krest.Records == 0 || r.CPUMicrosPerReq <= 0 {
			t.Errorf("tracing row %q measured nothing: %+v", r.Name, r)
		}
	}
	for _, f := range []string{"bench-smoke.json", "bench-smoke.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	t.Log("\n" + markdownTable(rep))
}

var (
	krestOnce sync.Once
	krestBin  string
	krestErr  error
)

// buildKrest builds cmd/krest once per test binary.
func buildKrest(t *testing.T) string {
	t.Helper()
	krestOnce.Do(func() {
		dir, err := os.MkdirTemp("", "krest-bench-test")
		if err != nil {
			krestErr = err
			return
		}
		krestBin = filepath.Join(dir, "krest")
		if out, err := exec.Command("go", "build", "-o", krestBin, "../cmd/krest").CombinedOutput(); err != nil {
			krestErr = fmt.Errorf("build krest: %v\n%s", err, out)
		}
	})
	if krestErr != nil {
		t.Fatal(krestErr)
	}
	return krestBin
}

// TestLoadCommand drives a dev-mode krest (embedded broker and registry)
// with `bench load` in every format, and checks every record was
// acknowledged; a bad flag is an error, not a run.
func TestLoadCommand(t *testing.T) {
	k, err := startKrest(buildKrest(t), "", "-dev.schema.registry.listen", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer k.stop()
	for _, format := range []string{"binary", "json", "avro", "jsonschema", "protobuf"} {
		var out strings.Builder
		err := loadCommand([]string{"-url", k.url, "-topic", "load-" + format, "-format", format,
			"-size", "100", "-records-per-request", "50", "-conns", "4", "-count", "1000"}, &out)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !strings.HasPrefix(out.String(), "1000 records in 20 requests") {
			t.Errorf("%s: %s", format, out.String())
		}
	}
	var out strings.Builder
	if err := loadCommand([]string{"-url", k.url, "-format", "xml"}, &out); err == nil {
		t.Error("-format xml accepted")
	}
}

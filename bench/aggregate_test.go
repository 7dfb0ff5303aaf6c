package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the franz-go baseline process
// (`bench native`) and the HTTP floor (`bench floor`), as the bench binary
// does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "native" {
		if err := nativeCommand(os.Args[2:], os.Stdout); err != nil {
			os.Stderr.WriteString("bench native: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		if err := floorCommand(os.Args[2:]); err != nil {
			os.Stderr.WriteString("bench floor: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestAggregate(t *testing.T) {
	run := func(krest, java, franz, cpu, franzCPU, rss float64) row {
		r := row{Name: "r", Krest: metric{RecordsPerSec: krest}, Java: &metric{RecordsPerSec: java},
			Franz: &metric{RecordsPerSec: franz, CPUSecPerMRecords: franzCPU}, CPUSecPerMRecords: cpu, PeakRSSMiB: rss}
		ratios(&r)
		return r
	}
	got := aggregate([]row{run(100, 100, 200, 2, 1, 50), run(90, 60, 100, 3, 1, 70), run(120, 100, 100, 2, 2, 60)})
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"krest rec/s", got.Krest.RecordsPerSec, 100},
		{"java rec/s", got.Java.RecordsPerSec, 100},
		{"franz rec/s", got.Franz.RecordsPerSec, 100},
		{"krest/java (per-run ratios 1, 1.5, 1.2)", got.RatioJava, 1.2},
		{"krest/franz (0.5, 0.9, 1.2)", got.RatioFranz, 0.9},
		{"cpu vs franz (2, 3, 1)", got.CPUVsFranz, 2},
		{"peak rss (highest)", got.PeakRSSMiB, 70},
		{"krest spread ±% of median", got.Spread.KrestPct, 15},
		{"krest/java low", got.Spread.RatioJava[0], 1},
		{"krest/java high", got.Spread.RatioJava[1], 1.5},
	} {
		if c.got < c.want-1e-9 || c.got > c.want+1e-9 {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(got.Runs) != 3 {
		t.Errorf("%d runs kept", len(got.Runs))
	}
	if one := aggregate([]row{run(1, 1, 1, 1, 1, 1)}); one.Spread != nil || one.Runs != nil {
		t.Errorf("one run got a spread: %+v", one)
	}
	table := markdownTable(&report{Rows: []row{got}})
	for _, want := range []string{"| r | 100 ±15.0% |", "1.20× (1.00–1.50)", "2.00× (1.00–3.00)"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

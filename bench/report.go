package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// httpPost sends body as contentType.
func httpPost(url, contentType, body string) (int, string, error) {
	return httpDo("POST", url, contentType, body)
}

// httpDo sends one request with the standard library's client and returns
// the status and body.
func httpDo(method, url, contentType, body string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func printTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\nkrest bench (%s) on %s\n\n", rep.Scale, rep.Machine)
	fmt.Fprintln(w, markdownTable(rep))
}

// markdownTable renders the results as a Markdown table (README-ready).
// A row that ran several times shows medians, krest's rate with its ±
// spread and each ratio with its range.
func markdownTable(rep *report) string {
	var b strings.Builder
	b.WriteString("| row | krest rec/s | krest MB/s | Java rec/s | krest/Java | franz-go rec/s | krest/franz-go | krest/franz-go in krest's shape | p50 / p99 / p99.9 ms (krest; native; Kafka floor) | krest CPU s/GB | krest CPU s/M rec | krest CPU µs/req | HTTP floor req/s; CPU µs/req | krest ÷ floor: rate; CPU/req | Kafka floor rec/s; CPU µs/req (CPU ÷ HTTP floor, or rate ÷ franz-go) | krest ÷ Kafka floor: rate; CPU/req | native CPU s/GB (Java; franz-go) | krest CPU ÷ franz-go CPU | broker CPU s/GB (krest; franz-go) | load generator CPU s/GB | machine busy % (krest; franz-go) | krest peak RSS MiB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	num := func(v float64, format string) string {
		if v == 0 {
			return "–"
		}
		return fmt.Sprintf(format, v)
	}
	ratio := func(v float64, rng [2]float64) string {
		if v == 0 {
			return "–"
		}
		if rng[0] == 0 || rng[0] == rng[1] {
			return fmt.Sprintf("%.2f×", v)
		}
		return fmt.Sprintf("%.2f× (%.2f–%.2f)", v, rng[0], rng[1])
	}
	for _, r := range rep.Rows {
		sp := spread{}
		if r.Spread != nil {
			sp = *r.Spread
		}
		// Row 12's Kafka floor: latencies and no CPU per request.
		loadedFloor := r.KafkaFloor != nil && r.KafkaFloor.P50ms > 0 && r.KafkaFloorCPUMicrosPerReq == 0
		java, franz, lat := "–", "–", "–"
		javaCPU, franzCPU := "–", "–"
		franzBroker, franzBusy := "–", "–"
		if r.Java != nil {
			java = num(r.Java.RecordsPerSec, "%.0f")
			javaCPU = num(r.Java.CPUSecPerGB, "%.2f")
		}
		if r.Franz != nil {
			franz = num(r.Franz.RecordsPerSec, "%.0f")
			franzCPU = num(r.Franz.CPUSecPerGB, "%.2f")
			franzBroker = num(r.Franz.Machine.BrokerCPUSecPerGB, "%.2f")
			franzBusy = num(r.Franz.Machine.MachineBusyPct, "%.0f")
		}
		if r.Krest.P50ms > 0 {
			lat = fmt.Sprintf("%.1f / %.1f / %.1f", r.Krest.P50ms, r.Krest.P99ms, r.Krest.P999ms)
			if sp.P99ms[0] != sp.P99ms[1] {
				lat += fmt.Sprintf(" (p99 %.1f–%.1f)", sp.P99ms[0], sp.P99ms[1])
			}
			if r.Franz != nil && r.Franz.P50ms > 0 {
				lat += fmt.Sprintf("; %.1f / %.1f / %.1f", r.Franz.P50ms, r.Franz.P99ms, r.Franz.P999ms)
			}
			if loadedFloor {
				lat += fmt.Sprintf("; %.1f / %.1f / %.1f", r.KafkaFloor.P50ms, r.KafkaFloor.P99ms, r.KafkaFloor.P999ms)
			}
		}
		rate, mb := num(r.Krest.RecordsPerSec, "%.0f"), num(r.Krest.MBPerSec, "%.1f")
		if sp.KrestPct > 0 && !strings.Contains(r.Name, "latency") { // a latency row's rate is its fixed pace
			rate += fmt.Sprintf(" ±%.1f%%", sp.KrestPct)
		}
		if strings.HasPrefix(r.Name, "idle") {
			rate, mb = "–", "–"
		}
		floor, vsFloor := "–", "–"
		if r.Floor != nil {
			floor = fmt.Sprintf("%.0f; %.1f", r.Floor.RecordsPerSec, r.FloorCPUMicrosPerReq)
			vsFloor = ratio(r.RatioFloor, sp.RatioFloor) + "; " + ratio(r.CPUVsFloor, sp.CPUVsFloor)
		}
		kafkaFloor, vsKafka := "–", "–"
		if loadedFloor { // its CPU; its latency is in the latency column
			kafkaFloor = fmt.Sprintf("CPU %.2f s/GB", r.KafkaFloor.CPUSecPerGB)
		} else if r.KafkaFloor != nil {
			of := ratio(r.KafkaFloorVsFloor, sp.KafkaVsHTTP)
			if r.KafkaFloorVsFloor == 0 && r.KafkaFloorVsFranz > 0 { // row 1's: against franz-go's rate
				of = ratio(r.KafkaFloorVsFranz, sp.KafkaVsFranz) + " franz-go"
			}
			kafkaFloor = fmt.Sprintf("%.0f; %.1f (%s)", r.KafkaFloor.RecordsPerSec, r.KafkaFloorCPUMicrosPerReq, of)
			vsKafka = ratio(r.RatioKafkaFloor, sp.RatioKafka) + "; " + ratio(r.CPUVsKafkaFloor, sp.CPUVsKafka)
		}
		mu := r.Krest.Machine
		load := num(mu.LoadCPUSecPerGB, "%.2f")
		if r.Franz != nil && r.Franz.Machine.LoadCPUSecPerGB > 0 {
			// franz-go ran in the bench process (row 12): its client's CPU
			load += "; " + num(r.Franz.Machine.LoadCPUSecPerGB, "%.2f")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s; %s | %s | %s; %s | %s | %s; %s | %.0f |\n",
			r.Name, rate, mb, java, ratio(r.RatioJava, sp.RatioJava), franz, ratio(r.RatioFranz, sp.RatioFranz), ratio(r.RatioFranzShape, sp.RatioShape), lat,
			num(r.CPUSecPerGB, "%.2f"), num(r.CPUSecPerMRecords, "%.2f"), num(r.CPUMicrosPerReq, "%.1f"), floor, vsFloor, kafkaFloor, vsKafka,
			javaCPU, franzCPU, ratio(r.CPUVsFranz, sp.CPUVsFranz),
			num(mu.BrokerCPUSecPerGB, "%.2f"), franzBroker, load, num(mu.MachineBusyPct, "%.0f"), franzBusy,
			r.PeakRSSMiB)
	}
	return b.String()
}

// chart draws krest's throughput ratio to the native clients per row as an
// SVG bar chart, with the 1.0× line.
func chart(rep *report) string {
	type bar struct {
		label string
		v     float64
	}
	var bars []bar
	for _, r := range rep.Rows {
		if r.RatioJava > 0 {
			bars = append(bars, bar{r.Name + " vs Java", r.RatioJava})
		}
		if r.RatioFranz > 0 {
			bars = append(bars, bar{r.Name + " vs franz-go", r.RatioFranz})
		}
	}
	const w, rowH, left = 760, 28, 330
	maxV := 1.5
	for _, b := range bars {
		maxV = max(maxV, b.v*1.1)
	}
	scale := float64(w-left-60) / maxV
	h := len(bars)*rowH + 60
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&s, `<text x="10" y="20" font-size="14">krest throughput / native client (%s run)</text>`, rep.Scale)
	for i, b := range bars {
		y := 40 + i*rowH
		color := "#3b7dd8"
		if b.v < 1 {
			color = "#d8843b"
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, y+15, b.label)
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.0f" height="18" fill="%s"/>`, left, y+2, b.v*scale, color)
		fmt.Fprintf(&s, `<text x="%.0f" y="%d">%.2f×</text>`, float64(left)+b.v*scale+4, y+15, b.v)
	}
	x1 := float64(left) + scale
	fmt.Fprintf(&s, `<line x1="%.0f" y1="32" x2="%.0f" y2="%d" stroke="#333" stroke-dasharray="4"/>`, x1, x1, h-10)
	fmt.Fprintf(&s, `<text x="%.0f" y="%d">1.0×</text></svg>`, x1+3, h-2)
	return s.String()
}

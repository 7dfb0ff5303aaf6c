package main

import (
	"math"
	"slices"
)

// spread is the range of a row's repetitions: krest's rate as ± percent of
// its median, and each ratio's lowest and highest value.
type spread struct {
	KrestPct     float64    `json:"krest_records_per_sec_pct"`
	RatioJava    [2]float64 `json:"ratio_java,omitempty"`
	RatioFranz   [2]float64 `json:"ratio_franz_go,omitempty"`
	RatioShape   [2]float64 `json:"ratio_franz_go_same_shape,omitempty"`
	CPUVsFranz   [2]float64 `json:"krest_cpu_vs_franz_go,omitempty"`
	RatioFloor   [2]float64 `json:"ratio_http_floor,omitempty"`
	CPUVsFloor   [2]float64 `json:"krest_cpu_vs_http_floor,omitempty"`
	RatioKafka   [2]float64 `json:"ratio_kafka_floor,omitempty"`
	CPUVsKafka   [2]float64 `json:"krest_cpu_vs_kafka_floor,omitempty"`
	KafkaVsHTTP  [2]float64 `json:"kafka_floor_cpu_vs_http_floor,omitempty"`
	KafkaVsFranz [2]float64 `json:"kafka_floor_vs_franz_go,omitempty"`
	P99ms        [2]float64 `json:"p99_ms,omitempty"`
}

// median of vs (0 for none); vs is reordered.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 1 {
		return vs[n/2]
	} else {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
}

// of collects f of each row.
func of(rs []row, f func(row) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// bounds is the lowest and highest of vs.
func bounds(vs []float64) [2]float64 {
	if len(vs) == 0 {
		return [2]float64{}
	}
	return [2]float64{slices.Min(vs), slices.Max(vs)}
}

// medianMetric is the field-wise median of ms (nil when there are none).
func medianMetric(ms []*metric) *metric {
	var present []metric
	for _, m := range ms {
		if m != nil {
			present = append(present, *m)
		}
	}
	if len(present) == 0 {
		return nil
	}
	field := func(f func(metric) float64) float64 {
		vs := make([]float64, len(present))
		for i, m := range present {
			vs[i] = f(m)
		}
		return median(vs)
	}
	return &metric{
		Records:           int64(field(func(m metric) float64 { return float64(m.Records) })),
		Seconds:           field(func(m metric) float64 { return m.Seconds }),
		RecordsPerSec:     field(func(m metric) float64 { return m.RecordsPerSec }),
		MBPerSec:          field(func(m metric) float64 { return m.MBPerSec }),
		P50ms:             field(func(m metric) float64 { return m.P50ms }),
		P99ms:             field(func(m metric) float64 { return m.P99ms }),
		P999ms:            field(func(m metric) float64 { return m.P999ms }),
		CPUSecPerGB:       field(func(m metric) float64 { return m.CPUSecPerGB }),
		CPUSecPerMRecords: field(func(m metric) float64 { return m.CPUSecPerMRecords }),
		Machine: machineUse{
			LoadCPUSecPerGB:   field(func(m metric) float64 { return m.Machine.LoadCPUSecPerGB }),
			BrokerCPUSecPerGB: field(func(m metric) float64 { return m.Machine.BrokerCPUSecPerGB }),
			MachineBusyPct:    field(func(m metric) float64 { return m.Machine.MachineBusyPct }),
		},
	}
}

// aggregate makes one row of a row's repetitions: every figure is the
// median of the runs' (ratios the median of each run's ratio, so that a
// noisy moment weighs on both sides of one ratio alike), peak RSS the
// highest, with the runs and their spread attached.
func aggregate(rs []row) row {
	if len(rs) == 1 {
		return rs[0]
	}
	ptrs := func(f func(row) *metric) []*metric {
		out := make([]*metric, len(rs))
		for i, r := range rs {
			out[i] = f(r)
		}
		return out
	}
	out := row{Name: rs[0].Name, Runs: rs}
	out.Krest = *medianMetric(ptrs(func(r row) *metric { return &r.Krest }))
	out.Java = medianMetric(ptrs(func(r row) *metric { return r.Java }))
	out.Franz = medianMetric(ptrs(func(r row) *metric { return r.Franz }))
	out.FranzShape = medianMetric(ptrs(func(r row) *metric { return r.FranzShape }))
	out.Floor = medianMetric(ptrs(func(r row) *metric { return r.Floor }))
	out.FloorCPUMicrosPerReq = median(of(rs, func(r row) float64 { return r.FloorCPUMicrosPerReq }))
	out.RatioFloor = median(of(rs, func(r row) float64 { return r.RatioFloor }))
	out.CPUVsFloor = median(of(rs, func(r row) float64 { return r.CPUVsFloor }))
	out.KafkaFloor = medianMetric(ptrs(func(r row) *metric { return r.KafkaFloor }))
	out.KafkaFloorCPUMicrosPerReq = median(of(rs, func(r row) float64 { return r.KafkaFloorCPUMicrosPerReq }))
	out.RatioKafkaFloor = median(of(rs, func(r row) float64 { return r.RatioKafkaFloor }))
	out.CPUVsKafkaFloor = median(of(rs, func(r row) float64 { return r.CPUVsKafkaFloor }))
	out.KafkaFloorVsFloor = median(of(rs, func(r row) float64 { return r.KafkaFloorVsFloor }))
	out.KafkaFloorVsFranz = median(of(rs, func(r row) float64 { return r.KafkaFloorVsFranz }))
	out.RatioFranzShape = median(of(rs, func(r row) float64 { return r.RatioFranzShape }))
	out.RatioJava = median(of(rs, func(r row) float64 { return r.RatioJava }))
	out.RatioFranz = median(of(rs, func(r row) float64 { return r.RatioFranz }))
	out.CPUVsFranz = median(of(rs, func(r row) float64 { return r.CPUVsFranz }))
	out.CPUSecPerGB = median(of(rs, func(r row) float64 { return r.CPUSecPerGB }))
	out.CPUSecPerMRecords = median(of(rs, func(r row) float64 { return r.CPUSecPerMRecords }))
	out.CPUMicrosPerReq = median(of(rs, func(r row) float64 { return r.CPUMicrosPerReq }))
	out.PeakRSSMiB = slices.Max(of(rs, func(r row) float64 { return r.PeakRSSMiB }))
	sp := &spread{
		RatioJava:    bounds(of(rs, func(r row) float64 { return r.RatioJava })),
		RatioFranz:   bounds(of(rs, func(r row) float64 { return r.RatioFranz })),
		RatioShape:   bounds(of(rs, func(r row) float64 { return r.RatioFranzShape })),
		CPUVsFranz:   bounds(of(rs, func(r row) float64 { return r.CPUVsFranz })),
		RatioFloor:   bounds(of(rs, func(r row) float64 { return r.RatioFloor })),
		CPUVsFloor:   bounds(of(rs, func(r row) float64 { return r.CPUVsFloor })),
		RatioKafka:   bounds(of(rs, func(r row) float64 { return r.RatioKafkaFloor })),
		CPUVsKafka:   bounds(of(rs, func(r row) float64 { return r.CPUVsKafkaFloor })),
		KafkaVsHTTP:  bounds(of(rs, func(r row) float64 { return r.KafkaFloorVsFloor })),
		KafkaVsFranz: bounds(of(rs, func(r row) float64 { return r.KafkaFloorVsFranz })),
		P99ms:        bounds(of(rs, func(r row) float64 { return r.Krest.P99ms })),
	}
	if m := out.Krest.RecordsPerSec; m > 0 {
		b := bounds(of(rs, func(r row) float64 { return r.Krest.RecordsPerSec }))
		sp.KrestPct = math.Round((b[1]-b[0])/2/m*1000) / 10
	}
	out.Spread = sp
	return out
}

package metrics

import (
	"bytes"
	"io"
)

// family is the metadata of one metric family: its Prometheus type and
// its help text.
type family struct{ typ, help string }

// families holds the TYPE and HELP of every family /metrics exposes:
// krest's own and the Go runtime and process ones of
// VictoriaMetrics/metrics, which writes TYPE lines but empty HELP ones.
// Its type wins over the library's: a value read at each scrape is a
// gauge to the library even when it only grows (CounterFunc), and the
// library types process_io_*_total as gauges.
var families = map[string]family{
	// HTTP (proxy/observe.go)
	"krest_http_requests_total":           {"counter", "HTTP requests served, by route and status class."},
	"krest_http_requests_in_flight":       {"gauge", "HTTP requests being served."},
	"krest_http_request_duration_seconds": {"histogram", "Time to answer an HTTP request, by route."},
	"krest_http_request_bytes_total":      {"counter", "Bytes of HTTP request bodies as announced by Content-Length, by route."},
	"krest_http_response_bytes_total":     {"counter", "Bytes of HTTP response bodies, by route (streamed responses are not counted)."},
	"krest_auth_failures_total":           {"counter", "Failed authentications."},
	"krest_build_info":                    {"gauge", "Always 1; the labels are krest's version, VCS commit and Go version."},

	// Produce and consume
	"krest_produce_records_total":       {"counter", "Records produced to Kafka, by topic (topics beyond metrics.topic.labels.max are summed under \"other\")."},
	"krest_produce_bytes_total":         {"counter", "Key and value bytes of the records produced to Kafka, by topic."},
	"krest_produce_record_errors_total": {"counter", "Records that failed to produce, by Kafka REST error code."},
	"krest_produce_overloaded_total":    {"counter", "Produce requests refused with 429 because producer.buffer.memory stayed full for producer.max.block.ms."},
	"krest_consume_records_total":       {"counter", "Records returned to v2 consumers, by topic (topics beyond metrics.topic.labels.max are summed under \"other\")."},
	"krest_consume_bytes_total":         {"counter", "Key and value bytes of the records returned to v2 consumers, by topic."},

	// Budgets and state (proxy/ops.go)
	"krest_produce_buffer_bytes":             {"gauge", "Bytes of records admitted for produce and not yet acknowledged by Kafka."},
	"krest_produce_buffer_limit_bytes":       {"gauge", "Limit of the bytes of records admitted for produce (producer.buffer.memory)."},
	"krest_request_memory_bytes":             {"gauge", "Bytes of request bodies held in memory at once."},
	"krest_request_memory_limit_bytes":       {"gauge", "Limit of the bytes of request bodies held in memory at once (request.memory.max.bytes)."},
	"krest_consumer_instances":               {"gauge", "v2 consumer instances on this krest."},
	"krest_consumer_memory_bytes":            {"gauge", "Bytes of consumer.memory.max.bytes that v2 consumer instances hold (their buffers)."},
	"krest_consumer_memory_limit_bytes":      {"gauge", "Limit of the memory v2 consumer instances hold (consumer.memory.max.bytes)."},
	"krest_consumer_instance_expiries_total": {"counter", "v2 consumer instances deleted after their idle timeout."},
	"krest_consumer_directory_ready":         {"gauge", "1 when the consumer directory topic is usable, else 0 (consumer instances then stay local)."},
	"krest_streams_open":                     {"gauge", "Open streaming requests, by kind."},
	"krest_schema_registry_requests_total":   {"counter", "Requests sent to the Schema Registry."},
	"krest_schema_registry_cache_hits_total": {"counter", "Schema Registry answers served from krest's cache."},

	// Kafka clients (kafka.go)
	"krest_kafka_connects_total":           {"counter", "Connections opened to Kafka brokers, by client kind."},
	"krest_kafka_connect_errors_total":     {"counter", "Failed connection attempts to Kafka brokers, by client kind."},
	"krest_kafka_disconnects_total":        {"counter", "Connections to Kafka brokers closed, by client kind."},
	"krest_kafka_connections":              {"gauge", "Open connections to Kafka brokers, by client kind."},
	"krest_kafka_written_bytes_total":      {"counter", "Bytes written to Kafka brokers, by client kind."},
	"krest_kafka_read_bytes_total":         {"counter", "Bytes read from Kafka brokers, by client kind."},
	"krest_kafka_request_duration_seconds": {"histogram", "Time from writing a Kafka request to reading its response, by client kind."},
	"krest_kafka_throttle_seconds_total":   {"counter", "Time Kafka brokers asked the clients to hold back (throttling), by client kind."},

	// Go runtime (VictoriaMetrics/metrics go_metrics.go)
	"go_sched_latencies_seconds":          {"histogram", "Time goroutines spent runnable before running (runtime/metrics /sched/latencies:seconds)."},
	"go_mutex_wait_seconds_total":         {"counter", "Time goroutines spent blocked on sync.Mutex and sync.RWMutex."},
	"go_gc_mark_assist_cpu_seconds_total": {"counter", "CPU time goroutines spent assisting the garbage collector."},
	"go_gc_cpu_seconds_total":             {"counter", "CPU time spent in the garbage collector."},
	"go_gc_pauses_seconds":                {"histogram", "Stop-the-world pauses of the garbage collector."},
	"go_scavenge_cpu_seconds_total":       {"counter", "CPU time spent returning unused memory to the OS."},
	"go_memlimit_bytes":                   {"gauge", "The Go runtime's soft memory limit (GOMEMLIMIT)."},
	"go_memstats_alloc_bytes":             {"gauge", "Bytes of allocated heap objects."},
	"go_memstats_alloc_bytes_total":       {"counter", "Bytes allocated for heap objects since start."},
	"go_memstats_buck_hash_sys_bytes":     {"gauge", "Bytes of memory in profiling bucket hash tables."},
	"go_memstats_frees_total":             {"counter", "Heap objects freed since start."},
	"go_memstats_gc_cpu_fraction":         {"gauge", "Fraction of the CPU time used by the garbage collector since start."},
	"go_memstats_gc_sys_bytes":            {"gauge", "Bytes of memory in garbage collection metadata."},
	"go_memstats_heap_alloc_bytes":        {"gauge", "Bytes of allocated heap objects."},
	"go_memstats_heap_idle_bytes":         {"gauge", "Bytes in idle (unused) heap spans."},
	"go_memstats_heap_inuse_bytes":        {"gauge", "Bytes in in-use heap spans."},
	"go_memstats_heap_objects":            {"gauge", "Allocated heap objects."},
	"go_memstats_heap_released_bytes":     {"gauge", "Bytes of physical memory returned to the OS."},
	"go_memstats_heap_sys_bytes":          {"gauge", "Bytes of heap memory obtained from the OS."},
	"go_memstats_last_gc_time_seconds":    {"gauge", "Time the last garbage collection finished, in seconds since the Unix epoch."},
	"go_memstats_lookups_total":           {"counter", "Pointer lookups performed by the runtime."},
	"go_memstats_mallocs_total":           {"counter", "Heap objects allocated since start."},
	"go_memstats_mcache_inuse_bytes":      {"gauge", "Bytes of allocated mcache structures."},
	"go_memstats_mcache_sys_bytes":        {"gauge", "Bytes of memory obtained from the OS for mcache structures."},
	"go_memstats_mspan_inuse_bytes":       {"gauge", "Bytes of allocated mspan structures."},
	"go_memstats_mspan_sys_bytes":         {"gauge", "Bytes of memory obtained from the OS for mspan structures."},
	"go_memstats_next_gc_bytes":           {"gauge", "Heap size at which the next garbage collection starts."},
	"go_memstats_other_sys_bytes":         {"gauge", "Bytes of memory in miscellaneous off-heap runtime allocations."},
	"go_memstats_stack_inuse_bytes":       {"gauge", "Bytes in stack spans."},
	"go_memstats_stack_sys_bytes":         {"gauge", "Bytes of stack memory obtained from the OS."},
	"go_memstats_sys_bytes":               {"gauge", "Bytes of memory obtained from the OS by the Go runtime."},
	"go_cgo_calls_total":                  {"counter", "Cgo calls made by the process."},
	"go_cpus":                             {"gauge", "Logical CPUs usable by the process (runtime.NumCPU)."},
	"go_gc_duration_seconds":              {"summary", "Stop-the-world pauses of the last 256 garbage collections."},
	"go_gc_forced_total":                  {"counter", "Garbage collections forced by the application (runtime.GC)."},
	"go_gomaxprocs":                       {"gauge", "GOMAXPROCS: the CPUs that can run Go code at once."},
	"go_goroutines":                       {"gauge", "Goroutines that exist."},
	"go_threads":                          {"gauge", "OS threads created by the Go runtime."},
	"go_info":                             {"gauge", "Always 1; the label is the Go version."},
	"go_info_ext":                         {"gauge", "Always 1; the labels are the Go compiler, GOARCH, GOOS and GOROOT."},

	// Process (VictoriaMetrics/metrics process_metrics_linux.go)
	"process_cpu_seconds_total":                     {"counter", "CPU time of the process, user and system."},
	"process_cpu_seconds_user_total":                {"counter", "User CPU time of the process."},
	"process_cpu_seconds_system_total":              {"counter", "System CPU time of the process."},
	"process_major_pagefaults_total":                {"counter", "Major page faults of the process (which read from disk)."},
	"process_minor_pagefaults_total":                {"counter", "Minor page faults of the process."},
	"process_num_threads":                           {"gauge", "OS threads of the process."},
	"process_resident_memory_bytes":                 {"gauge", "Resident memory size of the process."},
	"process_resident_memory_anon_bytes":            {"gauge", "Resident anonymous memory of the process."},
	"process_resident_memory_file_bytes":            {"gauge", "Resident file-backed memory of the process."},
	"process_resident_memory_shared_bytes":          {"gauge", "Resident shared memory of the process."},
	"process_resident_memory_peak_bytes":            {"gauge", "Peak resident memory size of the process."},
	"process_start_time_seconds":                    {"gauge", "Start time of the process, in seconds since the Unix epoch."},
	"process_virtual_memory_bytes":                  {"gauge", "Virtual memory size of the process."},
	"process_virtual_memory_peak_bytes":             {"gauge", "Peak virtual memory size of the process."},
	"process_io_read_bytes_total":                   {"counter", "Bytes the process read, page cache included."},
	"process_io_written_bytes_total":                {"counter", "Bytes the process wrote, page cache included."},
	"process_io_read_syscalls_total":                {"counter", "Read system calls of the process."},
	"process_io_write_syscalls_total":               {"counter", "Write system calls of the process."},
	"process_io_storage_read_bytes_total":           {"counter", "Bytes the process read from storage."},
	"process_io_storage_written_bytes_total":        {"counter", "Bytes the process wrote to storage."},
	"process_pressure_cpu_waiting_seconds_total":    {"counter", "Time some of the process' cgroup tasks waited for CPU (PSI)."},
	"process_pressure_cpu_stalled_seconds_total":    {"counter", "Time all of the process' cgroup tasks waited for CPU (PSI)."},
	"process_pressure_io_waiting_seconds_total":     {"counter", "Time some of the process' cgroup tasks waited for I/O (PSI)."},
	"process_pressure_io_stalled_seconds_total":     {"counter", "Time all of the process' cgroup tasks waited for I/O (PSI)."},
	"process_pressure_memory_waiting_seconds_total": {"counter", "Time some of the process' cgroup tasks waited for memory (PSI)."},
	"process_pressure_memory_stalled_seconds_total": {"counter", "Time all of the process' cgroup tasks waited for memory (PSI)."},
	"process_cgroup_cpu_throttled_seconds_total":    {"counter", "Time the process' cgroup was throttled by its CPU limit."},
}

// renamed are the Go runtime families whose VictoriaMetrics/metrics names
// break the Prometheus conventions (a _count suffix outside histograms and
// summaries; counters end in _total), exposed under these names.
var renamed = map[string]string{
	"go_cgo_calls_count": "go_cgo_calls_total",
	"go_cpu_count":       "go_cpus",
	"go_gc_forced_count": "go_gc_forced_total",
}

var (
	helpPrefix = []byte("# HELP ")
	typePrefix = []byte("# TYPE ")
)

// annotate writes the exposition text, written by VictoriaMetrics/metrics
// with ExposeMetadata, to w with each family's help text and type from
// families and the renamed families under their new names. A family
// missing from families keeps the library's empty HELP line (which
// TestFamilies and promtool reject).
func annotate(w io.Writer, text []byte) {
	out := make([]byte, 0, len(text)+len(text)/2)
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		out = annotateLine(out, line)
		out = append(out, '\n')
	}
	w.Write(out)
}

func annotateLine(dst, line []byte) []byte {
	switch {
	case bytes.HasPrefix(line, helpPrefix):
		name := rename(line[len(helpPrefix):])
		dst = append(append(dst, helpPrefix...), name...)
		if f, ok := families[string(name)]; ok {
			dst = append(append(dst, ' '), f.help...)
		}
		return dst
	case bytes.HasPrefix(line, typePrefix):
		rest := line[len(typePrefix):]
		name, typ, _ := bytes.Cut(rest, []byte(" "))
		name = rename(name)
		dst = append(append(append(dst, typePrefix...), name...), ' ')
		if f, ok := families[string(name)]; ok {
			return append(dst, f.typ...)
		}
		return append(dst, typ...)
	case len(line) > 0 && line[0] == '#':
		return append(dst, line...)
	}
	end := bytes.IndexAny(line, "{ ")
	if end < 0 {
		return append(dst, line...)
	}
	return append(append(dst, rename(line[:end])...), line[end:]...)
}

// rename returns a family's exposed name.
func rename(name []byte) []byte {
	if to, ok := renamed[string(name)]; ok {
		return []byte(to)
	}
	return name
}

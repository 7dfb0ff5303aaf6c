package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bytedance/sonic"
)

// loadFormats are the embedded formats the load command can send: the media
// type, the value schema (schema formats) and how one value is written.
var loadFormats = map[string]struct {
	contentType string
	schema      string
	value       func(letters string) string
}{
	"binary": {"application/vnd.kafka.binary.v2+json", "", nil},
	"json":   {"application/vnd.kafka.json.v2+json", "", jsonValue},
	"avro": {"application/vnd.kafka.avro.v2+json",
		`{"type":"record","name":"Load","namespace":"krest.bench","fields":[{"name":"v","type":"string"}]}`, jsonValue},
	"jsonschema": {"application/vnd.kafka.jsonschema.v2+json",
		`{"type":"object","properties":{"v":{"type":"string"}},"required":["v"],"additionalProperties":false}`, jsonValue},
	"protobuf": {"application/vnd.kafka.protobuf.v2+json",
		`syntax = "proto3"; package krest.bench; message Load { string v = 1; }`, jsonValue},
}

func jsonValue(letters string) string { return `{"v":"` + letters + `"}` }

// loadCommand is `bench load`: the load generator alone, against any krest.
func loadCommand(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(out)
	base := fs.String("url", "http://localhost:8082", "krest's base URL")
	topic := fs.String("topic", "krest-load", "topic to produce to")
	format := fs.String("format", "binary", "embedded format: binary, json, avro, jsonschema or protobuf")
	size := fs.Int("size", 1024, "bytes of payload per record (random upper-case letters, base64-encoded for binary)")
	perReq := fs.Int("records-per-request", 500, "records per produce request")
	conns := fs.Int("conns", 8, "concurrent connections")
	count := fs.Int64("count", 0, "records to produce (0: run for -duration)")
	duration := fs.Duration("duration", 10*time.Second, "how long to run when -count is 0")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	f, ok := loadFormats[*format]
	if !ok || *size < 1 || *perReq < 1 || *conns < 1 || *count < 0 {
		return fmt.Errorf("load: need -format binary|json|avro|jsonschema|protobuf, and positive -size, -records-per-request and -conns")
	}
	url := strings.TrimSuffix(*base, "/") + "/topics/" + *topic
	var envelope string // the body before "records"
	record := ""
	if f.value == nil {
		record = `{"value":"` + base64Payload(*size) + `"}`
	} else {
		record = `{"value":` + f.value(string(payload(*size))) + `}`
	}
	if f.schema != "" {
		// Register the schema once, as Confluent's clients do, then send
		// its id.
		schema, _ := sonic.MarshalString(f.schema)
		status, body, err := httpPost(url, f.contentType, `{"value_schema":`+schema+`,"records":[`+record+`]}`)
		if err != nil || status != 200 {
			return fmt.Errorf("load: registering the value schema: %d %s %v", status, body, err)
		}
		var resp struct {
			ID *int `json:"value_schema_id"`
		}
		if err := sonic.UnmarshalString(body, &resp); err != nil || resp.ID == nil {
			return fmt.Errorf("load: no value_schema_id in %s", body)
		}
		envelope = `"value_schema_id":` + strconv.Itoa(*resp.ID) + `,`
	}
	recs := make([]string, *perReq)
	for i := range recs {
		recs[i] = record
	}
	l := produceLoad{
		url: url, contentType: f.contentType, body: []byte(`{` + envelope + `"records":[` + strings.Join(recs, ",") + `]}`),
		recsPerReq: *perReq, conns: *conns, total: *count, label: "krest " + *format + " produce",
	}
	if *count == 0 {
		l.duration = *duration
	}
	res, err := l.run()
	if err != nil {
		return err
	}
	s := res.elapsed.Seconds()
	fmt.Fprintf(out, "%d records in %d requests over %.2f s: %.0f records/s, %.1f MB/s of payload, %.0f requests/s; request latency p50 %v, p99 %v, max %v\n",
		res.records, res.requests, s, float64(res.records)/s, float64(res.records)*float64(*size)/s/1e6, float64(res.requests)/s,
		res.latency.pct(0.5).Round(time.Microsecond), res.latency.pct(0.99).Round(time.Microsecond), res.latency.pct(1).Round(time.Microsecond))
	return nil
}

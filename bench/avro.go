package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bytedance/sonic"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/krest-dev/krest/codec/avro"
)

const benchAvroSchema = `{"type":"record","name":"Event","namespace":"bench","fields":[
{"name":"id","type":"long"},{"name":"user","type":"string"},{"name":"email","type":["null","string"]},
{"name":"score","type":"double"},{"name":"ok","type":"boolean"}]}`

const benchAvroValue = `{"id":1234567,"user":"someone","email":{"string":"someone@example.com"},"score":3.25,"ok":true}`

// Row 4: Avro produce of a small record, 100 records per request by schema
// id, against franz-go with the same encoder and framing.
func rowAvro(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	const perReq = 100
	r := row{Name: "4 produce Avro small record × 100/req"}
	topic, err := createTopic(adm, "bench-avro", 4)
	if err != nil {
		return r, err
	}
	schemaJSON, _ := sonic.MarshalString(benchAvroSchema)
	status, body, err := httpPost(k.url+"/topics/"+topic, "application/vnd.kafka.avro.v2+json", `{"value_schema":`+schemaJSON+`,"records":[{"value":`+benchAvroValue+`}]}`)
	if err != nil || status != 200 {
		return r, fmt.Errorf("registering the bench schema: %d %s %v", status, body, err)
	}
	var resp struct {
		ID int `json:"value_schema_id"`
	}
	sonic.UnmarshalString(body, &resp)
	recs := make([]string, perReq)
	for i := range recs {
		recs[i] = `{"value":` + benchAvroValue + `}`
	}
	reqBody := `{"value_schema_id":` + strconv.Itoa(resp.ID) + `,"records":[` + strings.Join(recs, ",") + `]}`
	c, err := avro.Parse(benchAvroSchema)
	if err != nil {
		return r, err
	}
	payload, err := c.AppendBinary(nil, []byte(benchAvroValue))
	if err != nil {
		return r, err
	}
	size := len(payload) + 5
	res, err := measure(k, &r, size, whole(produceLoad{
		url: k.url + "/topics/" + topic, contentType: "application/vnd.kafka.avro.v2+json",
		body: []byte(reqBody), recsPerReq: perReq, conns: 8, total: cfg.scale.avroRecords, label: "krest avro produce",
	}.run))
	if err != nil {
		return r, err
	}
	r.Krest = toMetric(res, size)
	if r.Franz, err = baseline(size, onNewTopic(adm, "bench-avro-franz", 4, func(topic string) (loadResult, error) {
		return franzAvroProcess(cfg.brokers, topic, resp.ID, cfg.scale.avroRecords, 0, 0)
	})); err != nil {
		return r, err
	}
	// krest's shape: 8 clients, each with one request of 100 records in
	// flight, waiting for all of them before the next.
	if r.FranzShape, err = baseline(size, onNewTopic(adm, "bench-avro-shape", 4, func(topic string) (loadResult, error) {
		return franzAvroProcess(cfg.brokers, topic, resp.ID, cfg.scale.avroRecords, 8, perReq)
	})); err != nil {
		return r, err
	}
	ratios(&r)
	return r, nil
}

// franzAvro encodes each record from the same JSON with the same codec and
// Confluent framing, and produces it with franz-go: open loop (every record
// produced asynchronously, kgo buffering up to 1 Mi of them) when conns is
// 0, else in krest's shape: conns goroutines, each producing batch records
// and waiting for all of them (ProduceSync) before its next batch.
func franzAvro(brokers, topic string, id int, n int64, conns, batch int) (loadResult, error) {
	c, err := avro.Parse(benchAvroSchema)
	if err != nil {
		return loadResult{}, err
	}
	cl, err := newFranzProducer(brokers, topic)
	if err != nil {
		return loadResult{}, err
	}
	defer cl.Close()
	ctx := context.Background()
	encode := func(h *sr.ConfluentHeader) ([]byte, error) {
		v, _ := h.AppendEncode(nil, id, nil)
		return c.AppendBinary(v, []byte(benchAvroValue))
	}
	start := time.Now()
	if conns == 0 {
		var h sr.ConfluentHeader
		for range n {
			v, err := encode(&h)
			if err != nil {
				return loadResult{}, err
			}
			cl.Produce(ctx, &kgo.Record{Value: v}, nil)
		}
		if err := cl.Flush(ctx); err != nil {
			return loadResult{}, err
		}
		return loadResult{records: n, elapsed: time.Since(start)}, nil
	}
	return produceBatches(cl, n, conns, batch, func() func() ([]byte, error) {
		var h sr.ConfluentHeader
		return func() ([]byte, error) { return encode(&h) }
	})
}

// franzAvroProcess is franzAvro in a process of its own.
func franzAvroProcess(brokers, topic string, id int, n int64, conns, batch int) (loadResult, error) {
	return franzProcess("-mode", "avro", "-brokers", brokers, "-topic", topic, "-records", strconv.FormatInt(n, 10),
		"-schema-id", strconv.Itoa(id), "-conns", strconv.Itoa(conns), "-batch", strconv.Itoa(batch))
}

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
	if r.Franz, err = baseline(size, func() (loadResult, error) {
		return franzAvro(cfg.brokers, topic, resp.ID, c, cfg.scale.avroRecords)
	}); err != nil {
		return r, err
	}
	ratios(&r)
	return r, nil
}

// franzAvro encodes each record from the same JSON with the same codec and
// Confluent framing, and produces it with franz-go.
func franzAvro(brokers, topic string, id int, c *avro.Codec, n int64) (loadResult, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.MaxBufferedRecords(1<<20))
	if err != nil {
		return loadResult{}, err
	}
	defer cl.Close()
	var h sr.ConfluentHeader
	start := time.Now()
	ctx := context.Background()
	for range n {
		v, _ := h.AppendEncode(nil, id, nil)
		if v, err = c.AppendBinary(v, []byte(benchAvroValue)); err != nil {
			return loadResult{}, err
		}
		cl.Produce(ctx, &kgo.Record{Value: v}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		return loadResult{}, err
	}
	return loadResult{records: n, elapsed: time.Since(start)}, nil
}

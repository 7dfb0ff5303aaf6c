package proxy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"
)

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestErrorPaths asserts status and exact body of every rejected request.
func TestErrorPaths(t *testing.T) {
	t.Parallel()
	const binary = "application/vnd.kafka.binary.v2+json"
	bigGzip := gzipped(`{"records":[{"value":"` + strings.Repeat("A", 8192) + `"}]}`)
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"request.body.max.bytes": "4096"})
		topic := createTopic(t, b, 2)
		for _, tc := range []struct {
			name, method, path string
			headers            map[string]string
			body               []byte
			status             int
			want               string
		}{
			{"bad base64", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk="},{"value":"not base64!"}]}`),
				400, `{"error_code":400,"message":"Bad Request: data=\"not base64!\" is not a valid base64 string."}`},
			{"binary value not a string", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":{"a":1}}]}`),
				400, `{"error_code":400,"message":"Bad Request: data={\"a\":1} is not a base64 string."}`},
			{"bad base64 key", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"key":12,"value":"aGk="}]}`),
				400, `{"error_code":400,"message":"Bad Request: data=12 is not a base64 string."}`},
			{"bad header value", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk=","headers":[{"name":"h","value":"%%"}]}]}`),
				400, `{"error_code":400,"message":"Bad Request: header \"h\": data=\"%%\" is not a valid base64 string."}`},
			{"bad timestamp", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk=","timestamp":"yesterday"}]}`),
				400, `{"error_code":400,"message":"Bad Request: timestamp=\"yesterday\" is neither milliseconds since the epoch nor an ISO-8601 date-time"}`},
			{"json value with a bad string escape", "POST", "/topics/" + topic, map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json"},
				// found by FuzzDecodeProduceRequest: sonic's skip of a raw value misses it
				[]byte("{\"records\":[{\"value\":\"\\" + strings.Repeat("\xe5", 8) + "w==\"}]}"),
				400, `{"error_code":400,"message":"Bad Request: the request body is not UTF-8"}`},
			{"unknown record field", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"valeu":"aGk="}]}`),
				422, `{"error_code":422,"message":"Unrecognized field: valeu"}`},
			{"unknown top-level field", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk="}],"extra":1}`),
				422, `{"error_code":422,"message":"Unrecognized field: extra"}`},
			{"empty records", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[]}`), 422, `{"error_code":422,"message":"records may not be empty"}`},
			{"no records", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{}`), 422, `{"error_code":422,"message":"records may not be empty"}`},
			{"empty body", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				nil, 422, `{"error_code":42206,"message":"Payload error. Request body is empty. Data is required."}`},
			{"null body", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`null`), 422, `{"error_code":42206,"message":"Payload error. Request body is empty. Data is required."}`},
			{"malformed JSON", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":}]}`),
				400, `{"error_code":400,"message":"Malformed request body: Syntax error at index 22: invalid char"}`},
			{"trailing garbage", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk="}]} x`),
				400, `{"error_code":400,"message":"Malformed request body: Syntax error at index 31: invalid char"}`},
			{"records not an array", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":{}}`),
				400, `{"error_code":400,"message":"Malformed request body: value at index 11 is not of the expected type (array)"}`},
			{"partition of the wrong type", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk=","partition":"one"}]}`),
				400, `{"error_code":400,"message":"Malformed request body: records[0].partition: \"one\" is not an integer (32 bits)"}`},
			{"negative partition", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk=","partition":-2}]}`),
				404, `{"error_code":40402,"message":"Partition not found."}`},
			{"partition out of range", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk=","partition":7}]}`),
				200, `{"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":null,"offset":null,"error_code":40402,"error":"Partition not found."}]}`},
			{"path partition not a number: no resource, as JAX-RS", "POST", "/topics/" + topic + "/partitions/x", map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk="}]}`), 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
			{"path partition not an int32", "GET", "/topics/" + topic + "/partitions/2147483648/offsets", nil, nil,
				404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
			{"path partition not a number, offsets", "GET", "/topics/" + topic + "/partitions/foo/offsets", nil, nil,
				404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
			{"negative path partition", "POST", "/topics/" + topic + "/partitions/-1", map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"aGk="}]}`), 404, `{"error_code":40402,"message":"Partition not found."}`},
			{"unsupported content type", "POST", "/topics/" + topic, map[string]string{"Content-Type": "text/plain"},
				[]byte(`{"records":[{"value":"aGk="}]}`), 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
			{"unsupported content type and unacceptable Accept: 415 first, as JAX-RS", "POST", "/topics/" + topic, map[string]string{"Content-Type": "text/plain", "Accept": "text/plain"},
				[]byte(`{"records":[{"value":"aGk="}]}`), 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
			{"consumer entity of another type and unacceptable Accept: 415 first", "POST", "/consumers/g415", map[string]string{"Content-Type": "text/plain", "Accept": "text/plain"},
				[]byte(`{}`), 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
			{"v2 content type without format", "POST", "/topics/" + topic, map[string]string{"Content-Type": "application/vnd.kafka.v2+json"},
				[]byte(`{"records":[{"value":"aGk="}]}`), 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
			{"schema format without a registry", "POST", "/topics/" + topic, map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"},
				[]byte(`{"value_schema":"\"string\"","records":[{"value":"x"}]}`), 422,
				`{"error_code":42206,"message":"Payload error. Schema Registry must be configured when using schemas."}`},
			{"unacceptable Accept", "GET", "/topics", map[string]string{"Accept": "text/plain"},
				nil, 406, `{"error_code":406,"message":"HTTP 406 Not Acceptable"}`},
			{"Accept with q=0", "GET", "/topics", map[string]string{"Accept": "application/vnd.kafka.v2+json;q=0, text/html"},
				nil, 406, `{"error_code":406,"message":"HTTP 406 Not Acceptable"}`},
			{"body over the limit", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary},
				[]byte(`{"records":[{"value":"` + strings.Repeat("A", 8192) + `"}]}`),
				413, `{"error_code":413,"message":"Request body is larger than request.body.max.bytes (4096 bytes)"}`},
			{"gzip body over the limit once inflated", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary, "Content-Encoding": "gzip"},
				bigGzip, 413, `{"error_code":413,"message":"Request body is larger than request.body.max.bytes (4096 bytes)"}`},
			{"broken gzip", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary, "Content-Encoding": "gzip"},
				[]byte("not gzip at all"), 400, `{"error_code":400,"message":"Bad Request: invalid gzip body: gzip: invalid header"}`},
			{"unknown content encoding", "POST", "/topics/" + topic, map[string]string{"Content-Type": binary, "Content-Encoding": "br"},
				[]byte(`{"records":[{"value":"aGk="}]}`), 415,
				`{"error_code":415,"message":"Unsupported Content-Encoding \"br\": krest accepts gzip and identity"}`},
			{"unknown topic", "GET", "/topics/no-such-topic-" + topic, nil, nil,
				404, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
			{"unknown topic partitions", "GET", "/topics/no-such-topic-" + topic + "/partitions", nil, nil,
				404, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
			{"unknown partition", "GET", "/topics/" + topic + "/partitions/9", nil, nil,
				404, `{"error_code":40402,"message":"Partition not found."}`},
			{"unknown partition offsets", "GET", "/topics/" + topic + "/partitions/9/offsets", nil, nil,
				404, `{"error_code":40402,"message":"Partition not found."}`},
			{"unknown path", "GET", "/nope", nil, nil, 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
			{"trailing slash served as without it", "GET", "/topics/" + topic + "/partitions/9/", nil, nil,
				404, `{"error_code":40402,"message":"Partition not found."}`},
			{"wrong method", "DELETE", "/topics", nil, nil, 405, `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body, hdr := ts.do(t, tc.method, tc.path, tc.headers, tc.body)
				if status != tc.status || body != tc.want {
					t.Errorf("got %d %s\nwant %d %s", status, body, tc.status, tc.want)
				}
				if tc.status >= 400 && hdr.Get("Content-Type") != "application/json" {
					t.Errorf("error Content-Type %q, want application/json", hdr.Get("Content-Type"))
				}
				if !json.Valid([]byte(body)) {
					t.Errorf("body is not JSON: %s", body)
				}
			})
		}
		// A rejected request sends nothing: the bad-base64 request's good
		// first record must not have reached the topic.
		status, body, _ := ts.do(t, "GET", "/topics/"+topic+"/partitions/0/offsets", nil, nil)
		status1, body1, _ := ts.do(t, "GET", "/topics/"+topic+"/partitions/1/offsets", nil, nil)
		const empty = `{"beginning_offset":0,"end_offset":0}`
		if status != 200 || body != empty || status1 != 200 || body1 != empty {
			t.Errorf("rejected requests wrote records: %d %s / %d %s", status, body, status1, body1)
		}
	})
}

// Package codec converts the data embedded in krest's JSON requests and
// responses to and from the bytes stored in Kafka: base64 "binary", plain
// "json", and (later) the Schema Registry formats.
//
// Functions are append-style and stateless: they write into a caller-owned
// destination slice and never keep their inputs, so callers may pass pooled
// buffers and request bytes. The package never imports fasthttp or kgo.
package codec

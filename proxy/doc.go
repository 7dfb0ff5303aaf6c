// Package proxy is krest's HTTP API: the Confluent REST Proxy v1/v2 endpoints
// over one shared franz-go client.
//
// Handlers are thin: they parse the request into plain Go values, call the
// producer, the consumer instances (package proxy/consumer) or the admin
// client, and write the reply. Every failure travels as an error value;
// *Error carries the HTTP status and Kafka-REST error code, apiError in
// errors.go is the one place that gives other errors theirs, and writeError
// there renders them.
//
// Nothing from a fasthttp.RequestCtx outlives its handler: produce handlers
// decode record bytes into a pooled arena (package pool) and wait for every
// record's acknowledgement before returning and recycling it.
package proxy

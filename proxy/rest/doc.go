// Package rest is the request chain every version of krest's HTTP API
// shares: the Route and Handler types, Content-Type and Accept negotiation
// (one negotiator, media.go), request bodies (gzip, limits) and entity
// decoding, the Error type, every Kafka-REST error code (codes.go), and Map,
// the one place that gives the Kafka-side packages' errors their status and
// code. Replies are written here too: JSON entities (Entities), the JSON
// error body, and every streamed reply (StreamWriter, stream.go: v2's
// streamed reads, v3's tails and streaming produce).
//
// A request walks Chain.Handler: Content-Type is checked against what the
// route accepts (415), then Accept against what it answers (406), both
// before the handler runs, as JAX-RS orders them; the handler parses,
// calls a Kafka-side package and writes its reply, or returns an error that
// Map turns into the JSON error body. Every route has a stable name
// (Route.Name), which logs use today and authentication, metrics and
// forwarding will key on.
package rest

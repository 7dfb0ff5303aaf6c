// Package proxy is a krest instance: New builds the Kafka-side services
// (produce, admin, consumer, schema) over their franz-go clients, mounts
// the API versions on one route table (routes.go) through package rest's
// request chain, and Serve / Shutdown run it.
//
// The HTTP layer (rest, v2) calls the Kafka-side packages, never the other
// way round: produce, admin, consumer and schema import neither fasthttp nor
// rest, and return errors as values that rest.Map gives their status and
// Kafka-REST code. TestImportRule holds the rule.
//
// Nothing from a fasthttp.RequestCtx outlives its handler: produce handlers
// decode record bytes into a pooled batch (package produce) and wait for
// every record's acknowledgement before returning and recycling it.
package proxy

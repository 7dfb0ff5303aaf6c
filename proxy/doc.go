// Package proxy is a krest instance: New builds the Kafka-side services
// (produce, admin, consumer, schema) over their franz-go clients, mounts
// the API versions' route tables (v2 and v3 Routes), the OpenAPI document
// and the ops endpoints on one router (routes.go) through package rest's
// request chain, and Serve / Shutdown run it.
//
// The HTTP layer (proxy, rest, v2, v3) calls the Kafka-side packages, never
// the other way round: only the HTTP layer imports fasthttp; produce, admin,
// consumer, schema and the other Kafka-side packages import none of it, and
// return errors as values that rest.Map gives their status and Kafka-REST
// code. TestImportRule holds the rule.
//
// Nothing from a fasthttp.RequestCtx outlives its handler: produce handlers
// decode record bytes into a pooled batch (package produce) and wait for
// every record's acknowledgement before returning and recycling it.
package proxy

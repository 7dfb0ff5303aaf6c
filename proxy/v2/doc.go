// Package v2 is krest's v1/v2 HTTP API, Confluent's REST Proxy v2 paths
// (which are also the v1 paths, with the v1 media types): thin handlers
// that parse a request, call a Kafka-side package (produce, admin,
// consumer, schema) and render its reply in Confluent's shapes. Routes
// (routes.go) is its route table, under Confluent's @ResourceName names;
// negotiation, bodies and error rendering are package rest's.
package v2

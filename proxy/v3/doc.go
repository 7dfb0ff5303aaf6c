// Package v3 serves Confluent's v3 REST API (/v3/clusters/...): thin
// handlers that parse a request, ask the Kafka-side packages (admin,
// produce, consumer, schema) and render v3's resource shapes — kind,
// metadata.self, a CRN resource_name, related links and list envelopes.
//
// Every endpoint but produce checks the {cluster} path parameter against
// the cluster's id (404 "Cluster X cannot be found."); produce accepts any
// id and echoes it, as Confluent's proxy does. Routes are listed in
// routes.go under Confluent's @ResourceName names (api.v3.topics.list, ...),
// which api.v3.enable and the endpoint allow and block lists act on.
package v3

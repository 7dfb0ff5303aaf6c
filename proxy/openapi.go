package proxy

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/rest"
)

// openAPIPath is where krest serves the OpenAPI document of its routes.
const openAPIPath = "/v3/openapi.json"

// success are the routes whose success is not 200.
var success = map[string]string{
	"api.v3.topics.create": "201", "api.v3.acls.create": "201", "api.v3.acls.batch-create": "204",
	"api.v3.topics.delete": "204", "api.v3.batch-produce.produce-to-topic": "207",
	"api.v3.topic-configs.update": "204", "api.v3.topic-configs.delete": "204", "api.v3.topic-configs.alter": "204",
	"api.v3.topic-configs.alter-multi": "204", "api.v3.broker-configs.update": "204", "api.v3.broker-configs.delete": "204",
	"api.v3.broker-configs.alter": "204", "api.v3.cluster-configs.update": "204", "api.v3.cluster-configs.delete": "204",
	"api.v3.cluster-configs.alter": "204", "api.v3.consumer-groups.delete": "204",
	"api.v2.consumers.delete": "204", "api.v2.consumers.subscribe": "204", "api.v2.consumers.unsubscribe": "204",
	"api.v2.consumers.assign": "204", "api.v2.consumers.seek-to-offset": "204", "api.v2.consumers.seek-to-beginning": "204",
	"api.v2.consumers.seek-to-end": "204", "api.v2.consumers.commit-offsets": "200",
}

// extensions are krest's endpoints that Confluent's proxy does not have.
var extensions = map[string]bool{
	"api.v3.consumer-groups.delete": true, "api.v3.consumer-groups.reset-offsets": true,
	"api.v3.partition-reassignments.alter": true, "api.v3.partition-reassignments.cancel": true,
	"api.v3.partition-records.delete": true, "api.v3.openapi": true, "api.v3.records.read": true, "api.v3.records.tail": true,
	"ops.healthy": true, "ops.ready": true, "ops.metrics": true,
}

// openAPIDocument renders the OpenAPI 3.0 document of table: one
// operation per route, named by the route's stable name, with its path
// parameters, the bodies it takes and the replies it gives.
func openAPIDocument(table []rest.Route, version string) []byte {
	type param struct {
		Name     string         `json:"name"`
		In       string         `json:"in"`
		Required bool           `json:"required"`
		Schema   map[string]any `json:"schema"`
	}
	paths := map[string]map[string]any{}
	seen := map[string]int{}
	for _, rt := range table {
		op := map[string]any{}
		id := rt.Name
		if seen[id]++; seen[id] > 1 {
			id += "-" + string(rune('0'+seen[id]))
		}
		op["operationId"] = id
		tag := "v2"
		switch {
		case strings.HasPrefix(rt.Name, "api.v3."):
			tag = "v3"
		case strings.HasPrefix(rt.Name, "api.v1."):
			tag = "v1"
		case strings.HasPrefix(rt.Name, "ops."):
			tag = "operations"
		}
		op["tags"] = []string{tag}
		summary := rt.Name
		if extensions[rt.Name] {
			summary += " (krest extension)"
		}
		op["summary"] = summary
		var params []param
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				name := seg[1 : len(seg)-1]
				typ := "string"
				if name == "partition" || name == "broker" {
					typ = "integer"
				}
				params = append(params, param{Name: name, In: "path", Required: true, Schema: map[string]any{"type": typ}})
			}
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		jsonBody := map[string]any{"schema": map[string]any{"type": "object"}}
		switch rt.Body {
		case rest.BodyJSON:
			ct := "application/json"
			if rt.Version < 3 {
				ct = "application/vnd.kafka.v2+json"
			}
			op["requestBody"] = map[string]any{"required": false, "content": map[string]any{ct: jsonBody}}
		case rest.BodyProduce:
			content := map[string]any{}
			for _, f := range []string{"binary", "json", "avro", "jsonschema", "protobuf"} {
				content["application/vnd.kafka."+f+".v2+json"] = jsonBody
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		case rest.BodyStream:
			op["requestBody"] = map[string]any{"required": true, "description": "concatenated JSON records, streamed (Transfer-Encoding: chunked)",
				"content": map[string]any{"application/json": jsonBody}}
		}
		code := success[rt.Name]
		if code == "" {
			code = "200"
		}
		ok := map[string]any{"description": "success"}
		if code != "204" {
			ct := "application/json"
			switch {
			case rt.Answer == rest.AnswerStream:
				ct = rest.MediaSSE
			case rt.Answer == rest.AnswerRecords || rt.Answer == rest.AnswerMessages:
				ct = "application/vnd.kafka.binary.v2+json"
			case rt.Version < 3 && !strings.HasPrefix(rt.Name, "ops."):
				ct = "application/vnd.kafka.v2+json"
			}
			ok["content"] = map[string]any{ct: jsonBody}
		}
		errRef := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		op["responses"] = map[string]any{code: ok, "default": errRef}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "krest", "version": version,
			"description": "Confluent REST Proxy API v2 and v3, as krest serves it, with krest's extensions marked."},
		"paths": paths,
		"components": map[string]any{"schemas": map[string]any{"Error": map[string]any{
			"type": "object", "required": []string{"error_code", "message"},
			"properties": map[string]any{"error_code": map[string]any{"type": "integer"}, "message": map[string]any{"type": "string"}},
		}}},
	}
	b, _ := json.Marshal(doc) // maps and slices of strings: cannot fail
	return b
}

// openAPIRoute serves doc.
func openAPIRoute(doc *[]byte) rest.Route {
	return route("GET", openAPIPath, "api.v3.openapi", rest.BodyNone, rest.AnswerPlain, 3, func(ctx *fasthttp.RequestCtx, _ rest.Request) error {
		ctx.SetContentType("application/json")
		ctx.SetBody(*doc)
		return nil
	})
}

// routedPaths lists the paths of table, sorted, for tests.
func routedPaths(table []rest.Route) []string {
	var out []string
	for _, rt := range table {
		out = append(out, rt.Method+" "+rt.Path)
	}
	slices.Sort(out)
	return out
}

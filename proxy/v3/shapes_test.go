package v3

// streamShapes are record shapes of a v3 produce stream.
var streamShapes = []struct{ name, record string }{
	{"empty", `{}`},
	{"null-value", `{"value":null}`},
	{"null-data", `{"value":{"type":"BINARY","data":null}}`},
	{"null-header", `{"headers":[{"name":"h","value":null}]}`},
	{"key-only", `{"key":{"type":"BINARY","data":"a2V5"}}`},
	{"value", `{"value":{"type":"BINARY","data":"dmFs"}}`},
	{"json", `{"value":{"type":"JSON","data":{"a":[1,2.5,"\"x"]}}}`},
	{"partition", `{"partition_id":0,"value":{"type":"BINARY","data":"dmFs"}}`},
}

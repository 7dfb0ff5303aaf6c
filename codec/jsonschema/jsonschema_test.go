package jsonschema

import (
	"strings"
	"sync"
	"testing"
)

const personSchema = `{
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1},
    "age": {"type": "integer", "minimum": 0},
    "email": {"type": "string", "format": "email"},
    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
    "kind": {"enum": ["a", "b"]},
    "big": {"type": "integer", "maximum": 9007199254740993},
    "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "addr": {"$ref": "#/definitions/address"}
  },
  "required": ["name"],
  "additionalProperties": false,
  "definitions": {
    "address": {
      "type": "object",
      "properties": {"zip": {"type": "string"}},
      "required": ["zip"]
    }
  }
}`

func mustCompile(t testing.TB, schema string) *Codec {
	t.Helper()
	c, err := Compile(schema)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func TestValidate(t *testing.T) {
	c := mustCompile(t, personSchema)
	long := strings.Repeat("x", 200)
	tests := []struct {
		value string
		err   string // "" = valid
	}{
		{`{"name":"Ann"}`, ""},
		{`{"name":"Ann","age":42,"tags":["a","b"],"kind":"a","addr":{"zip":"1000"}}`, ""},
		{`{"name":"Ann","email":"ann@example.com"}`, ""},
		{`{"name":"Ann","big":9007199254740993}`, ""},
		{`{"name":"Ann","age":1.0}`, ""},
		{` {"name":"Ann"} `, ""},
		{`{"name":"Ann","age":"x"}`, `/age: got string, want integer`},
		{`{"name":"Ann","age":1.5}`, `/age: got number, want integer`},
		{`{"name":"Ann","age":-1}`, `/age: -1 is less than minimum 0`},
		{`{}`, `/: missing property "name"`},
		{`{"age":"x"}`, `/: missing property "name"`},
		{`[]`, `/: got array, want object`},
		{`null`, `/: got null, want object`},
		{`{"name":""}`, `/name: length 0 is less than minLength 1`},
		{`{"name":"Ann","extra":1}`, `/: additional property "extra" not allowed`},
		{`{"name":"Ann","tags":["a",1]}`, `/tags/1: got number, want string`},
		{`{"name":"Ann","tags":["a","a"]}`, `/tags: items at 0 and 1 are equal`},
		{`{"name":"Ann","kind":"c"}`, `/kind: value must be one of "a", "b"`},
		{`{"name":"Ann","email":"nope"}`, `/email: "nope" is not a valid email`},
		{`{"name":"Ann","code":"abcd"}`, `/code: "abcd" does not match pattern "^[A-Z]{3}$"`},
		{`{"name":"Ann","addr":{}}`, `/addr: missing property "zip"`},
		{`{"name":"Ann","addr":{"zip":5}}`, `/addr/zip: got number, want string`},
		// Exact big-integer comparison: 2^53+2 > 2^53+1 although both are the
		// same float64.
		{`{"name":"Ann","big":9007199254740994}`, `/big: 9007199254740994 is greater than maximum 9007199254740993`},
		// Long input is clipped.
		{`{"name":"Ann","code":"` + long + `"}`, `/code: "` + strings.Repeat("x", 40) + `..." does not match pattern "^[A-Z]{3}$"`},
		{`{"name":"Ann","` + long + `":1}`, `/: additional property "` + strings.Repeat("x", 40) + `..." not allowed`},
		{`{"name":"Ann","a\nb":1}`, `/: additional property "a\nb" not allowed`},
		// Malformed JSON.
		{``, `invalid JSON: empty input`},
		{`{"name":`, `invalid JSON: unexpected end of input`},
		{`{"name":"Ann"}x`, `invalid JSON: invalid character after top-level value`},
		{`{"name":"Ann",}`, `invalid JSON: invalid character '}' looking for beginning of object key string`},
		{`{"name":tru}`, `invalid JSON: invalid character '}' in literal true (expecting 'e')`},
	}
	for _, tt := range tests {
		err := c.Validate([]byte(tt.value))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("Validate(%.60q)\n got: %s\nwant: %s", tt.value, got, tt.err)
		}
		if len(got) > 200 || strings.ContainsAny(got, "\n\r") {
			t.Errorf("Validate(%.60q): message not one short line: %q", tt.value, got)
		}
	}
}

func TestValidateCombinators(t *testing.T) {
	tests := []struct {
		schema, value, err string
	}{
		{`{"anyOf":[{"type":"string"},{"type":"integer"}]}`, `true`, `/: does not match any schema of anyOf`},
		{`{"oneOf":[{"type":"integer"},{"minimum":0}]}`, `1`, `/: matches more than one schema of oneOf (0 and 1)`},
		{`{"oneOf":[{"type":"integer"},{"type":"string"}]}`, `null`, `/: does not match any schema of oneOf`},
		{`{"not":{"type":"string"}}`, `"x"`, `/: must not match the schema of not`},
		{`{"allOf":[{"type":"object"},{"required":["a"]}]}`, `{}`, `/: missing property "a"`},
		{`{"const":"x"}`, `"y"`, `/: value must be "x"`},
		{`{"items":false}`, `[1]`, `/0: not allowed (false schema)`},
		{`{"minItems":2}`, `[1]`, `/: minItems: got 1, want 2`},
		{`{"multipleOf":0.5}`, `0.7`, `/: 0.7 is not a multiple of 0.5`},
		{`{"type":"object","properties":{"a/b":{"type":"string"}}}`, `{"a/b":1}`, `/a~1b: got number, want string`},
		// Several failures: the shallowest, then first by key, is reported.
		{`{"properties":{"b":{"type":"string"},"a":{"type":"string"},"c":{"properties":{"d":{"type":"string"}}}}}`,
			`{"c":{"d":1},"b":1,"a":1}`, `/a: got number, want string`},
		{`{"items":{"type":"string"}}`, `["",1,"",2,"","","","","","",3]`, `/1: got number, want string`},
	}
	for _, tt := range tests {
		c := mustCompile(t, tt.schema)
		for range 5 { // the choice among several failures must be stable
			err := c.Validate([]byte(tt.value))
			if err == nil || err.Error() != tt.err {
				t.Errorf("schema %s, value %s\n got: %v\nwant: %s", tt.schema, tt.value, err, tt.err)
				break
			}
		}
	}
}

func TestDraftDetection(t *testing.T) {
	tests := []struct {
		name, schema, value string
		valid               bool
	}{
		// Draft 4: exclusiveMaximum is a boolean modifier of maximum.
		{"draft4", `{"$schema":"http://json-schema.org/draft-04/schema#","maximum":10,"exclusiveMaximum":true}`, `10`, false},
		{"draft4 ok", `{"$schema":"http://json-schema.org/draft-04/schema#","maximum":10,"exclusiveMaximum":true}`, `9`, true},
		// Draft 6+: exclusiveMaximum is a number.
		{"draft6", `{"$schema":"http://json-schema.org/draft-06/schema#","exclusiveMaximum":10}`, `10`, false},
		// Default draft 7: "if/then" is understood.
		{"default draft7", `{"if":{"type":"integer"},"then":{"minimum":5}}`, `3`, false},
		// Draft 6 knows no "if", so it is ignored.
		{"draft6 ignores if", `{"$schema":"http://json-schema.org/draft-06/schema#","if":{"type":"integer"},"then":{"minimum":5}}`, `3`, true},
		// dependentRequired exists from 2019-09 on; draft 7 ignores it.
		{"default ignores dependentRequired", `{"dependentRequired":{"a":["b"]}}`, `{"a":1}`, true},
		{"2019-09", `{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{"a":["b"]}}`, `{"a":1}`, false},
		// prefixItems exists in 2020-12 only.
		{"2020-12", `{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}]}`, `[1]`, false},
		{"draft7 ignores prefixItems", `{"$schema":"http://json-schema.org/draft-07/schema#","prefixItems":[{"type":"string"}]}`, `[1]`, true},
		// An unknown meta-schema falls back to draft 7, as the registry does.
		{"unknown $schema is draft 7", `{"$schema":"http://example.com/custom-meta#","if":{"type":"integer"},"then":{"minimum":5}}`, `3`, false},
		{"unknown $schema still validates", `{"$schema":"https://schemas.example.org/v1","type":"object","required":["a"]}`, `{}`, false},
		{"draft URL without fragment", `{"$schema":"http://json-schema.org/draft-06/schema","if":{"type":"integer"},"then":{"minimum":5}}`, `3`, true},
		// Format is asserted in draft 7 (Confluent's default).
		{"draft7 format", `{"format":"date"}`, `"2024-13-45"`, false},
	}
	for _, tt := range tests {
		c, err := Compile(tt.schema)
		if err != nil {
			t.Errorf("%s: Compile: %v", tt.name, err)
			continue
		}
		err = c.Validate([]byte(tt.value))
		if (err == nil) != tt.valid {
			t.Errorf("%s: Validate(%s) = %v, want valid=%v", tt.name, tt.value, err, tt.valid)
		}
	}
	c := mustCompile(t, `{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{"a":["b"]}}`)
	if err := c.Validate([]byte(`{"a":1}`)); err == nil || err.Error() != `/: properties "b" required when "a" is present` {
		t.Errorf("dependentRequired: %v", err)
	}
}

func TestRefs(t *testing.T) {
	// $ref to a definition, to $defs via an $id, and recursive refs work.
	ok := []string{
		`{"$defs":{"n":{"type":"integer"}},"$ref":"#/$defs/n"}`,
		`{"$id":"http://example.com/root.json","definitions":{"n":{"$id":"num.json","type":"integer"}},"allOf":[{"$ref":"num.json"}]}`,
		`{"$id":"http://example.com/root.json","definitions":{"n":{"type":"integer"}},"allOf":[{"$ref":"http://example.com/root.json#/definitions/n"}]}`,
		`{"definitions":{"n":{"$id":"#num","type":"integer"}},"allOf":[{"$ref":"#num"}]}`,
	}
	for _, s := range ok {
		c := mustCompile(t, s)
		if err := c.Validate([]byte(`1`)); err != nil {
			t.Errorf("schema %s: Validate(1) = %v", s, err)
		}
		if err := c.Validate([]byte(`"1"`)); err == nil || err.Error() != `/: got string, want integer` {
			t.Errorf("schema %s: Validate(\"1\") = %v", s, err)
		}
	}
	// "$ref" inside instance data is not a reference.
	data := mustCompile(t, `{"enum":[{"$ref":"http://json-schema.org/draft-07/schema#"}]}`)
	if err := data.Validate([]byte(`{"$ref":"http://json-schema.org/draft-07/schema#"}`)); err != nil {
		t.Errorf("enum with $ref data: %v", err)
	}
	tree := mustCompile(t, `{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#"}}},"required":["id"]}`)
	if err := tree.Validate([]byte(`{"id":1,"kids":[{"id":2,"kids":[{}]}]}`)); err == nil || err.Error() != `/kids/0/kids/0: missing property "id"` {
		t.Errorf("recursive $ref: %v", err)
	}
}

func TestRemoteRefRejected(t *testing.T) {
	tests := []struct{ schema, errPart string }{
		{`{"$ref":"http://example.com/other.json"}`, `reference to http://example.com/other.json outside the schema is not allowed`},
		{`{"$ref":"https://127.0.0.1:1/x.json#/a"}`, `reference to https://127.0.0.1:1/x.json outside the schema is not allowed`},
		{`{"$ref":"other.json"}`, `reference to mem:///other.json outside the schema is not allowed`},
		{`{"$ref":"file:///etc/passwd"}`, `reference to file:///etc/passwd outside the schema is not allowed`},
		{`{"$ref":"/etc/hosts"}`, `reference to mem:///etc/hosts outside the schema is not allowed`},
		{`{"$id":"http://example.com/root.json","allOf":[{"$ref":"sibling.json"}]}`, `reference to http://example.com/sibling.json outside the schema is not allowed`},
		{`{"properties":{"a":{"$ref":"urn:x:y"}}}`, `reference to urn:x:y outside the schema is not allowed`},
		{`{"$ref":"#/definitions/missing"}`, `not found`},
		{`{"$ref":"http://json-schema.org/draft-07/schema#"}`, `reference to http://json-schema.org/draft-07/schema# outside the schema is not allowed`},
		{`{"properties":{"enum":{"items":[{"$ref":"https://json-schema.org/draft/2020-12/schema"}]}}}`, `reference to https://json-schema.org/draft/2020-12/schema outside the schema is not allowed`},
		{`{"$ref":"http://example.com/other.json"}`, `jsonschema: invalid schema: reference to http://example.com/other.json outside the schema is not allowed`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.schema)
		if err == nil || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("Compile(%s) = %v, want error containing %q", tt.schema, err, tt.errPart)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("Compile(%s): multi-line error %q", tt.schema, err)
		}
	}
}

func TestInvalidSchema(t *testing.T) {
	tests := []struct{ schema, err string }{
		{``, `jsonschema: invalid schema JSON: empty input`},
		{`{"type":`, `jsonschema: invalid schema JSON: unexpected end of input`},
		{`{"type":"strin"}`, `jsonschema: invalid schema: /type: does not match any schema of anyOf`},
		{`{"minLength":-1}`, `jsonschema: invalid schema: /minLength: -1 is less than minimum 0`},
		{`{"properties":{"a":{"required":"x"}}}`, `jsonschema: invalid schema: /properties/a/required: got string, want array`},
		{`{"pattern":"("}`, `jsonschema: invalid schema: /pattern: "(" is not a valid regex`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.schema)
		if err == nil || err.Error() != tt.err {
			t.Errorf("Compile(%s)\n got: %v\nwant: %s", tt.schema, err, tt.err)
		}
	}
	// Boolean schemas are valid schemas.
	if c := mustCompile(t, `true`); c.Validate([]byte(`1`)) != nil {
		t.Error("true schema rejected a value")
	}
	if c := mustCompile(t, `false`); c.Validate([]byte(`1`)) == nil {
		t.Error("false schema accepted a value")
	}
}

func TestConcurrent(t *testing.T) {
	c := mustCompile(t, personSchema)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if i%2 == 0 {
					if err := c.Validate([]byte(`{"name":"Ann","age":3}`)); err != nil {
						t.Error(err)
						return
					}
				} else if err := c.Validate([]byte(`{"age":3}`)); err == nil {
					t.Error("want error")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzValidate(f *testing.F) {
	c := mustCompile(f, personSchema)
	for _, s := range []string{
		`{"name":"Ann","age":42}`, `{}`, `[]`, `1e999`, `"\ud800"`, `{"name":"Ann","big":123456789012345678901234567890}`,
		`{"name":"Ann","tags":["a","a"],"addr":{"zip":1}}`, `{"a":`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := c.Validate(data)
		if err != nil {
			msg := err.Error()
			if len(msg) > 300 || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("bad message %q", msg)
			}
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	c := mustCompile(b, personSchema)
	v := []byte(`{"name":"Ann","age":42,"tags":["a","b"],"kind":"a","addr":{"zip":"1000"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Validate(v); err != nil {
			b.Fatal(err)
		}
	}
}

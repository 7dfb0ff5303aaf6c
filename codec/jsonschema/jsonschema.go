// Package jsonschema validates JSON values against a JSON Schema, as used by
// the proxy for the Schema Registry "JSON" format (JSON Schema).
//
// The payload handled here is the JSON text after the Schema Registry header
// (magic byte and schema id); framing is done by the caller.
//
// Schemas are compiled with github.com/santhosh-tekuri/jsonschema/v6. The
// draft is taken from "$schema" (draft 4, 6, 7, 2019-09 and 2020-12 are
// supported); without "$schema", or with one naming no known draft, draft 7
// is used, like Confluent's Schema Registry. Schemas are self-contained: a "$ref" that does not resolve inside
// the schema document is a compile error, and no file or network access is
// ever made (references to the official draft meta-schemas, which the
// library embeds, are refused too).
//
// "format" is asserted for drafts 4 to 7 and only annotates for 2019-09 and
// 2020-12 (the library's defaults, following the specifications).
//
// Numbers are decoded exactly (as decimal text, never float64), so integers
// beyond 2^53 and long decimals are validated without loss of precision.
package jsonschema

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	js "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/krest-dev/krest/codec"
)

// schemaURL is the (never loaded) location the compiled schema is registered
// under. Relative "$ref"s resolve against it (or against the schema's "$id")
// and, when they leave the document, reach the refusing loader below.
const schemaURL = "mem:///schema.json"

// Codec validates JSON values against one JSON Schema. Safe for concurrent use.
type Codec struct {
	schema *js.Schema
}

// noLoader refuses every document that is not part of the schema itself.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, refusedError("reference to " + printable(codec.Clip(url, maxPointer)) + " outside the schema is not allowed")
}

// refusedError is the error of noLoader.
type refusedError string

func (e refusedError) Error() string { return string(e) }

// Compile compiles schema text. The draft is detected from "$schema" and
// defaults to draft 7. A "$ref" to anything not inside the schema is an error,
// as is an invalid schema.
func Compile(schema string) (*Codec, error) { return CompileWithReferences(schema, nil) }

// CompileWithReferences compiles schema with the documents its "$ref"s
// name outside it, by the name the "$ref" uses ("address.json" or an
// absolute URL → its text): the Schema Registry's references. A relative
// name resolves as a "$ref" in schema does.
func CompileWithReferences(schema string, refs map[string]string) (*Codec, error) {
	doc, err := js.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("jsonschema: invalid schema JSON: %s", jsonErr(err))
	}
	if err := checkRefs(doc); err != nil {
		return nil, fmt.Errorf("jsonschema: invalid schema: %s", err)
	}
	dropUnknownDraft(doc)
	c := js.NewCompiler()
	c.DefaultDraft(js.Draft7)
	c.UseLoader(noLoader{})
	for _, name := range slices.Sorted(maps.Keys(refs)) {
		rdoc, err := js.UnmarshalJSON(strings.NewReader(refs[name]))
		if err != nil {
			return nil, fmt.Errorf("jsonschema: invalid schema JSON of reference %s: %s", printable(codec.Clip(name, maxPointer)), jsonErr(err))
		}
		if err := checkRefs(rdoc); err != nil {
			return nil, fmt.Errorf("jsonschema: invalid schema: reference %s: %s", printable(codec.Clip(name, maxPointer)), err)
		}
		dropUnknownDraft(rdoc)
		at, err := referenceURL(name)
		if err == nil {
			err = c.AddResource(at, rdoc)
		}
		if err != nil {
			return nil, fmt.Errorf("jsonschema: reference %s: %w", printable(codec.Clip(name, maxPointer)), err)
		}
	}
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("jsonschema: %w", err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("jsonschema: invalid schema: %s", compileErr(err))
	}
	return &Codec{schema: sch}, nil
}

// Validate checks one JSON value. The error is one short line naming the
// failing location (a JSON pointer) and the reason, e.g.
// `/age: got string, want integer`. Malformed JSON is an error too.
func (c *Codec) Validate(jsonValue []byte) error {
	v, err := js.UnmarshalJSON(bytes.NewReader(jsonValue))
	if err != nil {
		return fmt.Errorf("invalid JSON: %s", jsonErr(err))
	}
	if err := c.schema.Validate(v); err != nil {
		var ve *js.ValidationError
		if errors.As(err, &ve) {
			return errors.New(describe(ve))
		}
		return errors.New(codec.Clip(err.Error(), maxMessage))
	}
	return nil
}

// referenceURL is where a reference named name is found: name itself when
// it is an absolute URL, else name resolved against schemaURL.
func referenceURL(name string) (string, error) {
	ref, err := url.Parse(name)
	if err != nil {
		return "", errors.New("is not a URL")
	}
	if ref.IsAbs() {
		return name, nil
	}
	base, _ := url.Parse(schemaURL)
	return base.ResolveReference(ref).String(), nil
}

// knownDrafts are the meta-schema URLs of the drafts the library knows,
// without scheme and fragment.
var knownDrafts = map[string]bool{
	"json-schema.org/draft-04/schema": true, "json-schema.org/draft-06/schema": true,
	"json-schema.org/draft-07/schema": true, "json-schema.org/draft/2019-09/schema": true,
	"json-schema.org/draft/2020-12/schema": true,
}

// dropUnknownDraft removes a root "$schema" naming no known draft, so that
// the schema compiles under the default draft, as the Schema Registry and
// Confluent's serializer treat it, instead of failing on a meta-schema
// that would have to be fetched.
func dropUnknownDraft(doc any) {
	root, ok := doc.(map[string]any)
	if !ok {
		return
	}
	url, ok := root["$schema"].(string)
	if !ok {
		return
	}
	u := strings.TrimSuffix(url, "#")
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if !knownDrafts[u] {
		delete(root, "$schema")
	}
}

// checkRefs rejects references to the draft meta-schemas. The library serves
// those from embedded copies before consulting the loader, so noLoader never
// sees them; they are outside the schema all the same.
func checkRefs(doc any) error {
	switch v := doc.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			var err error
			switch k {
			case "$ref", "$dynamicRef", "$recursiveRef":
				if ref, ok := v[k].(string); ok && (strings.HasPrefix(ref, "http://json-schema.org/") || strings.HasPrefix(ref, "https://json-schema.org/")) {
					err = refusedError("reference to " + printable(codec.Clip(ref, maxPointer)) + " outside the schema is not allowed")
				}
			case "enum", "const", "default", "examples":
				// instance data, not subschemas
			case "properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies":
				// maps of names (which may be keyword-like) to subschemas
				if m, ok := v[k].(map[string]any); ok {
					for _, name := range slices.Sorted(maps.Keys(m)) {
						if err = checkRefs(m[name]); err != nil {
							break
						}
					}
				}
			default:
				err = checkRefs(v[k])
			}
			if err != nil {
				return err
			}
		}
	case []any:
		for _, item := range v {
			if err := checkRefs(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonErr turns an encoding/json decode error (as returned by
// jsonschema.UnmarshalJSON) into a short message. Those messages quote at most
// one input character, but are clipped anyway.
func jsonErr(err error) string {
	msg := err.Error()
	switch msg {
	case "EOF":
		return "empty input"
	case "unexpected EOF":
		return "unexpected end of input"
	}
	return codec.Clip(msg, maxMessage)
}

// compileErr makes a compile error one line: a schema that does not match
// its meta-schema is reported like a validation error (pointing into the
// schema), anything else is the library's message.
func compileErr(err error) string {
	var sve *js.SchemaValidationError
	if errors.As(err, &sve) {
		var ve *js.ValidationError
		if errors.As(sve.Err, &ve) {
			return describe(ve)
		}
	}
	var refused refusedError
	if errors.As(err, &refused) {
		return string(refused)
	}
	var le *js.LoadURLError
	if errors.As(err, &le) {
		if errors.As(le.Err, &refused) {
			return string(refused)
		}
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return codec.Clip(msg, maxMessage)
}

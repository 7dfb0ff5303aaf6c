package v3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/krest-dev/krest/proxy/rest"
)

// decode reads a v3 request entity into v as Confluent's Jackson provider
// does: an empty or null body is empty (the handler's own 422), malformed
// JSON is 400, an unknown field is 422 "Unrecognized field: name", a value
// of the wrong type 400. Admin entities are small; the produce path has
// its own decoder.
func decode(body []byte, v any, empty error) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return empty
	}
	d := json.NewDecoder(bytes.NewReader(t))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := d.Token(); err != io.EOF {
		return rest.Errorf(400, rest.CodeBadRequest, "Unexpected content after the JSON entity")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return rest.Errorf(422, rest.CodeUnprocessable, "Unrecognized field: %s", name)
	case errors.As(err, &syn):
		return rest.Errorf(400, rest.CodeBadRequest, "Unexpected character in JSON at offset %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(root)"
		}
		return rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `%s` from %s (field %s)", typ.Type, typ.Value, field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return rest.Errorf(400, rest.CodeBadRequest, "Unexpected end-of-input in JSON")
	}
	return rest.Errorf(400, rest.CodeBadRequest, "%s", fmt.Sprint(err))
}

// errPayload is Confluent's 422/42206 "Payload error. ...".
func errPayload(msg string) error {
	return rest.Errorf(422, rest.CodePayload, "Payload error. %s", msg)
}

package rest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/bytedance/sonic"
	sonicerr "github.com/bytedance/sonic/decoder"
	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
)

// Body is a request body, gunzipped when the request says so. B is valid
// until Release, and never after the handler returns. Bodies are read whole
// today; a streamed body (fasthttp's StreamRequestBody) would be read here
// too, so that handlers keep one way to get at it.
type Body struct {
	B   []byte
	buf *pool.Buffer // the gunzipped body, nil for the raw one
}

// Release returns the body's buffer; B must not be used after it.
func (b *Body) Release() {
	if b.buf != nil {
		pool.PutBuffer(b.buf)
		b.buf, b.B = nil, nil
	}
}

// ReadBody returns the request body, gunzipped when the request says
// Content-Encoding: gzip, and never longer than limit
// (request.body.max.bytes): 413 beyond it, 415 for other encodings.
func ReadBody(ctx *fasthttp.RequestCtx, limit int) (Body, error) {
	enc := bytes.TrimSpace(ctx.Request.Header.ContentEncoding())
	switch {
	case len(enc) == 0, bytes.EqualFold(enc, []byte("identity")):
		return Body{B: ctx.PostBody()}, nil
	case !bytes.EqualFold(enc, []byte("gzip")):
		return Body{}, Errorf(415, CodeUnsupportedMediaType, "Unsupported Content-Encoding %q: krest accepts gzip and identity", enc)
	}
	zr, zerr := gzip.NewReader(bytes.NewReader(ctx.PostBody()))
	if zerr != nil {
		return Body{}, Errorf(400, CodeBadRequest, "Bad Request: invalid gzip body: %v", zerr)
	}
	defer zr.Close()
	buf := pool.GetBuffer()
	for {
		buf.Grow(32 << 10)
		n, rerr := zr.Read(buf.B[len(buf.B):cap(buf.B)])
		buf.B = buf.B[:len(buf.B)+n]
		if len(buf.B) > limit {
			pool.PutBuffer(buf)
			return Body{}, ErrBodyTooLarge(limit)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			pool.PutBuffer(buf)
			return Body{}, Errorf(400, CodeBadRequest, "Bad Request: invalid gzip body: %v", rerr)
		}
	}
	return Body{B: buf.B, buf: buf}, nil
}

// IsBlank reports whether body holds only JSON whitespace.
func IsBlank(body []byte) bool {
	return len(bytes.TrimLeft(body, " \t\r\n")) == 0
}

// entityJSON decodes request entities: unknown fields are errors, as with
// Jackson's FAIL_ON_UNKNOWN_PROPERTIES in Confluent's proxy; strings are
// copied so nothing decoded aliases the request buffer; keys match exactly
// (Jackson is case-sensitive) and strings must be valid JSON strings, since
// the json format stores them verbatim.
var entityJSON = sonic.Config{DisallowUnknownFields: true, CopyString: true, CaseSensitive: true, ValidateString: true}.Froze()

// DecodeJSON decodes the entity body into v, with Confluent's errors for
// unknown fields and malformed JSON (see JSONError).
func DecodeJSON(body []byte, v any) error {
	if err := entityJSON.Unmarshal(body, v); err != nil {
		return JSONError(err)
	}
	return nil
}

// DecodeJSONInPlace is DecodeJSON without sonic's copy of the body. Strings
// are still copied, but raw values (sonic.NoCopyRawMessage fields of v)
// reference body: the caller must be done with them before body is
// released or reused.
func DecodeJSONInPlace(body []byte, v any) error {
	if err := entityJSON.UnmarshalFromString(unsafe.String(unsafe.SliceData(body), len(body)), v); err != nil {
		return JSONError(err)
	}
	return nil
}

// JSONError maps a request-decoding error to Confluent's replies: 422
// "Unrecognized field: x" for unknown fields, 400 with the parser's message
// for malformed JSON and for values of the wrong type.
func JSONError(err error) *Error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		return &Error{Status: 422, Code: CodeUnprocessable, Message: "Unrecognized field: " + strings.TrimSuffix(name, `"`), Err: err}
	}
	var syn sonicerr.SyntaxError
	if errors.As(err, &syn) {
		msg = syn.Description()
	}
	var mis *sonicerr.MismatchTypeError
	if errors.As(err, &mis) {
		msg = fmt.Sprintf("value at index %d is not of the expected type (%s)", mis.Pos, jsonTypeName(mis.Type))
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ":")
	return &Error{Status: 400, Code: CodeBadRequest, Message: "Malformed request body: " + msg, Err: err}
}

// jsonTypeName names a Go type of the request structs in JSON terms.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return "integer"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	}
	return t.String()
}

package rest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/bytedance/sonic"
	sonicerr "github.com/bytedance/sonic/decoder"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
)

// bodyStep is how much more of the memory budget a body whose length is
// not known in advance (chunked, or gunzipped) reserves at a time.
const bodyStep = 64 << 10

// ErrBusy is the 429 of a request whose body does not fit in the memory
// budget (request.memory.max.bytes) now; WriteError adds Retry-After.
var ErrBusy = Errorf(429, CodeTooManyRequests, "Too many request bodies in memory: request.memory.max.bytes is reached; retry later")

// body is a request body held for its handler: the bytes read from the
// connection and, for Content-Encoding: gzip, the gunzipped ones, both in
// pooled buffers charged to the memory budget.
type body struct {
	raw, plain *pool.Buffer
	charged    int64
}

// release returns the buffers and the budget.
func (b *body) release(mem *pool.Budget) {
	if b.raw != nil {
		pool.PutBuffer(b.raw)
	}
	if b.plain != nil {
		pool.PutBuffer(b.plain)
	}
	if b.charged > 0 {
		mem.Release(b.charged)
	}
	*b = body{}
}

// bytes returns the body as the handler sees it.
func (b *body) bytes() []byte {
	if b.plain != nil {
		return b.plain.B
	}
	if b.raw != nil {
		return b.raw.B
	}
	return nil
}

// charge reserves n more bytes of mem, or fails with ErrBusy.
func (b *body) charge(mem *pool.Budget, n int64) error {
	if mem == nil {
		return nil
	}
	if !mem.TryAcquire(n) {
		return ErrBusy
	}
	b.charged += n
	return nil
}

// readBody reads the request body from the connection (fasthttp streams
// it: nothing is buffered before this runs), charging mem before each part
// is read, and gunzips it when the request says Content-Encoding: gzip. It
// fails with 413 past limit (request.body.max.bytes, after gunzip), 429
// when mem has no room, 415 for encodings other than gzip and identity,
// 408 when the client is too slow and 400 for a broken body.
func readBody(ctx *fasthttp.RequestCtx, limit int, mem *pool.Budget, b *body) error {
	enc := bytes.TrimSpace(ctx.Request.Header.ContentEncoding())
	gzipped := bytes.EqualFold(enc, []byte("gzip"))
	if len(enc) > 0 && !gzipped && !bytes.EqualFold(enc, []byte("identity")) {
		return Errorf(415, CodeUnsupportedMediaType, "Unsupported Content-Encoding %q: krest accepts gzip and identity", enc)
	}
	n := ctx.Request.Header.ContentLength()
	if n > limit {
		return ErrBodyTooLarge(limit)
	}
	var src io.Reader = ctx.RequestBodyStream()
	if src == nil { // a server without StreamRequestBody, as in tests
		src = bytes.NewReader(ctx.Request.Body())
	}
	b.raw = pool.GetBuffer()
	if n >= 0 {
		if err := b.charge(mem, int64(n)); err != nil {
			return err
		}
		b.raw.B = slices.Grow(b.raw.B[:0], n)[:n]
		if _, err := io.ReadFull(src, b.raw.B); err != nil {
			return readError(err)
		}
	} else if err := b.readAll(src, b.raw, limit, mem); err != nil {
		return err
	}
	if !gzipped {
		return nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b.raw.B))
	if err != nil {
		return Errorf(400, CodeBadRequest, "Bad Request: invalid gzip body: %v", err)
	}
	defer zr.Close()
	b.plain = pool.GetBuffer()
	return b.readAll(zr, b.plain, limit, mem)
}

// readAll reads src to its end into buf, reserving mem a step ahead.
func (b *body) readAll(src io.Reader, buf *pool.Buffer, limit int, mem *pool.Budget) error {
	buf.B = buf.B[:0]
	var reserved int64
	for {
		if int64(len(buf.B)) >= reserved {
			if err := b.charge(mem, bodyStep); err != nil {
				return err
			}
			reserved += bodyStep
		}
		buf.Grow(min(32<<10, int(reserved)-len(buf.B)))
		n, err := src.Read(buf.B[len(buf.B):min(cap(buf.B), int(reserved))])
		buf.B = buf.B[:len(buf.B)+n]
		if len(buf.B) > limit {
			return ErrBodyTooLarge(limit)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readError(err)
		}
	}
}

// readError maps a failed body read: a timeout is 408, a gzip stream that
// does not decode is 400, anything else (the client went away) is 400.
func readError(err error) *Error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return Errorf(408, CodeRequestTimeout, "Timed out reading the request")
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, new(flate.CorruptInputError)):
		return Errorf(400, CodeBadRequest, "Bad Request: invalid gzip body: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(400, CodeBadRequest, "Bad Request: the body ended early: %v", err)
	}
	return Errorf(400, CodeBadRequest, "Bad Request: cannot read the body: %v", err)
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

// CheckNumbers refuses a JSON body carrying a number longer than
// codec.MaxNumberLength or beyond float64's range (codec.CheckNumbers),
// with a 400 like malformed JSON, as Jackson's limits refuse it in
// Confluent's proxy: such a number is never data a client means, and
// krest does not pass it on to a decoder, a schema or Kafka.
func CheckNumbers(body []byte) *Error {
	if err := codec.CheckNumbers(body); err != nil {
		return &Error{Status: 400, Code: CodeBadRequest, Message: "Malformed request body: " + err.Error(), Err: err}
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

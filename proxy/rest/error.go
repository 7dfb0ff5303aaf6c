package rest

import (
	"fmt"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
)

// Error is an API error: the HTTP status, the Kafka-REST error code (see
// codes.go) and the message sent in {"error_code":..., "message":...}.
type Error struct {
	Status  int
	Code    int
	Message string
	Err     error // the cause, if any; never shown to clients
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a formatted message.
func Errorf(status, code int, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is Confluent's BadRequestException: 400 and "Bad Request: ...".
func BadRequest(err error) *Error {
	return &Error{Status: 400, Code: CodeBadRequest, Message: "Bad Request: " + err.Error(), Err: err}
}

// Unprocessable is a 422 whose code is the bare status, as Confluent's
// bean-validation failures are.
func Unprocessable(format string, args ...any) *Error {
	return Errorf(422, CodeUnprocessable, format, args...)
}

// SerializationError is Confluent's 422/42207 "Error serializing message.".
func SerializationError(format string, args ...any) *Error {
	return Errorf(422, CodeSerialization, "Error serializing message. "+format, args...)
}

// DeserializationError is Confluent's 408/40801: a consumed record that
// does not decode in the requested format.
func DeserializationError(format string, args ...any) *Error {
	return Errorf(408, CodeDeserialization, format, args...)
}

// The errors every API version shares.
var (
	ErrNotFound             = Errorf(404, CodeNotFound, "HTTP 404 Not Found")
	ErrMethodNotAllowed     = Errorf(405, CodeMethodNotAllowed, "HTTP 405 Method Not Allowed")
	ErrNotAcceptable        = Errorf(406, CodeNotAcceptable, "HTTP 406 Not Acceptable")
	ErrUnsupportedMediaType = Errorf(415, CodeUnsupportedMediaType, "HTTP 415 Unsupported Media Type")
	ErrInternal             = Errorf(500, CodeInternal, "Internal Server Error")
	ErrTopicNotFound        = Errorf(404, CodeTopicNotFound, "This server does not host this topic-partition.")
	ErrProduceTopicNotFound = Errorf(404, CodeUnknownTopic, "Topic not found.")
	ErrPartitionNotFound    = Errorf(404, CodePartitionNotFound, "Partition not found.")
	ErrBodyEmpty            = Errorf(422, CodePayload, "Payload error. Request body is empty. Data is required.")
	ErrNoRegistry           = Errorf(422, CodePayload, "Payload error. Schema Registry must be configured when using schemas.")
	ErrFormatMismatch       = Errorf(406, CodeConsumerFormatMismatch, "The requested embedded data format does not match the deserializer for this consumer instance")
	ErrKeySchemaMissing     = Errorf(422, CodeKeySchemaMissing, "Request includes keys but does not include key schema")
	ErrValueSchemaMissing   = Errorf(422, CodeValueSchemaMissing, "Request includes values but does not include value schema")
)

// ErrBodyTooLarge is the 413 of a body over request.body.max.bytes.
func ErrBodyTooLarge(limit int) *Error {
	return Errorf(413, CodeBodyTooLarge, "Request body is larger than request.body.max.bytes (%d bytes)", limit)
}

// WriteError renders err, mapped by Map, as the JSON error body.
func WriteError(ctx *fasthttp.RequestCtx, err error) {
	e := Map(err)
	ctx.Response.Reset()
	ctx.SetStatusCode(e.Status)
	ctx.SetContentType("application/json")
	if e.Status == fasthttp.StatusTooManyRequests {
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, "1")
	}
	var buf [256]byte
	ctx.SetBody(AppendErrorBody(buf[:0], e.Code, e.Message))
}

// AppendErrorBody appends the JSON error body every API version answers
// with: {"error_code":code,"message":message}.
func AppendErrorBody(dst []byte, code int, message string) []byte {
	dst = append(dst, `{"error_code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `,"message":`...)
	dst = codec.AppendQuote(dst, message)
	return append(dst, '}')
}

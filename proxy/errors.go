package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/registry"
)

// Error is an API error: the HTTP status, the Kafka-REST error code of
// Confluent's proxy (a 5-digit code, or the bare status) and the message sent
// in {"error_code":..., "message":...}.
type Error struct {
	Status  int
	Code    int
	Message string
	Err     error // the cause, if any; never shown to clients
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func newError(status, code int, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Kafka-REST error codes, named as in Confluent's Errors.java.
const (
	codePartitionNotFound   = 40402
	codeTopicNotFound       = 40403 // UnknownTopicOrPartition, reused by Confluent for topics
	codeKafkaAuthentication = 40101
	codeKafkaAuthorization  = 40301
	codeKafkaError          = 50002
	codeKafkaRetriable      = 50003
	codeBrokerNotAvailable  = 50302
	codePayloadError        = 42206
)

var (
	errNotFound             = newError(404, 404, "HTTP 404 Not Found")
	errMethodNotAllowed     = newError(405, 405, "HTTP 405 Method Not Allowed")
	errNotAcceptable        = newError(406, 406, "HTTP 406 Not Acceptable")
	errUnsupportedMediaType = newError(415, 415, "HTTP 415 Unsupported Media Type")
	errTopicNotFound        = newError(404, codeTopicNotFound, "This server does not host this topic-partition.")
	errPartitionNotFound    = newError(404, codePartitionNotFound, "Partition not found.")
	errBodyEmpty            = newError(422, codePayloadError, "Payload error. Request body is empty. Data is required.")
	errRecordsEmpty         = newError(422, 422, "records may not be empty")
	errInternal             = newError(500, 500, "Internal Server Error")
)

// The errors of consumer instances (package consumer) as Confluent's proxy
// reports them; consumerError maps them.
var (
	errInstanceNotFound = newError(404, 40403, "Consumer instance not found.")
	errInstanceExists   = newError(409, 40902, "Consumer with specified consumer ID already exists in the specified consumer group.")
	errTooManyInstances = newError(429, 429, "Too many consumer instances: consumer.instances.max is reached; delete unused instances or raise it")
	errConsumerMemory   = newError(429, 429, "Consumer memory budget exhausted: consumer.memory.max.bytes cannot hold another instance's consumer.buffer.max.bytes; delete idle instances or raise it")
)

// badRequest is Confluent's BadRequestException: 400 and "Bad Request: ...".
func badRequest(err error) *Error {
	return &Error{Status: 400, Code: 400, Message: "Bad Request: " + err.Error(), Err: err}
}

// apiError is the one place errors get their status and code: *Error as is,
// consumer instance errors and Schema Registry failures by kind, anything
// else as a Kafka error.
func apiError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if ce := consumerError(err); ce != nil {
		return ce
	}
	var re *registry.Error
	if errors.As(err, &re) {
		return registryError(re)
	}
	return kafkaError(err)
}

// consumerError maps the errors of package consumer, and returns nil for
// any other error. Kafka's IllegalStateException is Confluent's 409/40903.
func consumerError(err error) *Error {
	var ise *consumer.IllegalStateError
	var pe *consumer.PatternError
	switch {
	case errors.Is(err, consumer.ErrInstanceNotFound):
		return errInstanceNotFound
	case errors.Is(err, consumer.ErrInstanceExists):
		return errInstanceExists
	case errors.Is(err, consumer.ErrTooManyInstances):
		return errTooManyInstances
	case errors.Is(err, consumer.ErrMemory):
		return errConsumerMemory
	case errors.Is(err, consumer.ErrPartitionNotFound):
		return errPartitionNotFound
	case errors.As(err, &ise):
		return &Error{Status: 409, Code: 40903, Message: "Illegal state: " + ise.Msg, Err: err}
	case errors.As(err, &pe):
		return &Error{Status: 422, Code: 422, Message: fmt.Sprintf("Invalid topic_pattern %q: %v", pe.Pattern, pe.Err), Err: err}
	}
	return nil
}

// writeError renders err as the JSON error body.
func writeError(ctx *fasthttp.RequestCtx, err error) {
	e := apiError(err)
	ctx.Response.Reset()
	ctx.SetStatusCode(e.Status)
	ctx.SetContentType("application/json")
	var buf [256]byte
	b := append(buf[:0], `{"error_code":`...)
	b = fasthttp.AppendUint(b, e.Code)
	b = append(b, `,"message":`...)
	b = codec.AppendQuote(b, e.Message)
	b = append(b, '}')
	ctx.SetBody(b)
}

// kafkaError maps an error from the Kafka client to the status and code
// Confluent's KafkaExceptionMapper gives the equivalent Java exception.
func kafkaError(err error) *Error {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		switch {
		case ke == kerr.UnknownTopicOrPartition || ke == kerr.UnknownTopicID:
			return &Error{Status: 404, Code: codeTopicNotFound, Message: errTopicNotFound.Message, Err: err}
		case isAuthentication(ke):
			return &Error{Status: 401, Code: codeKafkaAuthentication, Message: ke.Description, Err: err}
		case isAuthorization(ke):
			return &Error{Status: 403, Code: codeKafkaAuthorization, Message: ke.Description, Err: err}
		case ke == kerr.BrokerNotAvailable:
			return &Error{Status: 503, Code: codeBrokerNotAvailable, Message: ke.Description, Err: err}
		case ke.Retriable:
			return &Error{Status: 500, Code: codeKafkaRetriable, Message: ke.Description, Err: err}
		}
		return &Error{Status: 500, Code: codeKafkaError, Message: ke.Description, Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, kgo.ErrRecordTimeout):
		return &Error{Status: 500, Code: codeKafkaRetriable, Message: "Timed out waiting for Kafka: " + err.Error(), Err: err}
	case errors.Is(err, kgo.ErrClientClosed):
		return &Error{Status: 503, Code: 503, Message: "krest is shutting down", Err: err}
	}
	return &Error{Status: 500, Code: codeKafkaError, Message: "Kafka error: " + err.Error(), Err: err}
}

// recordErrorCode is the per-record error_code of a failed produce, as
// Confluent's v2 AbstractProduceAction classifies the Java exception.
func recordErrorCode(err error) int {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		switch {
		case isAuthentication(ke):
			return codeKafkaAuthentication
		case isAuthorization(ke):
			return codeKafkaAuthorization
		case ke.Retriable:
			return codeKafkaRetriable
		}
		return codeKafkaError
	case errors.Is(err, kgo.ErrRecordTimeout), errors.Is(err, kgo.ErrRecordRetries), errors.Is(err, context.DeadlineExceeded):
		return codeKafkaRetriable
	case strings.HasPrefix(err.Error(), "invalid record partitioning choice"):
		return codePartitionNotFound
	}
	return codeKafkaError
}

// recordErrorMessage is the per-record "error" text.
func recordErrorMessage(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) && !errors.Is(err, kgo.ErrRecordTimeout) {
		return ke.Description
	}
	if strings.HasPrefix(err.Error(), "invalid record partitioning choice") {
		return errPartitionNotFound.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "Kafka did not acknowledge the record within producer.delivery.timeout.ms"
	}
	return err.Error()
}

func isAuthentication(ke *kerr.Error) bool {
	return ke == kerr.SaslAuthenticationFailed || ke == kerr.IllegalSaslState || ke == kerr.UnsupportedSaslMechanism
}

func isAuthorization(ke *kerr.Error) bool {
	switch ke {
	case kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.DelegationTokenAuthorizationFailed:
		return true
	}
	return false
}

package rest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/kafkaerr"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/schema"
)

// Map is the one place errors get their status and code: an *Error as it
// is; the sentinel and typed errors of the Kafka-side packages (admin,
// consumer, produce, schema) as Confluent's proxy reports their
// counterparts; anything else as a Kafka error.
func Map(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if e := kafkaSideError(err); e != nil {
		return e
	}
	return kafkaError(err)
}

var (
	errInstanceNotFound = Errorf(404, CodeConsumerInstanceNotFound, "Consumer instance not found.")
	errInstanceExists   = Errorf(409, CodeConsumerAlreadyExists, "Consumer with specified consumer ID already exists in the specified consumer group.")
	errTooManyInstances = Errorf(429, CodeTooManyRequests, "Too many consumer instances: consumer.instances.max is reached; delete unused instances or raise it")
	errConsumerMemory   = Errorf(429, CodeTooManyRequests, "Consumer memory budget exhausted: consumer.memory.max.bytes cannot hold another instance's consumer.buffer.max.bytes; delete idle instances or raise it")
	errProduceOverload  = Errorf(429, CodeTooManyRequests, "Too many records waiting for Kafka: krest's produce buffer (producer.buffer.memory) stayed full for producer.max.block.ms; retry later")
)

// kafkaSideError maps the errors of the Kafka-side packages, and returns
// nil for any other error. Kafka's IllegalStateException is Confluent's
// 409/40903.
func kafkaSideError(err error) *Error {
	var (
		tne *admin.TopicNameError
		ise *consumer.IllegalStateError
		pe  *consumer.PatternError
		re  *schema.Error
		se  *schema.SerializeError
	)
	switch {
	case errors.Is(err, consumer.ErrReservedTopic):
		return ErrReservedTopic
	case errors.Is(err, consumer.ErrInstanceNotFound):
		return errInstanceNotFound
	case errors.Is(err, consumer.ErrInstanceExists):
		return errInstanceExists
	case errors.Is(err, consumer.ErrTooManyInstances):
		return errTooManyInstances
	case errors.Is(err, consumer.ErrMemory):
		return errConsumerMemory
	case errors.Is(err, consumer.ErrPartitionNotFound), errors.Is(err, admin.ErrPartitionNotFound),
		errors.Is(err, produce.ErrPartitionNotFound):
		return ErrPartitionNotFound
	case errors.Is(err, admin.ErrTopicNotFound):
		return ErrTopicNotFound
	case errors.Is(err, admin.ErrGroupNotFound): // v3 words it per resource
		return &Error{Status: 404, Code: CodeNotFound, Message: "Consumer group not found.", Err: err}
	case errors.Is(err, admin.ErrNoGroupOffsets):
		return &Error{Status: 404, Code: CodeNotFound, Message: "Consumer group offsets could not be found.", Err: err}
	case errors.As(err, new(*admin.GroupNotEmptyError)):
		return &Error{Status: 409, Code: CodeGroupNotEmpty, Message: err.Error(), Err: err}
	case errors.As(err, new(*admin.NoOffsetToShiftError)):
		return &Error{Status: 422, Code: CodePayload, Message: "Payload error. " + err.Error(), Err: err}
	case errors.Is(err, admin.ErrNoReassignment): // Kafka's words, on krest's cancel
		return &Error{Status: 404, Code: CodeNotFound, Message: kafkaError(err).Message, Err: err}
	case errors.Is(err, admin.ErrOffsetOutOfRange): // krest's records delete
		return &Error{Status: 400, Code: CodeKafkaBadRequest, Message: kafkaError(err).Message, Err: err}
	case errors.Is(err, produce.ErrOverloaded):
		return errProduceOverload
	case errors.Is(err, identity.ErrPoolFull):
		return &Error{Status: 429, Code: CodeTooManyRequests, Message: "Too many callers with Kafka clients at once: " + err.Error(), Err: err}
	case errors.Is(err, schema.ErrNoRegistry):
		return ErrNoRegistry
	case errors.As(err, &tne):
		return &Error{Status: 400, Code: CodeKafkaBadRequest, Message: tne.Reason, Err: err}
	case errors.As(err, &ise):
		return &Error{Status: 409, Code: CodeIllegalState, Message: "Illegal state: " + ise.Msg, Err: err}
	case errors.As(err, &pe):
		return &Error{Status: 422, Code: CodeUnprocessable, Message: fmt.Sprintf("Invalid topic_pattern %q: %v", pe.Pattern, pe.Err), Err: err}
	case errors.As(err, &re):
		return registryError(re)
	case errors.As(err, &se):
		return serializationError(se.Msg, err)
	}
	return nil
}

// registryError maps a Schema Registry failure to Confluent's codes.
func registryError(e *schema.Error) *Error {
	switch e.Kind {
	case schema.Invalid:
		// The codecs say "invalid schema: ..." themselves.
		return &Error{Status: 422, Code: CodeInvalidSchema, Message: "Invalid schema: " + strings.TrimPrefix(e.Msg, "invalid schema: "), Err: e}
	case schema.NotFound:
		return serializationError(e.Msg, e)
	case schema.Rejected:
		if e.Status == 401 || e.Status == 403 {
			return &Error{Status: 403, Code: CodeKafkaAuthorization, Message: e.Msg, Err: e}
		}
		return serializationError(e.Msg, e)
	}
	return &Error{Status: 503, Code: CodeRegistryUnavailable, Message: e.Msg, Err: e}
}

// serializationError is SerializationError for a message that must not be
// read as a format.
func serializationError(msg string, err error) *Error {
	return &Error{Status: 422, Code: CodeSerialization, Message: "Error serializing message. " + msg, Err: err}
}

// kafkaError maps an error from the Kafka client to the status and code
// Confluent's KafkaExceptionMapper gives the equivalent Java exception.
func kafkaError(err error) *Error {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		msg := ke.Description
		var withMsg *admin.KafkaError
		if errors.As(err, &withMsg) {
			msg = withMsg.Message
		}
		switch {
		case kafkaBadRequest[ke]:
			return &Error{Status: 400, Code: CodeKafkaBadRequest, Message: msg, Err: err}
		case ke == kerr.ThrottlingQuotaExceeded:
			return &Error{Status: 429, Code: CodeKafkaThrottled, Message: msg, Err: err}
		case ke == kerr.UnknownTopicOrPartition || ke == kerr.UnknownTopicID:
			return &Error{Status: 404, Code: CodeTopicNotFound, Message: ErrTopicNotFound.Message, Err: err}
		case kafkaerr.IsAuthentication(err):
			return &Error{Status: 401, Code: CodeKafkaAuthentication, Message: kafkaerr.Message(err), Err: err}
		case kafkaerr.IsAuthorization(err):
			return &Error{Status: 403, Code: CodeKafkaAuthorization, Message: kafkaerr.Message(err), Err: err}
		case ke == kerr.BrokerNotAvailable:
			return &Error{Status: 503, Code: CodeBrokerNotAvailable, Message: msg, Err: err}
		case ke.Retriable:
			return &Error{Status: 500, Code: CodeKafkaRetriable, Message: msg, Err: err}
		}
		return &Error{Status: 500, Code: CodeKafkaError, Message: msg, Err: err}
	case kafkaerr.IsAuthentication(err):
		return &Error{Status: 401, Code: CodeKafkaAuthentication, Message: kafkaerr.Message(err), Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, kgo.ErrRecordTimeout):
		return &Error{Status: 500, Code: CodeKafkaRetriable, Message: "Timed out waiting for Kafka: " + err.Error(), Err: err}
	case errors.Is(err, kgo.ErrClientClosed):
		return &Error{Status: 503, Code: CodeUnavailable, Message: "krest is shutting down", Err: err}
	}
	return &Error{Status: 500, Code: CodeKafkaError, Message: "Kafka error: " + err.Error(), Err: err}
}

// kafkaBadRequest are the Kafka errors KafkaExceptionMapper answers with
// 400/40002: the request, not the cluster, is at fault.
var kafkaBadRequest = map[*kerr.Error]bool{
	kerr.InvalidReplicationFactor: true, kerr.SecurityDisabled: true, kerr.UnsupportedVersion: true,
	kerr.InvalidPartitions: true, kerr.InvalidRequest: true, kerr.UnknownServerError: true,
	kerr.PolicyViolation: true, kerr.TopicAlreadyExists: true, kerr.InvalidConfig: true,
	kerr.TopicDeletionDisabled: true, kerr.InvalidTopicException: true, kerr.InvalidReplicaAssignment: true,
}

// RecordError is the per-record "error_code" and "error" of a failed
// produce, as Confluent's AbstractProduceAction classifies the Java
// exception.
func RecordError(err error) (code int, msg string) {
	var ke *kerr.Error
	switch {
	case errors.Is(err, produce.ErrPartitionNotFound):
		return CodePartitionNotFound, ErrPartitionNotFound.Message
	case errors.Is(err, produce.ErrNotAcknowledged):
		return CodeKafkaRetriable, "Kafka did not acknowledge the record within producer.delivery.timeout.ms"
	case kafkaerr.IsAuthentication(err):
		return CodeKafkaAuthentication, kafkaerr.Message(err)
	case kafkaerr.IsAuthorization(err):
		return CodeKafkaAuthorization, kafkaerr.Message(err)
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return CodeUnknownTopic, ErrProduceTopicNotFound.Message
	case errors.As(err, &ke):
		msg := ke.Description
		if errors.Is(err, kgo.ErrRecordTimeout) {
			msg = err.Error()
		}
		switch {
		case ke.Retriable:
			return CodeKafkaRetriable, msg
		}
		return CodeKafkaError, msg
	case errors.Is(err, kgo.ErrRecordTimeout), errors.Is(err, kgo.ErrRecordRetries), errors.Is(err, context.DeadlineExceeded):
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "Kafka did not acknowledge the record within producer.delivery.timeout.ms"
		}
		return CodeKafkaRetriable, msg
	}
	return CodeKafkaError, err.Error()
}

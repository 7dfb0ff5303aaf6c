package rest

// Kafka-REST error codes: the "error_code" of an error body. Confluent's
// proxy (Errors.java and its exception mappers) answers with a five-digit
// code whose first three digits are the HTTP status, or with the bare
// status. This file is the only place in krest that writes them down.
const (
	// CodeBadRequest and the other bare statuses are the codes of JAX-RS
	// errors and of validation failures Confluent reports without a
	// five-digit code.
	CodeBadRequest           = 400
	CodeNotFound             = 404
	CodeMethodNotAllowed     = 405
	CodeNotAcceptable        = 406
	CodeRequestTimeout       = 408
	CodeBodyTooLarge         = 413
	CodeUnsupportedMediaType = 415
	CodeUnprocessable        = 422
	CodeTooManyRequests      = 429
	CodeHeaderTooLarge       = 431
	CodeInternal             = 500
	CodeUnavailable          = 503

	// CodeInvalidConsumerConstraint is RestConstraintViolationException on a
	// consumer setting (fetch.min.bytes out of range); Confluent sends it
	// with HTTP 422.
	CodeInvalidConsumerConstraint = 40001
	// CodeKafkaBadRequest is Kafka's InvalidTopicException,
	// InvalidRequestException and their kin (KafkaExceptionMapper).
	CodeKafkaBadRequest = 40002
	// CodeKafkaAuthentication is Kafka's AuthenticationException.
	CodeKafkaAuthentication = 40101
	// CodeKafkaAuthorization is Kafka's AuthorizationException, and a
	// Schema Registry 401/403.
	CodeKafkaAuthorization = 40301
	// CodeUnknownTopic is "Topic not found.": a produce to a topic the
	// cluster does not have (KafkaExceptionMapper's topic-missing
	// TimeoutException).
	CodeUnknownTopic = 40401
	// CodePartitionNotFound is "Partition not found.".
	CodePartitionNotFound = 40402
	// CodeTopicNotFound is UnknownTopicOrPartitionException ("This server
	// does not host this topic-partition."); Confluent reuses the code for
	// CodeConsumerInstanceNotFound.
	CodeTopicNotFound            = 40403
	CodeConsumerInstanceNotFound = 40403
	// CodeConsumerFormatMismatch is a records read whose Accept names
	// another embedded format than the instance's.
	CodeConsumerFormatMismatch = 40601
	// CodeDeserialization is Kafka's SerializationException on a read: a
	// record that does not decode in the instance's format.
	CodeDeserialization = 40801
	// CodeConsumerAlreadyExists is a create with a name the group has.
	CodeConsumerAlreadyExists = 40902
	// CodeIllegalState is Kafka's IllegalStateException.
	CodeIllegalState = 40903
	// CodeGroupNotEmpty is krest's consumer group delete or offset reset
	// of a group with active members (Kafka's NON_EMPTY_GROUP).
	CodeGroupNotEmpty = 40904
	// CodeKeySchemaMissing and CodeValueSchemaMissing are schema-format
	// produces with keys or values and no schema for them.
	CodeKeySchemaMissing   = 42201
	CodeValueSchemaMissing = 42202
	// CodeInvalidConsumerConfig is Kafka's ConfigException on a consumer
	// setting.
	CodeInvalidConsumerConfig = 42204
	// CodeInvalidSchema is a schema that does not compile.
	CodeInvalidSchema = 42205
	// CodePayload is "Payload error. ...": an empty body, or schemas
	// without a registry.
	CodePayload = 42206
	// CodeSerialization is "Error serializing message. ...".
	CodeSerialization = 42207
	// CodeBatch is a refused records:batch request (empty, too many
	// entries, ids not distinct or invalid).
	CodeBatch = 42208
	// CodeKafkaThrottled is Kafka's ThrottlingQuotaExceededException.
	CodeKafkaThrottled = 42901
	// CodeKafkaError is any other KafkaException.
	CodeKafkaError = 50002
	// CodeKafkaRetriable is Kafka's RetriableException, and a timeout.
	CodeKafkaRetriable = 50003
	// CodeRegistryUnavailable is a Schema Registry that cannot be reached.
	CodeRegistryUnavailable = 50301
	// CodeBrokerNotAvailable is Kafka's BrokerNotAvailableException.
	CodeBrokerNotAvailable = 50302
)

// IsConstraintCode reports the 422xx codes of Confluent's constraint
// violations, which its v3 produce results write as 422 with the code in
// the message ("Error: 42206 : ...").
func IsConstraintCode(code int) bool { return code > 42200 && code < 42300 }

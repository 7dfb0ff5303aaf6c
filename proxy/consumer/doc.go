// Package consumer holds krest's consumer instances: the stateful v1/v2
// consumers of Confluent's REST API, one franz-go client each, created,
// used and deleted by name within a consumer group.
//
// A Manager owns the instances of one krest process. It bounds how many
// live at once (consumer.instances.max) and the memory their fetch buffers
// may hold together (consumer.memory.max.bytes), and expires instances
// nobody used for consumer.instance.timeout.ms.
//
// An Instance joins its group on Subscribe (or consumes fixed partitions on
// Assign), buffers what franz-go fetches within consumer.buffer.max.bytes and
// consumer.buffer.max.records, and hands records out with Read. Only records
// Read has returned count as delivered: commits without explicit offsets,
// and auto-commit, never cover records still buffered here.
//
// The package knows nothing of HTTP. Failures are error values: sentinel
// errors such as ErrInstanceNotFound, the types *IllegalStateError and
// *PatternError, and franz-go's errors (kerr) as they come; package proxy
// maps them to HTTP statuses and Kafka-REST error codes in one place.
package consumer

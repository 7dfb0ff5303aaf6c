package consumer

import (
	"errors"
	"fmt"
)

// Errors of the Manager.
var (
	// ErrInstanceNotFound means the group has no instance of that name: it
	// was deleted, it expired, or it lives in another krest process.
	ErrInstanceNotFound = errors.New("consumer instance not found")
	// ErrInstanceExists means the group already has an instance of that
	// name.
	ErrInstanceExists = errors.New("consumer instance already exists in the group")
	// ErrTooManyInstances means consumer.instances.max instances are alive.
	ErrTooManyInstances = errors.New("too many consumer instances: consumer.instances.max is reached")
	// ErrMemory means consumer.memory.max.bytes cannot hold another
	// instance's consumer.buffer.max.bytes, so the instance cannot subscribe
	// or assign.
	ErrMemory = errors.New("consumer memory budget exhausted: consumer.memory.max.bytes cannot hold another instance's consumer.buffer.max.bytes")
)

// Errors of an Instance's state, as the Java consumer words them.
var (
	// ErrMixedConsuming means a subscription and a manual assignment
	// cannot be combined.
	ErrMixedConsuming error = &IllegalStateError{Msg: "Subscription to topics, partitions and pattern are mutually exclusive"}
	// ErrNotConsuming means the instance is neither subscribed nor
	// assigned, so it has nothing to read or seek.
	ErrNotConsuming error = &IllegalStateError{Msg: "Consumer is not subscribed to any topics or assigned any partitions"}
)

// ErrReservedTopic means a subscription or assignment named krest's own
// consumer directory topic (consumer.directory.topic), which no caller
// reads through krest.
var ErrReservedTopic = errors.New("krest's consumer directory topic (consumer.directory.topic) is not served through krest")

// ErrPartitionNotFound means a seek named a partition that does not exist.
var ErrPartitionNotFound = errors.New("partition not found")

// IllegalStateError is the counterpart of Kafka's IllegalStateException: the
// operation does not fit the instance's state (nothing subscribed, a
// partition not assigned, ...). Msg is the message the Java consumer gives.
type IllegalStateError struct {
	Msg string
}

// Error returns "illegal state: " and Msg.
func (e *IllegalStateError) Error() string { return "illegal state: " + e.Msg }

func illegalState(format string, args ...any) *IllegalStateError {
	return &IllegalStateError{Msg: fmt.Sprintf(format, args...)}
}

// PatternError is a topic_pattern that is not a valid regular expression.
type PatternError struct {
	Pattern string // as given
	Err     error  // from regexp.Compile
}

// Error names the pattern and what is wrong with it.
func (e *PatternError) Error() string {
	return fmt.Sprintf("invalid topic_pattern %q: %v", e.Pattern, e.Err)
}

// Unwrap returns the regexp error.
func (e *PatternError) Unwrap() error { return e.Err }

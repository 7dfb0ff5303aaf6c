package v2

import (
	"encoding/json"

	"github.com/krest-dev/krest/proxy/consumer"
)

// Request bodies of the consumer endpoints (Confluent's v2 entities).
type (
	createConsumerRequest struct {
		Name             *string         `json:"name"`
		ID               *string         `json:"id"`
		Format           *string         `json:"format"`
		AutoOffsetReset  *string         `json:"auto.offset.reset"`
		AutoCommitEnable json.RawMessage `json:"auto.commit.enable"`
		FetchMinBytes    *int64Field     `json:"fetch.min.bytes"`
		ResponseMinBytes *int64Field     `json:"responseMinBytes"` // alias of fetch.min.bytes
		// An int, as Confluent's: a wider one would overflow the wait.
		RequestTimeoutMs *int32Field `json:"consumer.request.timeout.ms"`
		RequestWaitMs    *int32Field `json:"requestWaitMs"` // alias
	}
	subscriptionRequest struct {
		Topics       []string `json:"topics"`
		TopicPattern string   `json:"topic_pattern"`
	}
	partitionsRequest struct {
		Partitions []topicPartition `json:"partitions"`
	}
	// topicPartition is a consumer.TopicPartition.
	topicPartition struct {
		Topic     string     `json:"topic"`
		Partition int32Field `json:"partition"`
	}
	// offsetEntry is an entry of the offsets of a seek or a commit.
	offsetEntry struct {
		Topic     string     `json:"topic"`
		Partition int32Field `json:"partition"`
		Offset    int64Field `json:"offset"`
		Metadata  string     `json:"metadata"`
	}
	seekRequest struct {
		Offsets    []offsetEntry `json:"offsets"`
		Timestamps []struct {
			Topic     string     `json:"topic"`
			Partition int32Field `json:"partition"`
			Timestamp string     `json:"timestamp"`
			Metadata  string     `json:"metadata"`
		} `json:"timestamps"`
	}
	commitRequest struct {
		Offsets []offsetEntry `json:"offsets"`
	}
)

// Response bodies of the consumer endpoints.
type (
	// committedOffset is a consumer.Commit, an entry of the commit
	// response: the offset of the last record processed (Confluent's API)
	// and what Kafka stores (that + 1).
	committedOffset struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Consumed  int64  `json:"consumed"`
		Committed int64  `json:"committed"`
	}
	// partitionCommitted is a consumer.CommittedOffset.
	partitionCommitted struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
		Metadata  string `json:"metadata"`
	}
)

// convert maps the Kafka-side packages' values to and from the JSON
// entities of this package. It never returns nil, which would render as
// null.
func convert[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func toTopicPartition(tp topicPartition) consumer.TopicPartition {
	return consumer.TopicPartition{Topic: tp.Topic, Partition: int32(tp.Partition)}
}
func fromTopicPartition(tp consumer.TopicPartition) topicPartition {
	return topicPartition{Topic: tp.Topic, Partition: int32Field(tp.Partition)}
}
func fromCommittedOffset(o consumer.CommittedOffset) partitionCommitted { return partitionCommitted(o) }
func fromCommit(c consumer.Commit) committedOffset {
	return committedOffset{Topic: c.Topic, Partition: c.Partition, Consumed: c.Consumed, Committed: c.Committed}
}

package admin

import (
	"fmt"
	"unicode/utf8"
)

// MaxTopicNameLength is Kafka's limit on topic names.
const MaxTopicNameLength = 249

// MaxGroupNameLength bounds the consumer group ids krest takes (v3 paths,
// v2 consumer creation) and the names of v2 consumer instances, in
// characters: Kafka's limit on topic names, for want of one of its own.
// Kafka sets none on group ids (its protocol carries up to 32,767 bytes),
// yet each id is a key of __consumer_offsets, held by the coordinator, and
// a v2 instance's group and name are held by krest and its directory and
// repeated in every URL of the instance: no real group needs more, and
// 10,000-character names only make all of them carry that.
const MaxGroupNameLength = MaxTopicNameLength

// NameTooLong reports whether name, a group id or instance name, is over
// MaxGroupNameLength characters.
func NameTooLong(name string) bool {
	return len(name) > MaxGroupNameLength && utf8.RuneCountInString(name) > MaxGroupNameLength
}

// TopicNameError is a topic name Kafka would refuse, with Kafka's reason.
type TopicNameError struct {
	Name   string
	Reason string
}

func (e *TopicNameError) Error() string { return e.Reason }

// internalTopics are Kafka's own topics, which clients may not write.
var internalTopics = map[string]bool{
	"__consumer_offsets": true, "__transaction_state": true, "__share_group_state": true, "__remote_log_metadata": true,
}

// CheckTopicName applies Kafka's rules for topic names (Topic.validate):
// 1 to 249 characters of ASCII letters, digits, '.', '_' and '-', and not
// "." or "..". krest checks them before asking Kafka, so that every mode
// (the embedded dev broker accepts anything) answers alike.
func CheckTopicName(name string) error {
	switch {
	case name == "":
		return &TopicNameError{Name: name, Reason: "Topic name is illegal, it can't be empty"}
	case name == "." || name == "..":
		return &TopicNameError{Name: name, Reason: "Topic name cannot be \".\" or \"..\""}
	case len(name) > MaxTopicNameLength:
		return &TopicNameError{Name: name, Reason: fmt.Sprintf("Topic name is illegal, it can't be longer than %d characters, topic name: %.40s…", MaxTopicNameLength, name)}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return &TopicNameError{Name: name, Reason: fmt.Sprintf("Topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)}
		}
	}
	return nil
}

// CheckWritable refuses Kafka's internal topics, which only brokers write
// (Kafka answers "Cannot append to internal topic").
func CheckWritable(name string) error {
	if internalTopics[name] {
		return &TopicNameError{Name: name, Reason: "Cannot append to internal topic " + name}
	}
	return nil
}

// Package schema is krest's side of the Schema Registry formats (Avro, JSON
// Schema, Protobuf): a caching registry client (Client), the compiled
// schemas (Codec), the subject-name strategies and the Confluent wire
// header, put together by Resolver, which finds the schema of a produce and
// decodes framed records back to JSON.
//
// It knows nothing of HTTP: failures are *Error values classified by Kind,
// ErrNoRegistry and *SerializeError, which the HTTP layer maps to
// Kafka-REST codes.
package schema

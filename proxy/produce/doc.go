// Package produce sends records to Kafka for krest: one shared, idempotent
// franz-go producer behind a memory budget, and pooled batches of records
// that know nothing of any request format.
//
// This is the only code in krest that hands records to kgo and waits for
// them: v2's produce and v3's streaming and batch produce all go through
// it. A caller takes a Batch with GetBatch, sizes it with Grow (or adds
// records one by one with Add), appends each record's bytes to the batch's
// arena and describes the record with Set and AddHeader, seals it (Seal),
// then calls Producer.Produce, which admits the whole batch to the produce
// budget (or none of it), sends it and waits until Kafka has acknowledged
// or failed every record, or until producer.delivery.timeout.ms (plus a
// short grace for kgo's own reports). Produce is Start, which admits and
// sends, then the Call's Wait: a stream starts one call per read of its
// connection and waits for each in input order. The batch is then read
// (Records, Errs) and handed back with PutBatch.
//
// Concurrent calls reach kgo in groups (group.go): one in flight at a time,
// the calls that arrive meanwhile sent together when it returns, so that
// they share produce requests; no call waits for another's records.
//
// Ownership: kgo holds pointers into a batch's records and arena until it
// has let go of every record, which can be after Wait returns (Wait
// stops waiting at the delivery deadline, and kgo reads a record once more
// after reporting it). PutBatch therefore only gives the caller's hold
// back; the batch is recycled when kgo's is gone too. Nothing in this package imports HTTP code: failures are
// error values (ErrOverloaded, ErrNotAcknowledged, ErrPartitionNotFound and
// Kafka's own errors) that the HTTP layer maps to status codes.
package produce

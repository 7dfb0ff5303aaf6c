// Package produce sends records to Kafka for krest: one shared, idempotent
// franz-go producer behind a memory budget, and pooled batches of records
// that know nothing of any request format.
//
// A caller takes a Batch with GetBatch, sizes it with Grow, appends each
// record's bytes to the batch's arena and describes the record with Set
// and AddHeader, seals it (Seal), then calls
// Producer.Produce, which admits the whole batch to the produce budget (or
// none of it), sends it and waits until Kafka has acknowledged or failed
// every record, or until producer.delivery.timeout.ms. The batch is then
// read (Records, Errs) and handed back with PutBatch.
//
// Ownership: kgo holds pointers into a batch's records and arena until it
// reports them, so a batch must not be reused before Produce returns; a
// batch Produce gave up on (abandoned) is never recycled, since kgo may
// still read it. Nothing in this package imports HTTP code: failures are
// error values (ErrOverloaded, ErrNotAcknowledged, ErrPartitionNotFound and
// Kafka's own errors) that the HTTP layer maps to status codes.
package produce

package v2

import (
	"github.com/bytedance/sonic"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
)

// The hand decode reads the plainest produce envelopes with a cursor
// (codec.Cursor) instead of sonic: {"records":[...]} and nothing else,
// every record an object of key, value, partition and timestamp (each a
// plain string, a null or an integer) and headers (null, or objects of a
// plain name or null and a raw value), no member twice. That is every
// binary request a client library sends.
//
// Keys and values of the binary format are not even checked: a string is
// taken to its closing quote (codec.Cursor.RawUnchecked), and the base64
// decode, which unquotes escapes strictly and accepts nothing else a
// plain string may not hold, checks its bytes; a body it refuses is
// decoded again by parse, for parse's error (API.decodeProduce).
//
// It also counts the records as it goes, so the body is not scanned a
// second time for request.records.max (boundRecords), and charges them to
// the request memory budget a doubling step ahead of the decode (never
// past request.records.max), as parse's caller charges them all before
// it. The envelope of 500 records of 1 KiB takes about two thirds of
// sonic's time, without the count's scan (BenchmarkParse).
//
// Anything else (an escape in a string, a float, an object value, a
// member it does not know, more than maxHandRecords records or
// request.records.max, a budget that cannot cover the next step) ends
// it, and the request is decoded by boundRecords and parse as before,
// errors and all. What it takes it decodes exactly as parse would:
// FuzzParseHand and FuzzDecodeUnchecked hold it to sonic.

// maxHandRecords is the most records the hand decode takes: a pooled
// job's (maxPooledJobRecords). A larger body is left to parse's way, which
// counts its records first and charges them at once: a body past
// request.records.max is then refused before any record is decoded or
// charged, and the hand decode's cost on a body it leaves stays bounded.
const maxHandRecords = maxPooledJobRecords

// parseHand decodes body into j.req as parse would, covering the records
// with charge as it goes, and reports whether it took the body. When it
// did not (the body is not plain, holds more than limit records, or the
// budget ran out), j.req is empty and charge released, for parse.
//
// With unchecked, keys and values that are strings are taken unchecked
// (codec.Cursor.RawUnchecked), for the binary format: base64's decode
// in build checks their bytes, and if build fails on a body taken so, the
// caller decodes it again with parse (see API.decodeProduce).
func (j *produceJob) parseHand(body []byte, limit int, charge *recordCharge, unchecked bool) bool {
	s := codec.Cursor{B: body}
	if !s.Next('{') {
		return false
	}
	name, ok := s.Member()
	if !ok || string(name) != "records" || !s.Next('[') || s.Next(']') { // [] is parse's error
		return false
	}
	recs := j.req.Records[:0]
	limit = min(limit, maxHandRecords)
	ok = s.Elements(func() bool {
		// Past the limit, or out of budget: parse's way says which
		// (413 before 429, as ever) and charges the exact count at
		// once, which concurrent requests growing their charges step
		// by step would starve each other of.
		if len(recs) == limit || len(recs) == charge.records && !charge.cover(min(max(2*len(recs), 16), limit)) {
			return false
		}
		recs = append(recs, produceRecord{})
		return s.Next('{') && handRecord(&s, &recs[len(recs)-1], unchecked)
	})
	j.req.Records = recs
	if !ok || !s.Next('}') || !s.End() {
		j.reset()
		charge.release()
		return false
	}
	return true
}

// handRecord consumes the members of a record whose '{' was just consumed
// into r, and its '}'.
func handRecord(s *codec.Cursor, r *produceRecord, unchecked bool) bool {
	data := codec.RawTo[sonic.NoCopyRawMessage]
	if unchecked {
		data = codec.RawUncheckedTo[sonic.NoCopyRawMessage]
	}
	return s.Members(func(name []byte) (uint8, bool) {
		switch string(name) {
		case "key":
			return 1, data(s, &r.Key)
		case "value":
			return 2, data(s, &r.Value)
		case "partition":
			return 4, codec.RawTo(s, &r.Partition)
		case "timestamp":
			return 8, codec.RawTo(s, &r.Timestamp)
		case "headers":
			return 16, handHeaders(s, r)
		}
		return 0, false
	})
}

// handHeaders consumes a record's headers: null, or an array of objects
// of a name (a plain string or null) and a raw value.
func handHeaders(s *codec.Cursor, r *produceRecord) bool {
	if s.Null() {
		return true
	}
	if !s.Next('[') {
		return false
	}
	r.Headers = []produceHeader{} // [] is an empty list, not an absent one
	return s.Elements(func() bool {
		if !s.Next('{') {
			return false
		}
		name, value, ok := s.Header()
		// The name is copied, as the decoder's CopyString copies it.
		r.Headers = append(r.Headers, produceHeader{Name: string(name), Value: value})
		return ok
	})
}

// recordCharge is what a produce request's records hold of the request
// memory budget (decodeRecordCost each), taken in steps and given back
// at once when the request ends (see pool.Budget.Release). The zero value
// with a nil budget charges nothing.
type recordCharge struct {
	mem     *pool.Budget
	records int // records covered
}

// cover charges the budget until records are covered; false, with
// nothing more taken, if it cannot.
func (c *recordCharge) cover(records int) bool {
	if records <= c.records {
		return true
	}
	if c.mem != nil && !c.mem.TryAcquire(int64(records-c.records)*decodeRecordCost) {
		return false
	}
	c.records = records
	return true
}

// release gives back everything c holds.
func (c *recordCharge) release() {
	if c.mem != nil && c.records > 0 {
		c.mem.Release(int64(c.records) * decodeRecordCost)
	}
	c.records = 0
}

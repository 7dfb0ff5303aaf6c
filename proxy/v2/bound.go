package v2

import (
	"bytes"

	"github.com/krest-dev/krest/proxy/rest"
)

// boundRecords returns a bound on the records of a produce body, for the
// memory charge of decoding it, and refuses bodies with more records than
// request.records.max (413) before they are decoded: a few bytes per
// record in the body become a few hundred once decoded.
//
// Every record but the last is followed by a comma, so the commas bound the
// records from above. Counting them runs at memory speed; only when they
// exceed the cap (commas inside values) are the records counted exactly.
func (a *API) boundRecords(body []byte) (int, error) {
	limit := a.Config.MaxRequestRecords
	n := bytes.Count(body, []byte{','}) + 1
	if n <= limit {
		return n, nil
	}
	if n = countRecords(body); n > limit {
		return 0, rest.Errorf(413, rest.CodeBodyTooLarge, "A produce request may hold at most %d records (request.records.max); this one holds %d", limit, n)
	}
	return n, nil
}

// countRecords counts the elements of the top-level "records" array of a
// JSON object. It reads structure only (strings are skipped, values are
// not checked); malformed text yields a count the decoder then refuses.
func countRecords(body []byte) int {
	depth, count := 0, 0
	inRecords, pendingKey, sawValue := false, false, false
	var lastKey []byte
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			start := i + 1
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
			if depth == 1 && !pendingKey {
				lastKey, pendingKey = body[start:min(i, len(body))], true
			}
			if inRecords && depth == 2 {
				sawValue = true
			}
		case ':':
			pendingKey = false
		case ',':
			if depth == 1 {
				pendingKey = false
			}
			if inRecords && depth == 2 && sawValue {
				count++
				sawValue = false
			}
		case '{', '[':
			if depth == 1 && c == '[' && string(lastKey) == "records" {
				inRecords, count, sawValue = true, 0, false
			} else if inRecords && depth == 2 {
				sawValue = true
			}
			depth++
		case '}', ']':
			depth--
			if inRecords && depth == 1 {
				if sawValue {
					count++
				}
				inRecords = false
			}
		case ' ', '\t', '\r', '\n':
		default:
			if inRecords && depth == 2 {
				sawValue = true
			}
		}
	}
	return count
}

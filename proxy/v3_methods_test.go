package proxy

import "testing"

// TestV3ReassignmentMethods: the reassignment lists of every partition
// and of one topic's partitions are read-only in Confluent's proxy, which
// answers 405 to any other method. krest's POST and DELETE of one
// partition's reassignment once caught them, {partition} being "-", and
// answered 404.
func TestV3ReassignmentMethods(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	c := "/v3/clusters/" + fakeClusterID(t, ts)
	const notAllowed = `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`
	var cases []rangeCase
	for _, path := range []string{c + "/topics/-/partitions/-/reassignment", c + "/topics/" + topic + "/partitions/-/reassignment"} {
		cases = append(cases,
			rangeCase{"POST a list", "POST", path, appJSON, `{"replicas":[1]}`, 405, notAllowed},
			rangeCase{"POST a list without a body", "POST", path, "", "", 405, notAllowed},
			rangeCase{"DELETE a list", "DELETE", path, "", "", 405, notAllowed},
			rangeCase{"PUT a list", "PUT", path, appJSON, `{}`, 405, notAllowed},
			rangeCase{"PATCH a list", "PATCH", path, appJSON, `{}`, 405, notAllowed},
		)
	}
	// One partition's reassignment is still krest's to start and cancel.
	p := c + "/topics/" + topic + "/partitions/0/reassignment"
	cases = append(cases,
		rangeCase{"POST one partition's", "POST", p, appJSON, `{"replicas":[-1]}`, 400,
			`{"error_code":40002,"message":"The manual partition assignment includes broker -1, but no such broker is registered."}`},
		rangeCase{"POST one partition's of topic -", "POST", c + "/topics/-/partitions/0/reassignment", appJSON, `{"replicas":[1]}`, 404,
			`{"error_code":40403,"message":"This server does not host this topic-partition."}`},
	)
	checkRanges(t, ts, cases)
}

package proxy

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// aclTestNames are unique resource names for one test's ACLs, so that
// runs and other tests' ACLs never meet: topic (literal), prefix (a
// prefix of topic), group, and principal for the cluster ACL, which is
// named kafka-cluster like everyone's. dropACLs deletes what the test
// left.
type aclTestNames struct{ topic, prefix, group, principal string }

func newACLTestNames(t *testing.T, b backend) aclTestNames {
	t.Helper()
	base := "acl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	n := aclTestNames{topic: base + "-topic", prefix: base + "-", group: base + "-group", principal: "User:" + base}
	t.Cleanup(func() { dropACLs(t, b.seeds, n) })
	return n
}

// subst are v3Equal's stand-ins for the names: T, P, G and U.
func (n aclTestNames) subst() []string {
	return []string{n.topic, "T", n.group, "G", n.prefix, "P", url.QueryEscape(n.principal), "U", n.principal, "U"}
}

func dropACLs(t *testing.T, seeds []string, n aclTestNames) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		t.Error(err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrDeleteACLsRequest()
	filter := func(name, principal *string) {
		f := kmsg.NewDeleteACLsRequestFilter()
		f.ResourceType, f.ResourceName, f.ResourcePatternType = kmsg.ACLResourceTypeAny, name, kmsg.ACLResourcePatternTypeAny
		f.Principal = principal
		f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		req.Filters = append(req.Filters, f)
	}
	for _, name := range []string{n.topic, n.prefix, n.group} {
		filter(&name, nil)
	}
	filter(nil, &n.principal)
	if _, err := req.RequestWith(ctx, cl); err != nil {
		t.Errorf("drop ACLs: %v", err)
	}
}

// waitACLs reads the ACL list at path until it holds n ACLs (for at most
// 10 s) and returns the last reply: Kafka's broker applies an ACL change to
// what DescribeAcls reads a moment after the controller acknowledged it.
func waitACLs(t *testing.T, ts *testServer, path string, n int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := v3Do(t, ts, "GET", path, "", 200)
		if strings.Count(got, `"KafkaAcl"`) == n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// aclBody is a CreateAclRequest.
func aclBody(resourceType, name, pattern, principal, host, op, perm string) string {
	return `{"resource_type":"` + resourceType + `","resource_name":"` + name + `","pattern_type":"` + pattern +
		`","principal":"` + principal + `","host":"` + host + `","operation":"` + op + `","permission":"` + perm + `"}`
}

// TestV3ACLs runs on the real broker only: kfake's ACLs are not Kafka's
// (a MATCH filter does not find the prefixed ACLs that match).
func TestV3ACLs(t *testing.T) { testV3ACLs(t, realBroker(t)) }

func testV3ACLs(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	n := newACLTestNames(t, b)
	c := "/v3/clusters/" + cluster
	eq := func(got, want string) { t.Helper(); v3Equal(t, ts, cluster, got, want, n.subst()...) }
	const (
		aliceURL = `URL/v3/clusters/C/acls?resource_type=TOPIC&resource_name=T&pattern_type=LITERAL&principal=User%3Aalice&host=*&operation=READ&permission=ALLOW`
		bobURL   = `URL/v3/clusters/C/acls?resource_type=TOPIC&resource_name=P&pattern_type=PREFIXED&principal=User%3Abob&host=1.2.3.4&operation=WRITE&permission=ALLOW`
		alice    = `{"kind":"KafkaAcl","metadata":{"self":"` + aliceURL + `"},"cluster_id":"C","resource_type":"TOPIC","resource_name":"T",
		 "pattern_type":"LITERAL","principal":"User:alice","host":"*","operation":"READ","permission":"ALLOW"}`
		bob = `{"kind":"KafkaAcl","metadata":{"self":"` + bobURL + `"},"cluster_id":"C","resource_type":"TOPIC","resource_name":"P",
		 "pattern_type":"PREFIXED","principal":"User:bob","host":"1.2.3.4","operation":"WRITE","permission":"ALLOW"}`
		matchURL = `URL/v3/clusters/C/acls?resource_type=TOPIC&resource_name=T&pattern_type=MATCH&principal=&host=&operation=ANY&permission=ANY`
	)
	match := c + "/acls?resource_type=topic&resource_name=" + n.topic + "&pattern_type=match"

	// Nothing matches yet: an empty list.
	got, _ := v3Do(t, ts, "GET", match, "", 200)
	eq(got, `{"kind":"KafkaAclList","metadata":{"self":"`+matchURL+`","next":null},"data":[]}`)

	// Create, one by one: 201, no body, Location the ACL's URL.
	for _, tc := range []struct{ body, loc string }{
		{aclBody("TOPIC", n.topic, "LITERAL", "User:alice", "*", "READ", "ALLOW"), aliceURL},
		{aclBody("TOPIC", n.prefix, "PREFIXED", "User:bob", "1.2.3.4", "WRITE", "ALLOW"), bobURL},
	} {
		got, hdr := v3Do(t, ts, "POST", c+"/acls", tc.body, 201)
		loc := strings.NewReplacer(ts.url, "URL", cluster, "C", n.topic, "T", n.prefix, "P").Replace(http.Header(hdr).Get("Location"))
		if got != "" || loc != tc.loc {
			t.Errorf("create %s: body %q, Location %q, want %q", tc.body, got, loc, tc.loc)
		}
	}
	// MATCH finds the literal and the prefixed ACL, sorted by name (P < T).
	got = waitACLs(t, ts, match, 2)
	eq(got, `{"kind":"KafkaAclList","metadata":{"self":"`+matchURL+`","next":null},"data":[`+bob+`,`+alice+`]}`)

	// Batch: 204. Jackson takes an enum's ordinal too (2 is DENY); a
	// cluster ACL must name kafka-cluster.
	v3Do(t, ts, "POST", c+"/acls:batch", `{"data":[`+
		strings.Replace(aclBody("GROUP", n.group, "LITERAL", "User:alice", "*", "READ", "DENY"), `"DENY"`, `2`, 1)+`,`+
		aclBody("CLUSTER", "kafka-cluster", "LITERAL", n.principal, "*", "IDEMPOTENT_WRITE", "ALLOW")+`]}`, 204)
	v3Do(t, ts, "POST", c+"/acls:batch", `{"data":[]}`, 204)
	waitACLs(t, ts, c+"/acls?resource_name="+n.group, 1)
	waitACLs(t, ts, c+"/acls?resource_type=cluster&principal="+url.QueryEscape(n.principal), 1)
	group := `{"kind":"KafkaAcl","metadata":{"self":"URL/v3/clusters/C/acls?resource_type=GROUP&resource_name=G&pattern_type=LITERAL&principal=User%3Aalice&host=*&operation=READ&permission=DENY"},
	 "cluster_id":"C","resource_type":"GROUP","resource_name":"G","pattern_type":"LITERAL","principal":"User:alice","host":"*","operation":"READ","permission":"DENY"}`
	clusterACL := `{"kind":"KafkaAcl","metadata":{"self":"URL/v3/clusters/C/acls?resource_type=CLUSTER&resource_name=kafka-cluster&pattern_type=LITERAL&principal=U&host=*&operation=IDEMPOTENT_WRITE&permission=ALLOW"},
	 "cluster_id":"C","resource_type":"CLUSTER","resource_name":"kafka-cluster","pattern_type":"LITERAL","principal":"U","host":"*","operation":"IDEMPOTENT_WRITE","permission":"ALLOW"}`
	list := func(self string, data ...string) string {
		return `{"kind":"KafkaAclList","metadata":{"self":"URL/v3/clusters/C/acls?` + self + `","next":null},"data":[` + strings.Join(data, ",") + `]}`
	}

	// Searches: enum parameters in any case, strings exact; the list's
	// self repeats the parameters (enums upper-cased, strings encoded).
	for _, tc := range []struct{ query, self, want string }{
		{"resource_type=TOPIC&resource_name=" + n.topic + "&pattern_type=LITERAL",
			"resource_type=TOPIC&resource_name=T&pattern_type=LITERAL&principal=&host=&operation=ANY&permission=ANY", alice},
		{"resource_type=Topic&resource_name=" + n.topic + "&pattern_type=MATCH&operation=write&permission=allow",
			"resource_type=TOPIC&resource_name=T&pattern_type=MATCH&principal=&host=&operation=WRITE&permission=ALLOW", bob},
		{"resource_type=topic&resource_name=" + n.topic + "&pattern_type=match&host=1.2.3.4",
			"resource_type=TOPIC&resource_name=T&pattern_type=MATCH&principal=&host=1.2.3.4&operation=ANY&permission=ANY", bob},
		{"resource_name=" + n.topic + "&pattern_type=match&principal=User:alice",
			"resource_type=ANY&resource_name=T&pattern_type=MATCH&principal=User%3Aalice&host=&operation=ANY&permission=ANY", alice},
		{"resource_name=" + n.group + "&principal=User%3Aalice&host=*",
			"resource_type=ANY&resource_name=G&pattern_type=ANY&principal=User%3Aalice&host=*&operation=ANY&permission=ANY", group},
		{"resource_type=gRoUp&resource_name=" + n.group + "&permission=ALLOW",
			"resource_type=GROUP&resource_name=G&pattern_type=ANY&principal=&host=&operation=ANY&permission=ALLOW", ""},
		{"resource_type=cluster&principal=" + url.QueryEscape(n.principal),
			"resource_type=CLUSTER&resource_name=&pattern_type=ANY&principal=U&host=&operation=ANY&permission=ANY", clusterACL},
		{"resource_name=" + n.prefix + "nothing+here&pattern_type=literal",
			"resource_type=ANY&resource_name=Pnothing+here&pattern_type=LITERAL&principal=&host=&operation=ANY&permission=ANY", ""},
	} {
		got, _ := v3Do(t, ts, "GET", c+"/acls?"+tc.query, "", 200)
		data := []string{}
		if tc.want != "" {
			data = append(data, tc.want)
		}
		eq(got, list(tc.self, data...))
	}

	// Delete: the ACL's own URL deletes it and answers it.
	got, _ = v3Do(t, ts, "DELETE", c+"/acls?resource_type=TOPIC&resource_name="+n.topic+
		"&pattern_type=LITERAL&principal=User%3Aalice&host=*&operation=READ&permission=ALLOW", "", 200)
	eq(got, `{"data":[`+alice+`]}`)
	got, _ = v3Do(t, ts, "DELETE", c+"/acls?resource_type=any&pattern_type=any&operation=any&permission=any&resource_name="+n.group, "", 200)
	eq(got, `{"data":[`+group+`]}`)
	got, _ = v3Do(t, ts, "DELETE", c+"/acls?resource_type=CLUSTER&pattern_type=LITERAL&operation=ANY&permission=ANY&principal="+url.QueryEscape(n.principal), "", 200)
	eq(got, `{"data":[`+clusterACL+`]}`)
	got, _ = v3Do(t, ts, "DELETE", match+"&operation=ANY&permission=ANY", "", 200)
	eq(got, `{"data":[`+bob+`]}`)
	got, _ = v3Do(t, ts, "DELETE", match+"&operation=ANY&permission=ANY", "", 200)
	eq(got, `{"data":[]}`)
	got = waitACLs(t, ts, match, 0)
	eq(got, `{"kind":"KafkaAclList","metadata":{"self":"`+matchURL+`","next":null},"data":[]}`)
}

// TestV3ACLErrors runs on the real broker only: kfake creates ACLs that
// Kafka refuses (a CLUSTER ACL not named kafka-cluster, a principal
// without its type, an empty resource name).
func TestV3ACLErrors(t *testing.T) { testV3ACLErrors(t, realBroker(t)) }

func testV3ACLErrors(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	n := newACLTestNames(t, b)
	c := "/v3/clusters/" + cluster
	ok := aclBody("TOPIC", n.topic, "LITERAL", "User:alice", "*", "READ", "ALLOW")
	replace := func(field, value string) string {
		var m = map[string]string{"resource_type": `"TOPIC"`, "pattern_type": `"LITERAL"`, "operation": `"READ"`, "permission": `"ALLOW"`}
		return strings.Replace(ok, `"`+field+`":`+m[field], `"`+field+`":`+value, 1)
	}
	const (
		nullInput  = `{"error_code":42206,"message":"Payload error. Null input provided. Data is required."}`
		emptyInput = `{"error_code":42206,"message":"Payload error. Empty input provided. Data is required."}`
	)
	for _, tc := range []struct{ method, path, body, want string }{
		// Bodies.
		{"POST", c + "/acls", ``, nullInput},
		{"POST", c + "/acls", `null`, nullInput},
		{"POST", c + "/acls:batch", ``, nullInput},
		{"POST", c + "/acls:batch", `{}`, emptyInput},
		{"POST", c + "/acls:batch", `{"data":null}`, emptyInput},
		{"POST", c + "/acls:batch", `{"data":[` + ok + `,null]}`, emptyInput},
		{"POST", c + "/acls", `{"resource_type":"TOPIC"}`, `{"error_code":400,"message":"Cannot construct instance of ` + "`CreateAclRequest`" + `, problem: Null resourceName"}`},
		{"POST", c + "/acls", `{}`, `{"error_code":400,"message":"Cannot construct instance of ` + "`CreateAclRequest`" + `, problem: Null resourceType"}`},
		{"POST", c + "/acls", strings.Replace(ok, `,"permission":"ALLOW"`, ``, 1), `{"error_code":400,"message":"Cannot construct instance of ` + "`CreateAclRequest`" + `, problem: Null permission"}`},
		{"POST", c + "/acls:batch", `{"data":[null,{"resource_type":"TOPIC"}]}`, `{"error_code":400,"message":"Cannot construct instance of ` + "`CreateAclRequest`" + `, problem: Null resourceName"}`},
		{"POST", c + "/acls", strings.Replace(ok, `}`, `,"bogus":1}`, 1), `{"error_code":422,"message":"Unrecognized field: bogus"}`},
		{"POST", c + "/acls:batch", `{"data":[],"bogus":1}`, `{"error_code":422,"message":"Unrecognized field: bogus"}`},
		// Enums in bodies are Jackson's: exact names or ordinals.
		{"POST", c + "/acls", replace("resource_type", `"topic"`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`ResourceType`" + ` from String \"topic\": not one of the values accepted for Enum class: [TRANSACTIONAL_ID, DELEGATION_TOKEN, UNKNOWN, ANY, GROUP, CLUSTER, TOPIC]"}`},
		{"POST", c + "/acls", replace("pattern_type", `"PREFIX"`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`PatternType`" + ` from String \"PREFIX\": not one of the values accepted for Enum class: [PREFIXED, UNKNOWN, ANY, MATCH, LITERAL]"}`},
		{"POST", c + "/acls", replace("operation", `"read"`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`Operation`" + ` from String \"read\": not one of the values accepted for Enum class: [ALL, ALTER_CONFIGS, UNKNOWN, DELETE, ANY, ALTER, IDEMPOTENT_WRITE, CLUSTER_ACTION, CREATE, DESCRIBE_CONFIGS, WRITE, DESCRIBE, READ]"}`},
		{"POST", c + "/acls", replace("permission", `"allow"`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`Permission`" + ` from String \"allow\": not one of the values accepted for Enum class: [ALLOW, UNKNOWN, DENY, ANY]"}`},
		{"POST", c + "/acls", replace("permission", `9`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`Permission`" + ` from number 9: index value outside legal index range [0..3]"}`},
		{"POST", c + "/acls", replace("permission", `true`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`Permission`" + ` from Boolean value (token ` + "`JsonToken.VALUE_TRUE`" + `)"}`},
		{"POST", c + "/acls", replace("permission", `" \t"`), `{"error_code":400,"message":"Cannot coerce blank String (all whitespace) to ` + "`Permission`" + ` value (but could if coercion was enabled using ` + "`CoercionConfig`" + `)"}`},
		{"POST", c + "/acls", replace("permission", `1.5`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`Permission`" + ` from Floating-point value (token ` + "`JsonToken.VALUE_NUMBER_FLOAT`" + `)"}`},
		{"POST", c + "/acls", replace("permission", `99999999999`), `{"error_code":400,"message":"Numeric value (99999999999) out of range of int (-2147483648 - 2147483647)"}`},
		{"POST", c + "/acls", replace("permission", `"7"`), `{"error_code":400,"message":"Cannot deserialize value of type ` + "`Permission`" + ` from String \"7\": not one of the values accepted for Enum class: [ALLOW, UNKNOWN, DENY, ANY]"}`},
		{"POST", c + "/acls", replace("permission", `""`), `{"error_code":400,"message":"Cannot coerce empty String (\"\") to ` + "`Permission`" + ` value (but could if coercion was enabled using ` + "`CoercionConfig`" + `)"}`},
		// What no ACL can be.
		{"POST", c + "/acls", replace("resource_type", `"ANY"`), `{"error_code":400,"message":"resource_type cannot be ANY"}`},
		{"POST", c + "/acls", replace("resource_type", `"UNKNOWN"`), `{"error_code":400,"message":"resource_type cannot be ANY"}`},
		{"POST", c + "/acls", replace("resource_type", `0`), `{"error_code":400,"message":"resource_type cannot be ANY"}`},
		{"POST", c + "/acls", replace("pattern_type", `"ANY"`), `{"error_code":400,"message":"pattern_type cannot be ANY"}`},
		{"POST", c + "/acls", replace("pattern_type", `"MATCH"`), `{"error_code":400,"message":"pattern_type cannot be MATCH"}`},
		{"POST", c + "/acls", replace("pattern_type", `"UNKNOWN"`), `{"error_code":400,"message":"pattern_type cannot be UNKNOWN"}`},
		{"POST", c + "/acls", replace("operation", `"ANY"`), `{"error_code":400,"message":"operation cannot be ANY"}`},
		{"POST", c + "/acls", replace("operation", `"UNKNOWN"`), `{"error_code":400,"message":"operation cannot be ANY"}`},
		{"POST", c + "/acls", replace("permission", `"ANY"`), `{"error_code":400,"message":"permission cannot be ANY"}`},
		{"POST", c + "/acls", replace("permission", `"UNKNOWN"`), `{"error_code":400,"message":"permission cannot be ANY"}`},
		{"POST", c + "/acls:batch", `{"data":[` + ok + `,` + replace("operation", `"ANY"`) + `]}`, `{"error_code":400,"message":"operation cannot be ANY"}`},
		// Kafka's own rules: 40002 with Kafka's message.
		{"POST", c + "/acls", aclBody("CLUSTER", n.topic, "LITERAL", n.principal, "*", "ALTER", "ALLOW"), `{"error_code":40002,"message":"The only valid name for the CLUSTER resource is kafka-cluster"}`},
		{"POST", c + "/acls:batch", `{"data":[` + aclBody("CLUSTER", n.topic, "LITERAL", n.principal, "*", "ALTER", "ALLOW") + `]}`, `{"error_code":40002,"message":"The only valid name for the CLUSTER resource is kafka-cluster"}`},
		{"POST", c + "/acls", aclBody("TOPIC", n.topic, "LITERAL", "alice", "*", "ALTER", "ALLOW"), `{"error_code":40002,"message":"Could not parse principal from ` + "`alice`" + ` (no colon is present separating the principal type from the principal name)"}`},
		{"POST", c + "/acls", aclBody("TOPIC", "", "LITERAL", n.principal, "*", "ALTER", "ALLOW"), `{"error_code":40002,"message":"Invalid empty resource name"}`},
		// Query parameters: any case, but a known constant (404 otherwise).
		{"GET", c + "/acls?resource_type=teapot", ``, `{"error_code":404,"message":"The valid values for ResourceType do not include 'teapot'"}`},
		{"GET", c + "/acls?pattern_type=", ``, `{"error_code":404,"message":"The valid values for PatternType do not include ''"}`},
		{"GET", c + "/acls?operation=reed", ``, `{"error_code":404,"message":"The valid values for Operation do not include 'reed'"}`},
		{"GET", c + "/acls?permission=maybe", ``, `{"error_code":404,"message":"The valid values for Permission do not include 'maybe'"}`},
		{"GET", c + "/acls?resource_type=unknown", ``, `{"error_code":400,"message":"resource_type cannot be UNKNOWN"}`},
		{"GET", c + "/acls?pattern_type=Unknown", ``, `{"error_code":400,"message":"pattern_type cannot be UNKNOWN"}`},
		{"GET", c + "/acls?operation=UNKNOWN", ``, `{"error_code":400,"message":"operation cannot be UNKNOWN"}`},
		{"GET", c + "/acls?permission=unknown", ``, `{"error_code":400,"message":"permission cannot be UNKNOWN"}`},
		// A delete names all four enums.
		{"DELETE", c + "/acls", ``, `{"error_code":400,"message":"resource_type cannot be unspecified or UNKNOWN"}`},
		{"DELETE", c + "/acls?resource_type=ANY&operation=ANY&permission=ANY", ``, `{"error_code":400,"message":"pattern_type cannot be unspecified or UNKNOWN"}`},
		{"DELETE", c + "/acls?resource_type=ANY&pattern_type=ANY&permission=ANY", ``, `{"error_code":400,"message":"operation cannot be unspecified or UNKNOWN"}`},
		{"DELETE", c + "/acls?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=unknown", ``, `{"error_code":400,"message":"permission cannot be unspecified or UNKNOWN"}`},
		{"DELETE", c + "/acls?resource_type=teapot", ``, `{"error_code":404,"message":"The valid values for ResourceType do not include 'teapot'"}`},
		// Another cluster.
		{"GET", "/v3/clusters/nope/acls", ``, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"POST", "/v3/clusters/nope/acls", ok, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"POST", "/v3/clusters/nope/acls:batch", `{"data":[` + ok + `]}`, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"DELETE", "/v3/clusters/nope/acls?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY", ``, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"PUT", c + "/acls", ok, `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
		{"GET", c + "/acls:batch", ``, `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
	} {
		code, got, _ := ts.do(t, tc.method, tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s:\n got %d %s\nwant %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}
	// None of it created an ACL.
	got, _ := v3Do(t, ts, "GET", c+"/acls?resource_name="+n.topic, "", 200)
	if !strings.HasSuffix(got, `"data":[]}`) {
		t.Errorf("ACLs left: %s", got)
	}
}

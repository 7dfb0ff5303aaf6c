package v3

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// createACLRequest is Confluent's CreateAclRequest; every field is
// required.
type createACLRequest struct {
	ResourceType *aclResourceType `json:"resource_type"`
	ResourceName *jstring         `json:"resource_name"`
	PatternType  *aclPatternType  `json:"pattern_type"`
	Principal    *jstring         `json:"principal"`
	Host         *jstring         `json:"host"`
	Operation    *aclOperation    `json:"operation"`
	Permission   *aclPermission   `json:"permission"`
}

// acl is the ACL r asks for; a missing field fails as Confluent's
// builder does, naming the first (in field order) that is null.
func (r *createACLRequest) acl() (admin.ACL, error) {
	missing := ""
	switch {
	case r.ResourceType == nil:
		missing = "resourceType"
	case r.ResourceName == nil:
		missing = "resourceName"
	case r.PatternType == nil:
		missing = "patternType"
	case r.Principal == nil:
		missing = "principal"
	case r.Host == nil:
		missing = "host"
	case r.Operation == nil:
		missing = "operation"
	case r.Permission == nil:
		missing = "permission"
	}
	if missing != "" {
		return admin.ACL{}, rest.Errorf(400, rest.CodeBadRequest, "Cannot construct instance of `CreateAclRequest`, problem: Null %s", missing)
	}
	return admin.ACL{
		ResourceType: kmsg.ACLResourceType(*r.ResourceType), ResourceName: string(*r.ResourceName),
		PatternType: kmsg.ACLResourcePatternType(*r.PatternType), Principal: string(*r.Principal), Host: string(*r.Host),
		Operation: kmsg.ACLOperation(*r.Operation), Permission: kmsg.ACLPermissionType(*r.Permission),
	}, nil
}

// checkNewACL refuses what no ACL can be, with Confluent's messages
// (which say ANY for UNKNOWN too).
func checkNewACL(a admin.ACL) error {
	switch {
	case int8(a.ResourceType) == aclAny || int8(a.ResourceType) == aclUnknown:
		return rest.Errorf(400, rest.CodeBadRequest, "resource_type cannot be ANY")
	case int8(a.PatternType) == aclAny || int8(a.PatternType) == patternMatch || int8(a.PatternType) == aclUnknown:
		return rest.Errorf(400, rest.CodeBadRequest, "pattern_type cannot be %s", aclPatternTypes.name(int8(a.PatternType)))
	case int8(a.Operation) == aclAny || int8(a.Operation) == aclUnknown:
		return rest.Errorf(400, rest.CodeBadRequest, "operation cannot be ANY")
	case int8(a.Permission) == aclAny || int8(a.Permission) == aclUnknown:
		return rest.Errorf(400, rest.CodeBadRequest, "permission cannot be ANY")
	}
	return nil
}

// aclParams are the seven query parameters of an ACL search or delete,
// as given (an empty string matches any value).
type aclParams struct {
	resourceType, patternType, operation, permission int8
	resourceName, principal, host                    string
}

// readACLParams reads the parameters; an absent enum parameter is def.
func readACLParams(ctx *fasthttp.RequestCtx, def int8) (aclParams, error) {
	var (
		p    aclParams
		err  error
		args = ctx.QueryArgs()
	)
	if p.resourceType, err = aclResourceTypes.query(ctx, "resource_type", def); err != nil {
		return p, err
	}
	p.resourceName = string(args.Peek("resource_name"))
	if p.patternType, err = aclPatternTypes.query(ctx, "pattern_type", def); err != nil {
		return p, err
	}
	p.principal = string(args.Peek("principal"))
	p.host = string(args.Peek("host"))
	if p.operation, err = aclOperations.query(ctx, "operation", def); err != nil {
		return p, err
	}
	if p.permission, err = aclPermissions.query(ctx, "permission", def); err != nil {
		return p, err
	}
	return p, nil
}

// check refuses an UNKNOWN enum parameter with "<param> cannot be " +
// what.
func (p aclParams) check(what string) error {
	for _, c := range []struct {
		param string
		v     int8
	}{{"resource_type", p.resourceType}, {"pattern_type", p.patternType}, {"operation", p.operation}, {"permission", p.permission}} {
		if c.v == aclUnknown {
			return rest.Errorf(400, rest.CodeBadRequest, "%s cannot be %s", c.param, what)
		}
	}
	return nil
}

func (p aclParams) filter() admin.ACLFilter {
	orAny := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return admin.ACLFilter{
		ResourceType: kmsg.ACLResourceType(p.resourceType), ResourceName: orAny(p.resourceName),
		PatternType: kmsg.ACLResourcePatternType(p.patternType), Principal: orAny(p.principal), Host: orAny(p.host),
		Operation: kmsg.ACLOperation(p.operation), Permission: kmsg.ACLPermissionType(p.permission),
	}
}

func (p aclParams) query() string {
	return aclQuery(aclResourceTypes.name(p.resourceType), p.resourceName, aclPatternTypes.name(p.patternType),
		p.principal, p.host, aclOperations.name(p.operation), aclPermissions.name(p.permission))
}

// aclQuery is the query of an ACL's URL: all seven parameters, encoded as
// Java's URLEncoder does.
func aclQuery(resourceType, resourceName, patternType, principal, host, operation, permission string) string {
	var b strings.Builder
	for i, kv := range [...][2]string{
		{"resource_type", resourceType}, {"resource_name", resourceName}, {"pattern_type", patternType},
		{"principal", principal}, {"host", host}, {"operation", operation}, {"permission", permission},
	} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		formEncode(&b, kv[1])
	}
	return b.String()
}

// formEncode writes s as java.net.URLEncoder encodes it in UTF-8: letters,
// digits and ".-*_" as they are, space as "+", every other byte as %XX.
func formEncode(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

func (u urls) aclURL(query string) string { return u.self("acls") + "?" + query }

// aclData is Confluent's AclData; its metadata has no resource_name.
type aclData struct {
	Kind         string   `json:"kind"`
	Metadata     Metadata `json:"metadata"`
	ClusterID    string   `json:"cluster_id"`
	ResourceType string   `json:"resource_type"`
	ResourceName string   `json:"resource_name"`
	PatternType  string   `json:"pattern_type"`
	Principal    string   `json:"principal"`
	Host         string   `json:"host"`
	Operation    string   `json:"operation"`
	Permission   string   `json:"permission"`
}

// acls renders Kafka's ACLs in Confluent's order: by resource type,
// resource name, pattern type, principal, host, operation and permission,
// enums by ordinal and strings as Java compares them.
func (u urls) acls(cluster string, list []admin.ACL) []aclData {
	slices.SortFunc(list, func(a, b admin.ACL) int {
		return cmp.Or(
			cmp.Compare(aclResourceTypes.ordinal(int8(a.ResourceType)), aclResourceTypes.ordinal(int8(b.ResourceType))),
			javaCompare(a.ResourceName, b.ResourceName),
			cmp.Compare(aclPatternTypes.ordinal(int8(a.PatternType)), aclPatternTypes.ordinal(int8(b.PatternType))),
			javaCompare(a.Principal, b.Principal),
			javaCompare(a.Host, b.Host),
			cmp.Compare(aclOperations.ordinal(int8(a.Operation)), aclOperations.ordinal(int8(b.Operation))),
			cmp.Compare(aclPermissions.ordinal(int8(a.Permission)), aclPermissions.ordinal(int8(b.Permission))),
		)
	})
	out := make([]aclData, 0, len(list))
	for _, a := range list {
		d := aclData{
			Kind: "KafkaAcl", ClusterID: cluster,
			ResourceType: aclResourceTypes.name(int8(a.ResourceType)), ResourceName: a.ResourceName,
			PatternType: aclPatternTypes.name(int8(a.PatternType)), Principal: a.Principal, Host: a.Host,
			Operation: aclOperations.name(int8(a.Operation)), Permission: aclPermissions.name(int8(a.Permission)),
		}
		d.Metadata.Self = u.aclURL(aclQuery(d.ResourceType, d.ResourceName, d.PatternType, d.Principal, d.Host, d.Operation, d.Permission))
		out = append(out, d)
	}
	return out
}

// javaCompare orders strings as Java's String.compareTo does, by UTF-16
// code unit: a character past U+FFFF (a surrogate pair) sorts before
// U+E000–U+FFFF.
func javaCompare(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if ra > 0xFFFF && rb > 0xFFFF {
				return cmp.Compare(ra, rb)
			}
			return cmp.Compare(firstUnit(ra), firstUnit(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// firstUnit is the first UTF-16 code unit of r (Java compares strings by
// code units).
func firstUnit(r rune) rune {
	if r > 0xFFFF {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}

// SearchACLs is GET …/acls: the ACLs that the query parameters match.
// Absent enum parameters are ANY and absent strings match any value;
// UNKNOWN is refused.
func (a *API) SearchACLs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	p, err := readACLParams(ctx, aclAny)
	if err != nil {
		return err
	}
	if err := p.check("UNKNOWN"); err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	list, err := cl.kc.Admin.DescribeACLs(cl.c, p.filter())
	if err != nil {
		return err
	}
	return writeJSON(ctx, 200, newList("KafkaAclList", cl.u.aclURL(p.query()), cl.u.acls(clusterOf(ctx), list)))
}

// errNullACL is Confluent's answer to a create without a body.
var errNullACL = errPayload("Null input provided. Data is required.")

// CreateACL is POST …/acls with a CreateAclRequest: 201 with no body and
// the new ACL's URL as Location.
func (a *API) CreateACL(ctx *fasthttp.RequestCtx, r rest.Request) error {
	var req createACLRequest
	if err := decode(r.Body, &req, errNullACL); err != nil {
		return err
	}
	acl, err := req.acl()
	if err != nil {
		return err
	}
	if err := checkNewACL(acl); err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	if err := cl.kc.Admin.CreateACLs(cl.c, []admin.ACL{acl}); err != nil {
		return err
	}
	loc := cl.u.aclURL(aclQuery(aclResourceTypes.name(int8(acl.ResourceType)), acl.ResourceName,
		aclPatternTypes.name(int8(acl.PatternType)), acl.Principal, acl.Host,
		aclOperations.name(int8(acl.Operation)), aclPermissions.name(int8(acl.Permission))))
	ctx.Response.Header.Set(fasthttp.HeaderLocation, loc)
	ctx.SetStatusCode(fasthttp.StatusCreated)
	ctx.ResetBody()
	return nil
}

// CreateACLs is POST …/acls:batch with {"data":[CreateAclRequest…]}: 204
// once Kafka has created them all (Confluent's code answers 204, its
// OpenAPI says 201).
func (a *API) CreateACLs(ctx *fasthttp.RequestCtx, r rest.Request) error {
	var req struct {
		Data []*createACLRequest `json:"data"`
	}
	if err := decode(r.Body, &req, errNullACL); err != nil {
		return err
	}
	// Jackson builds each entry as it reads it, and the list after.
	acls := make([]admin.ACL, 0, len(req.Data))
	for _, d := range req.Data {
		if d == nil {
			continue
		}
		acl, err := d.acl()
		if err != nil {
			return err
		}
		acls = append(acls, acl)
	}
	if req.Data == nil || len(acls) != len(req.Data) {
		return errPayload("Empty input provided. Data is required.")
	}
	for _, acl := range acls {
		if err := checkNewACL(acl); err != nil {
			return err
		}
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	if err := cl.kc.Admin.CreateACLs(cl.c, acls); err != nil {
		return err
	}
	return noContent(ctx)
}

// DeleteACLs is DELETE …/acls: deletes the ACLs that the query parameters
// match and answers them as {"data":[…]}. The four enum parameters are
// required, so that a bare DELETE deletes nothing.
func (a *API) DeleteACLs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	p, err := readACLParams(ctx, aclUnknown)
	if err != nil {
		return err
	}
	if err := p.check("unspecified or UNKNOWN"); err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	list, err := cl.kc.Admin.DeleteACLs(cl.c, p.filter())
	if err != nil {
		return err
	}
	return writeJSON(ctx, 200, struct {
		Data []aclData `json:"data"`
	}{cl.u.acls(clusterOf(ctx), list)})
}

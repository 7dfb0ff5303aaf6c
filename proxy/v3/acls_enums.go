package v3

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/rest"
)

// aclEnum is one of Confluent's ACL enums (Acl.ResourceType, ...). The
// ordinal of each constant is Kafka's code for it; Kafka codes past the
// last constant (the USER resource type, the token operations) are
// UNKNOWN, as in Confluent's proxy.
type aclEnum struct {
	class string   // the Java class's simple name, as messages give it
	names []string // by ordinal
	// listed are the names as Jackson lists them in "not one of the
	// values accepted" (the order of its hash table).
	listed string
}

var (
	aclResourceTypes = &aclEnum{"ResourceType",
		[]string{"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN"},
		"[TRANSACTIONAL_ID, DELEGATION_TOKEN, UNKNOWN, ANY, GROUP, CLUSTER, TOPIC]"}
	aclPatternTypes = &aclEnum{"PatternType",
		[]string{"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"},
		"[PREFIXED, UNKNOWN, ANY, MATCH, LITERAL]"}
	aclOperations = &aclEnum{"Operation",
		[]string{"UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE",
			"CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE"},
		"[ALL, ALTER_CONFIGS, UNKNOWN, DELETE, ANY, ALTER, IDEMPOTENT_WRITE, CLUSTER_ACTION, CREATE, DESCRIBE_CONFIGS, WRITE, DESCRIBE, READ]"}
	aclPermissions = &aclEnum{"Permission",
		[]string{"UNKNOWN", "ANY", "DENY", "ALLOW"},
		"[ALLOW, UNKNOWN, DENY, ANY]"}
)

// The ordinals the handlers test for; they are the same in every enum
// (and in Kafka).
const (
	aclUnknown   int8 = 0
	aclAny       int8 = 1
	patternMatch int8 = 2
)

// ordinal is the constant of a Kafka code.
func (e *aclEnum) ordinal(code int8) int8 {
	if code < 0 || int(code) >= len(e.names) {
		return aclUnknown
	}
	return code
}

func (e *aclEnum) name(code int8) string { return e.names[e.ordinal(code)] }

func (e *aclEnum) lookup(name string) (int8, bool) {
	i := slices.Index(e.names, name)
	return int8(i), i >= 0
}

// query reads an enum query parameter as Confluent's EnumConverterProvider
// does: case-insensitive, def when absent, and 404 for a value that is
// none of the constants (an empty one included).
func (e *aclEnum) query(ctx *fasthttp.RequestCtx, param string, def int8) (int8, error) {
	args := ctx.QueryArgs()
	if !args.Has(param) {
		return def, nil
	}
	raw := string(args.Peek(param))
	if v, ok := e.lookup(strings.ToUpper(raw)); ok {
		return v, nil
	}
	return 0, rest.Errorf(404, rest.CodeNotFound, "The valid values for %s do not include '%s'", e.class, raw)
}

// fromJSON reads an enum in a request entity as Jackson does: the exact
// name (trimmed) or its ordinal, as a number or a string of digits.
func (e *aclEnum) fromJSON(b []byte) (int8, error) {
	switch c := b[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		name := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
		switch {
		case s == "":
			return 0, e.coerceError(`empty String ("")`)
		case name == "":
			return 0, e.coerceError("blank String (all whitespace)")
		}
		if v, ok := e.lookup(name); ok {
			return v, nil
		}
		if name[0] >= '0' && name[0] <= '9' {
			if i, err := strconv.ParseInt(name, 10, 32); err == nil && i < int64(len(e.names)) {
				return int8(i), nil
			}
		}
		return 0, e.jsonError(fmt.Sprintf("from String \"%s\": not one of the values accepted for Enum class: %s", name, e.listed))
	case c == '-' || c >= '0' && c <= '9':
		if strings.ContainsAny(string(b), ".eE") {
			return 0, e.jsonError("from Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)")
		}
		i, err := strconv.ParseInt(string(b), 10, 32)
		switch {
		case err != nil:
			return 0, rest.Errorf(400, rest.CodeBadRequest, "Numeric value (%s) out of range of int (-2147483648 - 2147483647)", b)
		case i < 0 || i >= int64(len(e.names)):
			return 0, e.jsonError(fmt.Sprintf("from number %d: index value outside legal index range [0..%d]", i, len(e.names)-1))
		}
		return int8(i), nil
	case c == 't':
		return 0, e.jsonError("from Boolean value (token `JsonToken.VALUE_TRUE`)")
	case c == 'f':
		return 0, e.jsonError("from Boolean value (token `JsonToken.VALUE_FALSE`)")
	case c == '{':
		return 0, e.jsonError("from Object value (token `JsonToken.START_OBJECT`)")
	}
	return 0, e.jsonError("from Array value (token `JsonToken.START_ARRAY`)")
}

// jsonError is Jackson's mapping error for a value of the enum, whose
// class rest-utils shortens to its simple name.
func (e *aclEnum) jsonError(what string) error {
	return rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `%s` %s", e.class, what)
}

// coerceError is Jackson's refusal of an empty or blank enum name.
func (e *aclEnum) coerceError(what string) error {
	return rest.Errorf(400, rest.CodeBadRequest, "Cannot coerce %s to `%s` value (but could if coercion was enabled using `CoercionConfig`)", what, e.class)
}

// The ACL enums of request entities.
type (
	aclResourceType int8
	aclPatternType  int8
	aclOperation    int8
	aclPermission   int8
)

func (v *aclResourceType) UnmarshalJSON(b []byte) error {
	n, err := aclResourceTypes.fromJSON(b)
	*v = aclResourceType(n)
	return err
}

func (v *aclPatternType) UnmarshalJSON(b []byte) error {
	n, err := aclPatternTypes.fromJSON(b)
	*v = aclPatternType(n)
	return err
}

func (v *aclOperation) UnmarshalJSON(b []byte) error {
	n, err := aclOperations.fromJSON(b)
	*v = aclOperation(n)
	return err
}

func (v *aclPermission) UnmarshalJSON(b []byte) error {
	n, err := aclPermissions.fromJSON(b)
	*v = aclPermission(n)
	return err
}

package jsonschema

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	js "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/krest-dev/krest/codec"
)

const (
	// maxInput bounds how much of one input value (a string, a number, a
	// property name) is quoted in a message.
	maxInput = 40
	// maxPointer bounds the rendered JSON pointer of the failing location.
	maxPointer = 60
	// maxMessage bounds messages built from library text.
	maxMessage = 160
)

// describe renders a validation error tree as one line: the JSON pointer of
// the chosen failure and its reason.
//
// The library reports a tree (one branch per failing keyword and
// subschema). The line shows one leaf: wrapper nodes (schema, group, $ref,
// allOf) are looked through; anyOf, oneOf and not are leaves of their own,
// since no single branch explains them. Among the leaves, the one with the
// smallest instance location wins (shallowest first, then in key/index
// order), ties broken by schema location, so the message is deterministic.
func describe(ve *js.ValidationError) string {
	leaves := collectLeaves(ve, nil)
	best := ve
	if len(leaves) > 0 {
		best = slices.MinFunc(leaves, compareErrors)
	}
	return pointer(best.InstanceLocation) + ": " + reason(best)
}

func collectLeaves(e *js.ValidationError, out []*js.ValidationError) []*js.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				out = collectLeaves(c, out)
			}
			return out
		}
	}
	return append(out, e)
}

func compareErrors(a, b *js.ValidationError) int {
	if c := compareLocations(a.InstanceLocation, b.InstanceLocation); c != 0 {
		return c
	}
	if c := cmp.Compare(a.SchemaURL, b.SchemaURL); c != 0 {
		return c
	}
	return slices.Compare(a.ErrorKind.KeywordPath(), b.ErrorKind.KeywordPath())
}

// compareLocations orders JSON pointers token by token; a prefix sorts
// first and array indexes compare numerically.
func compareLocations(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] == b[i] {
			continue
		}
		x, errX := strconv.ParseUint(a[i], 10, 64)
		y, errY := strconv.ParseUint(b[i], 10, 64)
		if errX == nil && errY == nil {
			return cmp.Compare(x, y)
		}
		return strings.Compare(a[i], b[i])
	}
	return cmp.Compare(len(a), len(b))
}

// pointer renders an instance location as a JSON pointer ("/" for the root),
// clipped to maxPointer bytes and with control characters escaped.
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var sb strings.Builder
	for _, tok := range tokens {
		sb.WriteByte('/')
		tok = strings.ReplaceAll(tok, "~", "~0")
		sb.WriteString(strings.ReplaceAll(tok, "/", "~1"))
		if sb.Len() > maxPointer {
			break
		}
	}
	return printable(codec.Clip(sb.String(), maxPointer))
}

// reason is the message for one error kind. Values from the input are
// quoted and clipped to maxInput bytes.
func reason(e *js.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return "got " + k.Got + ", want " + strings.Join(k.Want, " or ")
	case *kind.Required:
		if len(k.Missing) == 1 {
			return "missing property " + quote(k.Missing[0])
		}
		return "missing properties " + quoteList(k.Missing)
	case *kind.AdditionalProperties:
		if len(k.Properties) == 1 {
			return "additional property " + quote(k.Properties[0]) + " not allowed"
		}
		return "additional properties " + quoteList(k.Properties) + " not allowed"
	case *kind.Dependency:
		return "properties " + quoteList(k.Missing) + " required when " + quote(k.Prop) + " is present"
	case *kind.DependentRequired:
		return "properties " + quoteList(k.Missing) + " required when " + quote(k.Prop) + " is present"
	case *kind.PropertyNames:
		return "invalid property name " + quote(k.Property)
	case *kind.Enum:
		want := make([]string, 0, len(k.Want))
		for _, w := range k.Want {
			want = append(want, display(w))
		}
		return codec.Clip("value must be one of "+strings.Join(want, ", "), maxMessage)
	case *kind.Const:
		return codec.Clip("value must be "+display(k.Want), maxMessage)
	case *kind.Format:
		return display(k.Got) + " is not a valid " + printable(codec.Clip(k.Want, maxInput))
	case *kind.Pattern:
		return quote(k.Got) + " does not match pattern " + quote(k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("length %d is less than minLength %d", k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("length %d is greater than maxLength %d", k.Got, k.Want)
	case *kind.Minimum:
		return number(k.Got) + " is less than minimum " + number(k.Want)
	case *kind.Maximum:
		return number(k.Got) + " is greater than maximum " + number(k.Want)
	case *kind.ExclusiveMinimum:
		return number(k.Got) + " is not greater than exclusiveMinimum " + number(k.Want)
	case *kind.ExclusiveMaximum:
		return number(k.Got) + " is not less than exclusiveMaximum " + number(k.Want)
	case *kind.MultipleOf:
		return number(k.Got) + " is not a multiple of " + number(k.Want)
	case *kind.AnyOf:
		return "does not match any schema of anyOf"
	case *kind.OneOf:
		if len(k.Subschemas) >= 2 {
			return fmt.Sprintf("matches more than one schema of oneOf (%d and %d)", k.Subschemas[0], k.Subschemas[1])
		}
		return "does not match any schema of oneOf"
	case *kind.Not:
		return "must not match the schema of not"
	case *kind.FalseSchema:
		return "not allowed (false schema)"
	}
	// The remaining kinds (item and property counts, uniqueItems, contains,
	// content*) carry no input text. The library renders a kind only through
	// ValidationError, as "at '<location>': <message>"; keep the message.
	msg := (&js.ValidationError{ErrorKind: e.ErrorKind}).Error()
	msg = strings.TrimPrefix(msg, "at '': ")
	return printable(codec.Clip(msg, maxMessage))
}

// number renders a decoded number exactly when it is an integer (clipped),
// otherwise as the nearest float64.
func number(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return codec.Clip(r.Num().String(), maxInput)
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// display renders a JSON value (as decoded by jsonschema.UnmarshalJSON) for
// a message.
func display(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default: // json.Number
		return printable(codec.Clip(fmt.Sprint(v), maxInput))
	}
}

func quote(s string) string {
	return strconv.Quote(codec.Clip(s, maxInput))
}

func quoteList(list []string) string {
	const maxItems = 3
	var sb strings.Builder
	for i, s := range list {
		if i == maxItems {
			fmt.Fprintf(&sb, " and %d more", len(list)-maxItems)
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quote(s))
	}
	return sb.String()
}

// printable escapes control and non-printable characters (Go syntax) so that
// a message stays on one line.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			q := strconv.Quote(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

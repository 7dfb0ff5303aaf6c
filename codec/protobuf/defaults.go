package protobuf

import (
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fillPlan lists what fillDefaults does for one message type: the
// explicit-presence scalar fields to set to their default when unset, and
// the message-valued fields to descend into (only those whose type has a
// plan of its own).
type fillPlan struct {
	defaults []protoreflect.FieldDescriptor
	nested   []nestedPlan
}

type nestedPlan struct {
	fd   protoreflect.FieldDescriptor
	plan *fillPlan
}

// buildPlans computes fill plans for every message type reachable from the
// schema's messages. Types that need nothing (all of proto3, for instance)
// get no plan, so fillDefaults costs nothing for them.
//
// Java's includingDefaultValueFields prints a field unless it has presence
// and is a message field or a oneof member. protojson's EmitDefaultValues
// prints only the fields without presence. The difference is the singular
// non-message fields with explicit presence outside oneofs: proto2 optional
// (and required) scalars, and editions fields with explicit presence.
func buildPlans(fd protoreflect.FileDescriptor) map[protoreflect.FullName]*fillPlan {
	// Collect the reachable message types.
	seen := make(map[protoreflect.FullName]protoreflect.MessageDescriptor)
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if _, ok := seen[md.FullName()]; ok {
			return
		}
		seen[md.FullName()] = md
		for i := range md.Messages().Len() {
			visit(md.Messages().Get(i))
		}
		for i := range md.Fields().Len() {
			if t := md.Fields().Get(i).Message(); t != nil {
				visit(t)
			}
		}
	}
	for i := range fd.Messages().Len() {
		visit(fd.Messages().Get(i))
	}

	// needs[t]: t or a message type reachable through its fields has
	// fields to fill. Computed as a fixed point (types may be recursive).
	needs := make(map[protoreflect.FullName]bool)
	for name, md := range seen {
		needs[name] = len(defaultFields(md)) > 0
	}
	for changed := true; changed; {
		changed = false
		for name, md := range seen {
			if needs[name] {
				continue
			}
			for i := range md.Fields().Len() {
				if t := valueMessage(md.Fields().Get(i)); t != nil && needs[t.FullName()] {
					needs[name], changed = true, true
					break
				}
			}
		}
	}

	plans := make(map[protoreflect.FullName]*fillPlan)
	for name := range seen {
		if needs[name] {
			plans[name] = new(fillPlan)
		}
	}
	for name, p := range plans {
		md := seen[name]
		p.defaults = defaultFields(md)
		for i := range md.Fields().Len() {
			f := md.Fields().Get(i)
			if t := valueMessage(f); t != nil && plans[t.FullName()] != nil {
				p.nested = append(p.nested, nestedPlan{fd: f, plan: plans[t.FullName()]})
			}
		}
	}
	return plans
}

// defaultFields returns the fields of md that Java prints with their default
// value when unset but protojson does not.
func defaultFields(md protoreflect.MessageDescriptor) []protoreflect.FieldDescriptor {
	var out []protoreflect.FieldDescriptor
	for i := range md.Fields().Len() {
		f := md.Fields().Get(i)
		if f.HasPresence() && f.Message() == nil && f.ContainingOneof() == nil && f.Cardinality() != protoreflect.Repeated {
			out = append(out, f)
		}
	}
	return out
}

// valueMessage is the message type of a message field, of the elements of a
// repeated message field or of the values of a map field; nil otherwise.
func valueMessage(f protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if f.IsMap() {
		return f.MapValue().Message()
	}
	return f.Message()
}

// fillDefaults sets the unset fields listed by plan (and, recursively, by
// the plans of the populated message fields) to their default values, so
// that protojson prints them as Java's includingDefaultValueFields does.
func fillDefaults(m protoreflect.Message, plan *fillPlan) {
	if plan == nil {
		return
	}
	for _, f := range plan.defaults {
		if !m.Has(f) {
			m.Set(f, f.Default())
		}
	}
	for _, n := range plan.nested {
		if !m.Has(n.fd) {
			continue
		}
		switch {
		case n.fd.IsMap():
			m.Mutable(n.fd).Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				fillDefaults(v.Message(), n.plan)
				return true
			})
		case n.fd.IsList():
			l := m.Mutable(n.fd).List()
			for i := range l.Len() {
				fillDefaults(l.Get(i).Message(), n.plan)
			}
		default:
			fillDefaults(m.Mutable(n.fd).Message(), n.plan)
		}
	}
}

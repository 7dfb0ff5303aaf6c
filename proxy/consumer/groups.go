package consumer

import "context"

// MemberNames maps the Kafka member ids of group's subscribed instances
// that owner created to the instances' names, so that a description of the
// group can name krest's own members. An instance busy with an operation
// (a read waits up to its request timeout) is waited for until ctx ends,
// then left out; so are instances of other owners, whose existence is not
// revealed. Asking does not count as using an instance.
func (m *Manager) MemberNames(ctx context.Context, group, owner string) map[string]string {
	m.mu.Lock()
	var insts []*Instance
	for k, inst := range m.instances {
		if k.group == group && inst.s.Owner == owner {
			insts = append(insts, inst)
		}
	}
	m.mu.Unlock()
	type named struct{ member, name string }
	found := make(chan named, len(insts)) // buffered: late answers never block
	for _, inst := range insts {
		go func() {
			inst.op.Lock()
			var member string
			if !inst.closed && inst.mode == modeSubscribed && inst.cl != nil {
				member, _ = inst.cl.GroupMetadata()
			}
			inst.op.Unlock()
			found <- named{member, inst.s.Name}
		}()
	}
	out := map[string]string{}
	for range insts {
		select {
		case n := <-found:
			if n.member != "" {
				out[n.member] = n.name
			}
		case <-ctx.Done():
			return out
		}
	}
	return out
}

package produce

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/pool"
)

// Produce calls reach kgo in groups, like a database's group commit. A
// call that arrives while no group is in flight is sent at once; calls
// that arrive while one is wait for it to return and then go together, or
// go after producer.linger.ms at the latest. kgo ends the linger of what a
// group wrote once the whole group is buffered, so under load many calls
// share each produce request: the broker handles one request per connection
// at a time, and a request per call (kgo allows five in flight) cost the
// broker, and krest, several times the work per record (bench rows 2 and 4).
//
// Under a heavy load, sending the queue the moment the group in flight
// returns makes a produce request per round trip (about 850 a second at
// 95,000 1 KiB records/s, bench row 12): the broker's cost per request, and
// per fetch of what each wrote, then nearly doubled its CPU per GB, and the
// machine's queues made the tail (p99 of 40–780 ms against franz-go's 18–93
// in the same runs). So a group that returns to find at least holdBytes of
// records queued behind it (calls keep coming: a few callers all waiting
// on the group queue little) holds the queue until the linger since it was
// sent, until calls stop coming for half of that, or until the queue
// carries fullGroupBytes, much as kgo's own linger batches. One-record
// calls (bench row 2) and eight callers of 100 small records (row 4) never
// wait.
//
// Groups reach kgo in the order they were formed, even when a group sent
// at the linger overlaps the one in flight: each group has a turn, and its
// sender hands its records to kgo only once the group before has handed
// over all of its own. The records of one stream's successive calls (v3's
// streaming produce) thus keep their order in a partition.
//
// A call does not wait for its group: each record's Context is its call,
// and kgo's per-record hook (callHook) tells the call when its last record
// is reported. A record that cannot be delivered (a topic that does not
// exist yet, a partition without a leader) holds back only its own call,
// and the calls after it by at most the linger.

// maxOpenGroups is how many groups may be in flight before calls queue.
const maxOpenGroups = 1

// Call is one batch of records on its way to Kafka, from Start until kgo
// has let go of its records. It lives in its Batch: it is valid until the
// batch is handed back with PutBatch.
type Call struct {
	p          *Producer // nil for a batch without records
	parent     context.Context
	ctx        context.Context // the delivery deadline
	authFailed <-chan struct{} // the producer's next login failure, as of Start
	cancel     context.CancelFunc
	b          *Batch
	cost       int64         // what the call holds of the produce budget
	left       atomic.Int32  // records kgo has not reported yet
	held       atomic.Int32  // records of a lingering batch whose promise has not run yet
	done       chan struct{} // receives once left reaches 0; kept with the batch
}

// callCtx is the Context of each record of a call: the call's delivery
// deadline (kgo fails records not yet sent when it ends), and the call. It
// is never modified: kgo may read it after the call (a goroutine that waits
// for an unknown topic outlives it).
type callCtx struct {
	context.Context
	c *Call
}

func (c *Call) reset() {
	c.p, c.parent, c.ctx, c.authFailed = nil, nil, nil, nil
	c.cancel, c.b, c.cost = nil, nil, 0
	select {
	case <-c.done: // sent after Produce stopped waiting
	default:
	}
}

// callHook reports each record of a Produce call to the call, and gives the
// call's share of the producer's budget back with its last record.
type callHook struct{ budget *pool.Budget }

var (
	_ kgo.HookProduceRecordUnbuffered = callHook{}
	_ kgo.HookProduceRecordBuffered   = callHook{}
)

// turnMark is the Context of a group's last record, a sentinel that kgo
// refuses (it has no topic): kgo runs the buffered hook of a record
// before anything else of its Produce call, so the sentinel's hook runs
// once every record before it in the group is buffered, and passes the
// turn to the next group.
type turnMark struct {
	context.Context
	p    *Producer
	turn uint64
}

// OnProduceRecordBuffered passes the turn on at a group's sentinel.
func (callHook) OnProduceRecordBuffered(r *kgo.Record) {
	if m, ok := r.Context.(*turnMark); ok {
		m.p.passTurn(m.turn)
	}
}

// waitTurn waits until the groups taken before turn have handed all their
// records to kgo.
func (p *Producer) waitTurn(turn uint64) {
	p.mu.Lock()
	for p.fed != turn {
		p.turns.Wait()
	}
	p.mu.Unlock()
}

// passTurn lets the group after turn go.
func (p *Producer) passTurn(turn uint64) {
	p.mu.Lock()
	if p.fed == turn {
		p.fed++
		p.turns.Broadcast()
	}
	p.mu.Unlock()
}

// OnProduceRecordUnbuffered runs on a kgo goroutine when kgo has the outcome
// of r; records not sent by Start are left alone. kgo reads r once
// more after this (its size), so the call's batch is recycled only once
// its group has returned, never here.
func (h callHook) OnProduceRecordUnbuffered(r *kgo.Record, err error) {
	cc, ok := r.Context.(*callCtx)
	if !ok {
		return
	}
	c := cc.c
	if err != nil {
		if i := recordIndex(c.b.Records, r); i >= 0 {
			c.b.kerrs[i] = err
		}
	}
	if c.left.Add(-1) == 0 {
		c.cancel()
		h.budget.Release(c.cost)
		c.done <- struct{}{}
	}
}

// enqueue queues c and sends the queue as a group when no group is in
// flight; otherwise the queue goes when the group in flight returns, or
// after the linger.
func (p *Producer) enqueue(c *Call) {
	p.mu.Lock()
	p.queue = append(p.queue, c)
	p.queued += c.cost - int64(len(c.b.Records))*recordOverhead
	if p.hold {
		p.lastArrival = time.Now()
	}
	g, turn := p.takeLocked(false)
	if g == nil && !p.armed {
		p.armed = true
		p.forced.Reset(p.linger)
	}
	p.mu.Unlock()
	if g != nil {
		p.dispatch(group{g, turn})
	}
}

// group is calls sent to kgo together, and their turn.
type group struct {
	calls []*Call
	turn  uint64
}

// takeLocked returns the queue as the next group and its turn, or nil when
// it is empty or (unless force) a group is already in flight or the queue
// is held (maybeHold). p.mu is held.
func (p *Producer) takeLocked(force bool) ([]*Call, uint64) {
	if len(p.queue) == 0 || !force && p.linger > 0 && (p.open >= maxOpenGroups || p.hold && p.queued < fullGroupBytes) {
		return nil, 0
	}
	g := p.queue
	p.queue, p.spare = p.spare, nil
	p.open++
	p.queued, p.hold = 0, false
	if p.linger > 0 {
		p.lastSent = time.Now()
	}
	if p.armed {
		p.forced.Stop()
		p.armed = false
	}
	turn := p.taken
	p.taken++
	return g, turn
}

// holdBytes is how much a group's records must carry (keys, values and
// headers) for the next group to be held; a held queue goes once it carries
// fullGroupBytes.
const (
	holdBytes      = 64 << 10
	fullGroupBytes = 1 << 20
)

// maybeHold holds the queue when the group that has just returned found at
// least holdBytes queued behind it: calls keep coming (no closed loop of a
// few callers waiting on the group would have queued that much), so the
// queue waits for the linger since that group was sent, or until calls
// stop coming for half of it, or until it carries fullGroupBytes. p.mu is
// held.
func (p *Producer) maybeHold() {
	if p.linger <= 0 || p.queued < holdBytes || p.queued >= fullGroupBytes {
		return
	}
	now := time.Now()
	wait := p.lastSent.Add(p.linger).Sub(now)
	if wait <= 0 {
		return
	}
	p.hold, p.lastArrival = true, now
	p.armed = true
	p.forced.Reset(min(wait, p.linger/2))
}

// lingered sends the queue when it has waited the linger for the group in
// flight (the timer p.forced).
func (p *Producer) lingered() { p.sendQueue(false) }

// sendQueue sends the queue as a group even while one is in flight: at the
// linger, or (flush) at once, even when it is held.
func (p *Producer) sendQueue(flush bool) {
	p.mu.Lock()
	p.armed = false
	if p.hold && !flush {
		// Held: go at the linger since the last group was sent, or once
		// calls have stopped coming for half of it.
		now := time.Now()
		due := p.lastSent.Add(p.linger)
		if idle := p.lastArrival.Add(p.linger / 2); idle.Before(due) {
			due = idle
		}
		if now.Before(due) {
			p.armed = true
			p.forced.Reset(due.Sub(now))
			p.mu.Unlock()
			return
		}
	}
	g, turn := p.takeLocked(true)
	p.mu.Unlock()
	if g != nil {
		p.dispatch(group{g, turn})
	}
}

// dispatch hands g to an idle sender, or starts one.
func (p *Producer) dispatch(g group) {
	select {
	case p.idle <- g:
	default:
		go p.sender(g)
	}
}

// senderIdle is how long a sender goroutine waits for another group before
// it exits.
const senderIdle = 10 * time.Second

// sender sends groups until it has waited senderIdle for one, or Close.
// Senders outlive their group: kgo's produce path is deep, and a fresh
// goroutine per call paid for growing its stack every time (8% of a
// one-record call's CPU).
func (p *Producer) sender(g group) {
	t := time.NewTimer(senderIdle)
	defer t.Stop()
	var ptrs []*kgo.Record
	var synced []*Call // the group's calls it holds until ProduceSync returns
	mark := &turnMark{Context: context.Background(), p: p}
	var sentinel kgo.Record
	for {
		for g.calls != nil {
			mark.turn = g.turn
			sentinel = kgo.Record{Context: mark}
			p.waitTurn(g.turn)
			for _, c := range g.calls {
				if c.b.Linger {
					// kgo may hold these in its linger; the call's last
					// promise gives the group's hold back.
					c.held.Store(int32(len(c.b.Records)))
					for i := range c.b.Records {
						p.cl.Produce(context.Background(), &c.b.Records[i], p.release)
					}
					continue
				}
				for i := range c.b.Records {
					ptrs = append(ptrs, &c.b.Records[i])
				}
				synced = append(synced, c)
			}
			ptrs = append(ptrs, &sentinel)
			// Every record carries its call as Context; kgo ends the
			// linger of the partitions written to once all are
			// buffered, and returns when kgo has let go of every record.
			p.cl.ProduceSync(context.Background(), ptrs...)
			clear(ptrs)
			ptrs = ptrs[:0]
			for _, c := range synced {
				PutBatch(c.b) // the group's hold: kgo has let go of the records
			}
			clear(synced)
			synced = synced[:0]
			g = p.next(g.calls)
		}
		t.Reset(senderIdle)
		select {
		case g = <-p.idle:
		case <-t.C:
			return
		case <-p.closed:
			return
		}
	}
}

// released is the promise of a lingering call's records: the last one
// gives the group's hold on the batch back (kgo touches a record no more
// once its promise has run).
func (p *Producer) released(r *kgo.Record, _ error) {
	c := r.Context.(*callCtx).c
	if c.held.Add(-1) == 0 {
		PutBatch(c.b)
	}
}

// next ends the group done, keeping its slice for a later queue, and
// returns the queue as the next group if any.
func (p *Producer) next(done []*Call) group {
	clear(done)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open--
	if p.spare == nil {
		p.spare = done[:0]
	}
	p.maybeHold()
	g, turn := p.takeLocked(false)
	return group{g, turn}
}

package produce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/kafkaerr"
)

// recordOverhead is what one record costs the produce budget beyond its
// key, value and header bytes: its kgo.Record (160 bytes), its place in
// the batch (error and pointer) and kgo's bookkeeping of it (promise,
// batch entry).
const recordOverhead = 256

// Errors of Produce.
var (
	// ErrOverloaded means the produce budget stayed full for
	// producer.max.block.ms: nothing of the batch was sent.
	ErrOverloaded = errors.New("produce budget (producer.buffer.memory) full for producer.max.block.ms")
	// ErrNotAcknowledged is the per-record error of records whose outcome
	// kgo had not reported by producer.delivery.timeout.ms: Kafka may still
	// write them (as with the Java producer's delivery timeout), but they
	// were never acknowledged. It wraps context.DeadlineExceeded.
	ErrNotAcknowledged = fmt.Errorf("no acknowledgement within producer.delivery.timeout.ms: %w", context.DeadlineExceeded)
	// ErrPartitionNotFound is the per-record error of a record sent to a
	// partition its topic does not have.
	ErrPartitionNotFound = errors.New("partition not found")
)

// Options configure a Producer.
type Options struct {
	// BufferBytes bounds the bytes of records accepted but not yet
	// acknowledged, across all calls (producer.buffer.memory).
	BufferBytes int64
	// Budget, when set, is the budget of BufferBytes shared with other
	// Producers (one per caller when krest acts in Kafka as each caller).
	Budget *pool.Budget
	// MaxBlock is how long Produce waits for room in the budget
	// (producer.max.block.ms).
	MaxBlock time.Duration
	// DeliveryTimeout bounds how long Produce waits for Kafka
	// (producer.delivery.timeout.ms).
	DeliveryTimeout time.Duration
}

// Producer sends batches through one shared client. A batch's records are
// admitted to the produce budget all together or not at all, produced
// concurrently, and Produce returns once the broker has acknowledged or
// failed every one of them. It is safe for concurrent use.
type Producer struct {
	cl        *kgo.Client
	auth      *kafkaerr.Watch
	abandon   chan struct{} // closed by Abandon
	once      sync.Once
	closeOnce sync.Once
	budget    *pool.Budget
	maxBlock  time.Duration
	timeout   time.Duration
	linger    time.Duration // producer.linger.ms: the longest a call waits for the group before it
	idle      chan group    // received from by senders waiting for work
	closed    chan struct{} // closed by Close: idle senders exit

	mu          sync.Mutex
	queue       []*Call     // calls waiting for the group in flight
	spare       []*Call     // an empty slice for the next queue
	open        int         // groups sent and not yet returned
	queued      int64       // bytes of the records of the calls in queue
	hold        bool        // the queue waits for more (maybeHold)
	lastSent    time.Time   // when the last group was sent
	lastArrival time.Time   // when the last call came, while the queue is held
	armed       bool        // forced will send the queue
	forced      *time.Timer // sends the queue after the linger
	taken       uint64      // turns given to groups so far
	fed         uint64      // the turn of the group whose records kgo is given now
	turns       sync.Cond   // on mu: fed moved on

	release func(*kgo.Record, error) // released, as a promise
}

// New builds the shared producer client from the franz-go options kopts
// (seeds, security, producer settings) and krest's partitioner, which
// honours a record's requested partition. It does not contact Kafka yet.
func New(kopts []kgo.Opt, o Options) (*Producer, error) {
	budget := o.Budget
	if budget == nil {
		budget = pool.NewBudget(o.BufferBytes)
	}
	auth := kafkaerr.NewWatch()
	kopts = append(kopts,
		kgo.WithHooks(auth, callHook{budget}),
		kgo.RecordPartitioner(newPartitioner()),
		// The produce budget bounds buffered records; kgo's limits sit
		// above it so that Produce never blocks inside kgo.
		kgo.MaxBufferedBytes(int(min(2*o.BufferBytes, 1<<40))),
		kgo.MaxBufferedRecords(int(min(o.BufferBytes/recordOverhead+1, 1<<30))),
	)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer client: %w", err)
	}
	linger, _ := cl.OptValue(kgo.ProducerLinger).(time.Duration)
	p := &Producer{cl: cl, auth: auth, abandon: make(chan struct{}), budget: budget, maxBlock: o.MaxBlock, timeout: o.DeliveryTimeout,
		linger: linger, idle: make(chan group), closed: make(chan struct{})}
	p.turns.L = &p.mu
	p.release = p.released
	p.forced = time.AfterFunc(time.Hour, p.lingered)
	p.forced.Stop()
	return p, nil
}

// Budget returns the producer's budget, to share with other Producers.
func (p *Producer) Budget() *pool.Budget { return p.budget }

// Abandon makes every Produce call, running or to come, stop waiting for
// Kafka at once, as at its delivery deadline: records not yet acknowledged
// get ErrNotAcknowledged. Shutdown calls it so that requests are answered
// before the process ends. kgo keeps the records until Flush or Close.
func (p *Producer) Abandon() { p.once.Do(func() { close(p.abandon) }) }

// Buffered returns the number of records kgo holds that Kafka has not
// acknowledged yet.
func (p *Producer) Buffered() int64 { return p.cl.BufferedProduceRecords() }

// BudgetUsed returns the bytes of records admitted and not yet released.
func (p *Producer) BudgetUsed() int64 { return p.budget.Used() }

// Flush sends the calls queued behind a group at once and waits until
// every record is acknowledged or failed, or ctx ends.
func (p *Producer) Flush(ctx context.Context) error {
	for {
		p.sendQueue(true)
		if err := p.cl.Flush(ctx); err != nil {
			return err
		}
		p.mu.Lock()
		idle := p.open == 0 && len(p.queue) == 0
		p.mu.Unlock()
		if idle {
			return nil
		}
		// A group is on its way into kgo, or a call came in meanwhile.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// Close closes the client; records still buffered fail.
func (p *Producer) Close() {
	p.cl.Close()
	p.closeOnce.Do(func() {
		p.forced.Stop()
		close(p.closed)
	})
}

// deliveryGrace is how long past the delivery deadline Wait waits for kgo
// to report records it fails at the deadline itself, before it gives up on
// the rest.
const deliveryGrace = 50 * time.Millisecond

// Produce sends b's sealed records and waits for all of them: Start, then
// Wait. When the budget has no room within MaxBlock it returns
// ErrOverloaded and sends nothing; otherwise b.Errs[i] receives record i's
// failure (nil on success; b.Records[i].Partition and Offset are then set).
func (p *Producer) Produce(ctx context.Context, b *Batch) error {
	c, err := p.Start(ctx, b)
	if err != nil {
		return err
	}
	c.Wait()
	return nil
}

// Start admits b's sealed records to the produce budget, all of them or
// none (ErrOverloaded when the budget has no room within MaxBlock), and
// hands them to kgo without waiting: the returned Call's Wait waits for
// them. Callers that answer records in input order (v3's streaming
// produce) start one call per read of the connection and wait for each in
// turn. ctx is the parent of the delivery deadline, which starts now; it
// must not be a request context that dies with its handler's connection.
// Wait must be called once before b is handed back with PutBatch.
func (p *Producer) Start(ctx context.Context, b *Batch) (*Call, error) {
	c := &b.call
	recs := b.Records
	if len(recs) == 0 {
		return c, nil // c.p is nil: Wait has nothing to wait for
	}
	var cost int64
	for i := range recs {
		cost += recordCost(&recs[i])
	}
	if !p.budget.Acquire(cost, p.maxBlock) {
		return nil, ErrOverloaded
	}

	// The deadline is a context, not kgo's RecordDeliveryTimeout, because
	// kgo measures that from each record's Timestamp, and clients may send
	// timestamps from the past. kgo lets the first record of a batch decide
	// for the batch; batches fill in arrival order, so a record never fails
	// before its own call's deadline by more than the few milliseconds
	// between calls.
	dctx, cancel := context.WithTimeout(ctx, p.timeout)
	c.p, c.parent, c.ctx = p, ctx, dctx
	c.cancel, c.b, c.cost = cancel, b, cost
	c.authFailed = p.auth.Failed()
	rctx := &callCtx{dctx, c}
	c.left.Store(int32(len(recs)))
	if c.done == nil {
		c.done = make(chan struct{}, 1)
	}
	b.kerrs = growLen(b.kerrs, len(recs))
	b.want = growLen(b.want, len(recs))
	// A record without a timestamp gets the call's: the moment Kafka's
	// own producer would give it (send), read once rather than by kgo for
	// each record (1.6% of krest's CPU in bench row 4).
	now := time.Now()
	for i := range recs {
		recs[i].Context = rctx
		if recs[i].Timestamp.IsZero() {
			recs[i].Timestamp = now
		}
		b.want[i] = recs[i].Partition
	}
	b.refs.Store(2) // this caller until PutBatch, and the group until kgo lets go
	p.enqueue(c)
	return c, nil
}

// Ready reports whether every record of c has its outcome, so that Wait
// returns at once.
func (c *Call) Ready() bool { return c.p == nil || c.left.Load() == 0 }

// Wait waits until Kafka has acknowledged or failed every record of the
// call, for at most the delivery timeout since Start, and fills in the
// batch's Errs.
//
// kgo cannot fail a record whose produce request is in flight (an
// idempotent producer must learn the outcome), so a broker that stops
// answering would hold the call forever. At the deadline, Wait therefore
// stops waiting: every record gets ErrNotAcknowledged, and the batch is
// recycled only once kgo has let go of its records (see PutBatch); the
// budget is released only then too, so a dead broker turns new calls into
// ErrOverloaded instead of growing memory. A failed login to Kafka fails
// the call's records not yet sent at once, with the login's error.
func (c *Call) Wait() {
	p, b := c.p, c.b
	if p == nil {
		return
	}
	// No timer until the deadline has passed: one-record calls are most
	// of a busy proxy's, and a timer each cost them an allocation.
	deadline, _ := c.ctx.Deadline()
	ended := c.ctx.Done()
	var expired <-chan time.Time // the grace after the deadline, once it passed
	authFailed := c.authFailed
	var authErr error
	resent := false
	for {
		select {
		case <-c.done:
			if !resent && authErr == nil && time.Until(deadline) > 0 && p.recreated(b) {
				// The topic was deleted and created again behind kgo's
				// back: kgo fails it until it is purged. Purge it, and
				// send the records it failed once more, within the same
				// deadline.
				resent = true
				if rctx, ok := p.resend(c.parent, deadline, b); ok {
					ended, expired = rctx.Done(), nil
					continue
				}
			}
			for i, err := range b.kerrs {
				if err != nil {
					b.Errs[i] = recordError(err, authErr)
				}
			}
			return
		case <-authFailed:
			// kgo retries a refused connection until the deadline where
			// Java gives up at once. Records not yet sent fail now (kgo
			// fails them when their context ends) with the refusal; any
			// in flight still get their outcome.
			authFailed, authErr = nil, p.auth.Err()
			if authErr != nil {
				c.cancel()
			}
		case <-ended:
			// The deadline passed, or the authentication failure or the
			// parent ended it early: kgo fails what it has not sent, and
			// records in flight may still be answered until the deadline.
			// Wait for its reports until deliveryGrace past the deadline.
			ended = nil
			if c.left.Load() == 0 {
				continue // the hook ended it: every record is in, done follows
			}
			expired = time.After(time.Until(deadline) + deliveryGrace) // collected unfired if done comes first
		case <-expired:
			for i := range b.Errs {
				b.Errs[i] = ErrNotAcknowledged
			}
			return
		case <-p.abandon:
			for i := range b.Errs {
				b.Errs[i] = ErrNotAcknowledged
			}
			return
		}
	}
}

// recreated reports whether any record of b failed because its topic's
// id changed (the topic was deleted and created again), purging those
// topics from the client: kgo keeps a topic's first id, on purpose, until
// then.
func (p *Producer) recreated(b *Batch) bool {
	var last string
	for i, err := range b.kerrs {
		if err != nil && errors.Is(err, kerr.UnknownTopicID) {
			if t := b.Records[i].Topic; t != last {
				p.cl.PurgeTopicsFromClient(t)
				last = t
			}
		}
	}
	return last != ""
}

// PurgeTopic makes the producer forget topic (its id, partitions and
// buffered records, which fail): krest calls it when it deletes a topic,
// so that a topic created again under the name is produced to at once.
func (p *Producer) PurgeTopic(topic string) { p.cl.PurgeTopicsFromClient(topic) }

// resend sends again, under a fresh context with the call's deadline, the
// records of b that failed because their topic was created again, once
// the produce budget holds them again. The resend holds b until kgo has
// let go of them, as a group does. It returns the records' context, or
// false when the budget had no room (the failures then stand).
func (p *Producer) resend(parent context.Context, deadline time.Time, b *Batch) (context.Context, bool) {
	c := &b.call
	for b.Linger && c.held.Load() > 0 {
		// kgo runs a record's promise just after reporting it: wait
		// until it has let go of every record before changing them.
		time.Sleep(100 * time.Microsecond)
	}
	var cost int64
	n := 0
	for i, err := range b.kerrs {
		if err != nil && errors.Is(err, kerr.UnknownTopicID) {
			cost += recordCost(&b.Records[i])
			n++
		}
	}
	if !p.budget.Acquire(cost, min(p.maxBlock, time.Until(deadline))) {
		return nil, false
	}
	dctx, cancel := context.WithDeadline(parent, deadline)
	rctx := &callCtx{dctx, c}
	c.cancel, c.cost = cancel, cost
	c.left.Store(int32(n))
	ptrs := make([]*kgo.Record, 0, n)
	for i, err := range b.kerrs {
		if err != nil && errors.Is(err, kerr.UnknownTopicID) {
			b.kerrs[i] = nil
			r := &b.Records[i]
			r.Context, r.Partition = rctx, b.want[i]
			ptrs = append(ptrs, r)
		}
	}
	b.refs.Add(1) // the resend's hold, until kgo lets go
	go func() {
		p.cl.ProduceSync(context.Background(), ptrs...)
		PutBatch(b)
	}()
	return dctx, true
}

// recordError names kgo's failure for a partition the topic lacks, and
// the authentication failure behind records failed by its cancellation.
func recordError(err, authErr error) error {
	if authErr != nil && errors.Is(err, context.Canceled) {
		return authErr
	}
	if strings.HasPrefix(err.Error(), "invalid record partitioning choice") {
		return fmt.Errorf("%w: %v", ErrPartitionNotFound, err)
	}
	return err
}

// recordIndex returns the index of r in recs, or -1. It runs on kgo's
// goroutine for every failed record, so it is arithmetic, not a scan (a
// 100,000-record request whose topic is missing would scan for seconds).
func recordIndex(recs []kgo.Record, r *kgo.Record) int {
	if len(recs) == 0 {
		return -1
	}
	size := unsafe.Sizeof(recs[0])
	off := uintptr(unsafe.Pointer(r)) - uintptr(unsafe.Pointer(&recs[0]))
	if off%size != 0 || off/size >= uintptr(len(recs)) {
		return -1
	}
	return int(off / size)
}

func recordCost(r *kgo.Record) int64 {
	n := int64(len(r.Key) + len(r.Value) + recordOverhead)
	for _, h := range r.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}

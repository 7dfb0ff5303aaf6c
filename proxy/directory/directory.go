// Package directory keeps krest's map of consumer instances to the krest
// process that owns them, in Kafka: a compacted topic that every krest
// writes on create (a record keyed by group and instance, naming the
// owner's id and URL) and tombstones on delete or expiry, and tails from
// its start into memory. It needs no service beside Kafka; a krest reads
// it whole in the background after it starts (a Kafka that is down does
// not hold the start). Every entry is signed with the secret the krests of
// a deployment share (configured, never stored in Kafka): an entry that
// does not verify, written by anyone else with access to the topic, is
// ignored, so nobody can point an instance at a URL of their choosing. It
// knows nothing of HTTP.
package directory

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Owner is the krest process that holds a consumer instance.
type Owner struct {
	ID          string `json:"owner"`
	URL         string `json:"url"`         // where peers reach it
	Incarnation string `json:"incarnation"` // changes at every start
}

// entry is an Owner as the topic holds it, signed under its key.
type entry struct {
	Owner
	Sig string `json:"sig"`
}

// sign is the signature of owner o under key k: HMAC-SHA-256 of the key
// and the owner's fields, NUL-separated.
func sign(secret []byte, k string, o Owner) string {
	m := hmac.New(sha256.New, secret)
	for _, p := range []string{"krest-directory-v1", k, o.ID, o.URL, o.Incarnation} {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Directory is the in-memory view of the directory topic, kept current by
// a tail. It is safe for concurrent use.
type Directory struct {
	cl     *kgo.Client
	topic  string
	self   Owner
	secret []byte // signs and verifies entries
	log    *slog.Logger

	mu      sync.RWMutex
	owners  map[string]Owner // group\x00instance → owner
	applied map[int32]int64  // the next offset to apply, per partition
	err     error            // why the last attempt to open failed
	forged  atomic.Int64     // entries that did not verify, ignored

	ready   atomic.Bool
	readyCh chan struct{} // closed when ready
	ctx     context.Context
	cancel  context.CancelFunc // stops opening and tailing
	done    chan struct{}      // closed when run returns
	pending sync.WaitGroup     // ReleaseAsync writes
}

// ErrNotReady is a directory that could not read its topic.
var ErrNotReady = errors.New("the consumer directory could not be read from Kafka")

// New returns a directory that opens in the background, so that a Kafka
// that is down does not hold krest's start: it creates the topic if needed
// (compacted), reads it to its end, drops the entries a previous run of
// self left behind, makes sure a shared secret exists, and keeps tailing,
// retrying until it succeeds or Close. Until then it is not Ready: lookups
// miss, claims are skipped and no forwarded request verifies, as when
// forwarding is off. onReady, if set, runs once it is ready: the owner
// claims there what it created meanwhile. opts are the client settings
// (seeds, security); secret, shared by every krest of the deployment, signs
// and verifies the entries.
func New(opts []kgo.Opt, topic string, self Owner, secret []byte, log *slog.Logger, onReady func(*Directory)) (*Directory, error) {
	if len(secret) == 0 {
		return nil, errors.New("the consumer directory needs the peers' shared secret")
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AllowAutoTopicCreation(), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))...)
	if err != nil {
		return nil, err
	}
	d := &Directory{cl: cl, topic: topic, self: self, secret: secret, log: log, owners: map[string]Owner{}, applied: map[int32]int64{},
		done: make(chan struct{}), readyCh: make(chan struct{})}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	go d.run(onReady)
	return d, nil
}

// Open is New that waits, within ctx, until the directory is ready.
func Open(ctx context.Context, opts []kgo.Opt, topic string, self Owner, secret []byte, log *slog.Logger) (*Directory, error) {
	d, err := New(opts, topic, self, secret, log, nil)
	if err != nil {
		return nil, err
	}
	if err := d.WaitReady(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Ready reports whether the directory has read its topic.
func (d *Directory) Ready() bool { return d.ready.Load() }

// WaitReady waits, within ctx, until the directory is ready.
func (d *Directory) WaitReady(ctx context.Context) error {
	select {
	case <-d.readyCh:
		return nil
	case <-ctx.Done():
		why := d.lastErr()
		if why == nil {
			why = ctx.Err() // still opening
		}
		return fmt.Errorf("%w: %v", ErrNotReady, why)
	}
}

// lastErr is why the last attempt to open failed (nil: none failed).
func (d *Directory) lastErr() error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.err
}

// run opens the directory, retrying with a growing pause, then tails it.
func (d *Directory) run(onReady func(*Directory)) {
	defer close(d.done)
	pause := time.Second
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
		err := d.open(ctx)
		cancel()
		if err == nil {
			break
		}
		if d.ctx.Err() != nil {
			return
		}
		d.mu.Lock()
		d.err = err
		d.mu.Unlock()
		if attempt == 0 {
			d.log.Warn("consumer forwarding waits for the consumer directory: until it is read, requests for an instance must reach the krest that created it", "topic", d.topic, "error", err)
		}
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
	d.ready.Store(true)
	close(d.readyCh)
	if d.lastErr() != nil {
		d.log.Info("consumer forwarding is on: the consumer directory is read", "topic", d.topic)
	}
	if onReady != nil {
		onReady(d)
	}
	for {
		fs := d.cl.PollFetches(d.ctx)
		if fs.IsClientClosed() || d.ctx.Err() != nil {
			return
		}
		fs.EachRecord(d.apply)
	}
}

func (d *Directory) open(ctx context.Context) error {
	if err := d.create(ctx); err != nil {
		return err
	}
	if err := d.catchUp(ctx); err != nil {
		return err
	}
	// Entries of an earlier run of this krest point at instances that
	// died with it.
	for key, o := range d.snapshot() {
		if o.ID == d.self.ID && o.Incarnation != d.self.Incarnation {
			if err := d.write(ctx, key, nil); err != nil {
				return fmt.Errorf("forgetting an instance of an earlier run: %w", err)
			}
			d.mu.Lock()
			delete(d.owners, key)
			d.mu.Unlock()
		}
	}
	return nil
}

// create makes the directory topic, compacted, unless it exists.
func (d *Directory) create(ctx context.Context) error {
	compact := "compact"
	resp, err := kadm.NewClient(d.cl).CreateTopic(ctx, 1, -1, map[string]*string{"cleanup.policy": &compact}, d.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("consumer directory topic %s: %w", d.topic, err)
	}
	return nil
}

// catchUp reads the topic until its end as of now.
func (d *Directory) catchUp(ctx context.Context) error {
	ends, err := kadm.NewClient(d.cl).ListEndOffsets(ctx, d.topic)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotReady, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	for len(want) > 0 {
		fs := d.cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrNotReady, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			d.apply(r)
			if r.Offset+1 >= want[r.Partition] {
				delete(want, r.Partition)
			}
		})
	}
	return nil
}

func (d *Directory) apply(r *kgo.Record) {
	key := string(r.Key)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.applied[r.Partition] = r.Offset + 1
	if len(r.Value) == 0 { // a tombstone
		delete(d.owners, key)
		return
	}
	var e entry
	if json.Unmarshal(r.Value, &e) != nil || !hmac.Equal([]byte(e.Sig), []byte(sign(d.secret, key, e.Owner))) {
		// Not written by a krest of this deployment (or by one of an
		// earlier krest version, whose secret lived in the topic).
		if d.forged.Add(1) == 1 {
			d.log.Warn("consumer directory: ignoring entries not signed with consumer.forwarding.secret (written by something other than a krest sharing this secret)", "topic", d.topic, "partition", r.Partition, "offset", r.Offset)
		}
		return
	}
	d.owners[key] = e.Owner
}

// Forged is how many entries the directory ignored because they did not
// verify.
func (d *Directory) Forged() int64 { return d.forged.Load() }

func (d *Directory) snapshot() map[string]Owner {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make(map[string]Owner, len(d.owners))
	for k, v := range d.owners {
		out[k] = v
	}
	return out
}

func key(group, instance string) string { return group + "\x00" + instance }

// Lookup returns the owner of an instance.
func (d *Directory) Lookup(group, instance string) (Owner, bool) {
	if !d.Ready() {
		return Owner{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	o, ok := d.owners[key(group, instance)]
	return o, ok
}

// LookupFresh is Lookup that, on a miss, first waits (within ctx) until
// the view holds everything the topic held when it was called: a claim
// another krest made before this request is then seen.
func (d *Directory) LookupFresh(ctx context.Context, group, instance string) (Owner, bool) {
	if o, ok := d.Lookup(group, instance); ok || !d.Ready() {
		return o, ok
	}
	ends, err := kadm.NewClient(d.cl).ListEndOffsets(ctx, d.topic)
	if err != nil {
		return Owner{}, false
	}
	for {
		behind := false
		d.mu.RLock()
		ends.Each(func(o kadm.ListedOffset) {
			if o.Err == nil && d.applied[o.Partition] < o.Offset {
				behind = true
			}
		})
		d.mu.RUnlock()
		if !behind {
			return d.Lookup(group, instance)
		}
		select {
		case <-ctx.Done():
			return d.Lookup(group, instance)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Self is this krest as an owner.
func (d *Directory) Self() Owner { return d.self }

// Claim records that this krest owns the instance, once Kafka has it. It
// does nothing until the directory is ready (see New's onReady).
func (d *Directory) Claim(ctx context.Context, group, instance string) error {
	if !d.Ready() {
		return nil
	}
	k := key(group, instance)
	v, _ := json.Marshal(entry{Owner: d.self, Sig: sign(d.secret, k, d.self)})
	if err := d.write(ctx, k, v); err != nil {
		return err
	}
	d.mu.Lock()
	d.owners[key(group, instance)] = d.self
	d.mu.Unlock()
	return nil
}

// Release forgets the instance (a tombstone), when owner still holds it in
// the directory. A krest calls it for its own instances, and for another's
// that no longer answers.
func (d *Directory) Release(ctx context.Context, group, instance string, owner Owner) {
	d.mu.Lock()
	cur, ok := d.owners[key(group, instance)]
	if ok && cur == owner {
		delete(d.owners, key(group, instance))
	}
	d.mu.Unlock()
	if ok && cur == owner {
		if err := d.write(ctx, key(group, instance), nil); err != nil {
			d.log.Warn("consumer directory: could not forget an instance", "group", group, "instance", instance, "error", err)
		}
	}
}

// ReleaseAsync is Release without waiting for Kafka; Close waits for it.
func (d *Directory) ReleaseAsync(group, instance string, owner Owner) {
	d.pending.Add(1)
	go func() {
		defer d.pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Release(ctx, group, instance, owner)
	}()
}

// write produces one directory record and waits for it within ctx (10 s
// at most). franz-go cannot fail a record whose request is in flight, so
// the wait, not the produce, is what ends at the deadline: a broker that
// holds the request does not hold krest.
func (d *Directory) write(ctx context.Context, key string, value []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	d.cl.Produce(ctx, &kgo.Record{Topic: d.topic, Key: []byte(key), Value: value}, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops opening and tailing.
func (d *Directory) Close() {
	d.pending.Wait()
	d.cancel()
	d.cl.Close()
	<-d.done
}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// Row 12: end-to-end latency under load. Rows 5 and 7 pace 1,000 records/s,
// which says little about a proxy under real traffic; this row paces half of
// the rate row 1 measured for krest in the same run, with row 1's 1 KiB
// records, and compares krest's end-to-end p99 and p99.9 with franz-go's at
// the same rate.
//
// The Kafka floor (bench floor -brokers) then carries the same records
// with the same generator, HTTP clients and reader: its produce answers on
// the ack of each request's body produced as one record, and its reads
// hand those bodies back as they are. Its p99 is what a proxy on this
// stack gets at all, with two HTTP hops more than franz-go's and none of
// krest's work per record; krest is held to it as well as to franz-go.
//
// Both sides are driven by one generator: every millisecond, the records
// due by then (rate × elapsed, less those already made) are made at once,
// each stamped with that moment. franz-go produces each with Produce and
// lingers 5 ms as krest's producer does; krest gets each millisecond's
// records as a binary produce request, sent at once over one of 16
// connections. When all 16 are busy the records wait (never dropped; the
// wait is in the figures), and the next connection to come free sends all
// that wait, up to row 1's 500 records, in one request: franz-go's
// producer, likewise, puts whatever came while its request was in flight
// into the next. krest's records are read by one polling consumer
// instance, franz-go's by one group consumer. The first second of each is
// left out (connections and fetch sessions warming up; a quarter of the
// run when that is shorter than 4 s).

// maxLoadedBatch is the most records row 12 sends krest in one request
// (row 1's request).
const maxLoadedBatch = 500

// stampedSize is the records' size, row 1's.
const stampedSize = 1024

// stampLen is the stamp's length at the head of each value: 8 bytes of
// Unix nanoseconds and a pad byte, so that its base64 (12 characters)
// joins the rest's, encoded once, without re-encoding the whole value.
const stampLen = 9

// row1Krest is row 1's krest rate in this run, which row 12 paces half of.
var row1Krest float64

// loadedRateFlag (-loaded-rate) sets row 12's pace instead.
var loadedRateFlag int

// loadedFranzFirstFlag (-loaded-franz-first) runs row 12's franz-go side
// before krest's (an experiment: does the side that goes first pay for it?).
var loadedFranzFirstFlag bool

// loadedStreamFlag (-loaded-stream) has row 12's krest side read through
// an SSE stream instead of polls.
var loadedStreamFlag bool

// loadedRate is row 12's pace: half of row 1's krest rate, or, when row 1
// did not run, half of what row 1 typically measures at this scale.
func loadedRate(s scale) int {
	if loadedRateFlag > 0 {
		return loadedRateFlag
	}
	if row1Krest > 0 {
		return int(row1Krest / 2)
	}
	switch s.name {
	case "full":
		return 80_000
	case "quick":
		return 40_000
	}
	return 5_000
}

// rowLoadedLatency is row 12: krest and franz-go at the same loaded rate.
func rowLoadedLatency(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	rate := loadedRate(cfg.scale)
	how := "half row 1"
	if loadedRateFlag > 0 {
		how = "-loaded-rate"
	}
	r := row{Name: fmt.Sprintf("12 e2e latency @ %d rec/s (%s), 1 KiB", rate, how)}
	krestSide := func() error {
		topic, err := createTopic(adm, "bench-loaded-krest", 4)
		if err != nil {
			return err
		}
		reqs0 := krestRequests(k.url)
		lat, err := measure(k, &r, stampedSize, whole(func() (loadResult, error) {
			return krestLoadedLatency("krest", k.url, topic, rate, cfg.scale.latencyDuration)
		}))
		if err != nil {
			return err
		}
		made := krestRequests(k.url).since(reqs0)
		fmt.Fprintf(os.Stderr, "  krest made %d producer and %d consumer requests to the broker (%d and %d over %v)\n", made.all[0], made.all[1], made.slow[0], made.slow[1], slowRequest)
		r.Krest = latencyMetric(lat.latency, cfg.scale.latencyDuration-warmup(cfg.scale.latencyDuration))
		r.Krest.Machine = lat.machine
		return nil
	}
	franzSide := func() error {
		ft, err := createTopic(adm, "bench-loaded-franz", 4)
		if err != nil {
			return err
		}
		// franz-go runs in the bench process: its load generator CPU column is
		// franz-go's client and generator, as krest's is its HTTP clients and
		// generator.
		before := snapshot()
		fp0, ff0 := franzRequests.produce.Load(), franzRequests.fetch.Load()
		fsp0, fsf0 := franzRequests.slowProduce.Load(), franzRequests.slowFetch.Load()
		flat, err := franzLoadedLatency(cfg.brokers, ft, rate, cfg.scale.latencyDuration)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  franz-go made %d produce and %d fetch requests to the broker (%d and %d over %v)\n", franzRequests.produce.Load()-fp0, franzRequests.fetch.Load()-ff0,
			franzRequests.slowProduce.Load()-fsp0, franzRequests.slowFetch.Load()-fsf0, slowRequest)
		m := latencyMetric(flat, cfg.scale.latencyDuration-warmup(cfg.scale.latencyDuration))
		before.spent(snapshot(), float64(rate)*cfg.scale.latencyDuration.Seconds()*stampedSize, &m.Machine)
		r.Franz = &m
		return nil
	}
	floorSide := func() error {
		topic, err := createTopic(adm, "bench-loaded-floor", 4)
		if err != nil {
			return err
		}
		f, err := startFloor("-brokers", cfg.brokers, "-topic", topic)
		if err != nil {
			return err
		}
		var fr row
		lat, err := measure(f, &fr, stampedSize, whole(func() (loadResult, error) {
			return krestLoadedLatency("Kafka floor", f.url, topic, rate, cfg.scale.latencyDuration)
		}))
		f.stop()
		if err != nil {
			return err
		}
		m := latencyMetric(lat.latency, cfg.scale.latencyDuration-warmup(cfg.scale.latencyDuration))
		m.Machine = lat.machine
		m.CPUSecPerGB = fr.CPUSecPerGB
		r.KafkaFloor = &m
		return nil
	}
	sides := []func() error{krestSide, franzSide, floorSide}
	if loadedFranzFirstFlag {
		sides[0], sides[1] = franzSide, krestSide
	}
	for _, side := range sides {
		if err := side(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// warmup is how much of a run of d the percentiles leave out.
func warmup(d time.Duration) time.Duration { return min(time.Second, d/4) }

// generate calls emit every millisecond for d with the records due by then
// at rate and the moment they are made at (their stamp).
func generate(rate int, d time.Duration, emit func(n int, at time.Time)) int64 {
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var made int64
	for now := range tick.C {
		el := now.Sub(start)
		if el > d {
			break
		}
		due := int64(el.Seconds() * float64(rate))
		if n := due - made; n > 0 {
			emit(int(n), now)
			made = due
		}
	}
	return made
}

// stampAt writes at into a value's stamp.
func stampAt(dst []byte, at time.Time) {
	binary.BigEndian.PutUint64(dst, uint64(at.UnixNano()))
	dst[8] = 0
}

// latencyWindow collects the latencies of records stamped from its start
// on, under a lock; seen counts every record received.
type latencyWindow struct {
	from int64
	mu   sync.Mutex
	lat  latencies
	seen atomic.Int64
	// acks, when set, maps each stamp to when the request carrying it was
	// answered; sinceAck then collects how long after that the records
	// were read (the read side's share of the latency).
	acks     *sync.Map
	sinceAck latencies
	// polls are the reader's requests that brought records, and polled
	// their bytes (the reader's own, not under mu).
	polls  latencies
	polled int64
}

func (w *latencyWindow) add(stamp []byte, now int64) {
	w.seen.Add(1)
	if len(stamp) < 8 {
		return
	}
	t := int64(binary.BigEndian.Uint64(stamp))
	if t < w.from {
		return
	}
	w.mu.Lock()
	w.lat = append(w.lat, time.Duration(now-t))
	if w.acks != nil {
		if ack, ok := w.acks.Load(t); ok {
			w.sinceAck = append(w.sinceAck, time.Duration(now-ack.(int64)))
		}
	}
	w.mu.Unlock()
}

// await waits until n records have arrived, for up to 30 s.
func (w *latencyWindow) await(who string, n int64) error {
	end := time.Now().Add(30 * time.Second)
	for w.seen.Load() < n {
		if time.Now().After(end) {
			return fmt.Errorf("%s: %d of %d records arrived", who, w.seen.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// krestLoadedLatency produces at rate through krest for d and reads the
// records back through one polling consumer instance (readStamps).
func krestLoadedLatency(who, base, topic string, rate int, d time.Duration) (loadResult, error) {
	// The topic is new: reading it from the start misses nothing, however
	// late the member's join completes.
	inst, err := createInstance(base, fmt.Sprintf("loaded-%d", time.Now().UnixNano()), "c", topic, "")
	if err != nil {
		return loadResult{}, err
	}
	defer httpJSON("DELETE", inst, "")
	httpJSON("GET", inst+"/records?timeout=3000", "") // the member joins before the clock starts
	win := &latencyWindow{from: time.Now().Add(warmup(d)).UnixNano()}
	stop := make(chan struct{})
	readDone := make(chan error, 1)
	go func() {
		if loadedStreamFlag {
			readDone <- streamStamps(inst, win, stop)
			return
		}
		readDone <- readStamps(inst, win, stop)
	}()
	rest := base64.StdEncoding.EncodeToString(payload(stampedSize)[stampLen:])
	// A tick's records, stamped at, wait in works for a free connection.
	type work struct {
		n  int
		at int64 // the records' stamp
	}
	win.acks = new(sync.Map)
	works := make(chan work, 1<<16)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	var reqMu sync.Mutex
	var reqLat latencies // of each produce request
	cl := &fasthttp.Client{MaxConnsPerHost: 16, ReadTimeout: time.Minute}
	url := base + "/topics/" + topic
	for range 16 {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(url)
			req.Header.SetMethod("POST")
			req.Header.SetContentType("application/vnd.kafka.binary.v2+json")
			var mine latencies
			defer func() {
				reqMu.Lock()
				reqLat = append(reqLat, mine...)
				reqMu.Unlock()
			}()
			var body, head []byte
			var batch []work
			var next *work // taken from works, left for the next request
			stamp := make([]byte, stampLen)
			for {
				// A free connection sends what waits, up to row 1's 500
				// records: as franz-go's producer batches the records
				// that came while its request was in flight, so that a
				// slow answer makes the next requests larger, not the
				// queue longer.
				batch = batch[:0]
				if next != nil {
					batch, next = append(batch, *next), nil
				} else if w, ok := <-works; ok {
					batch = append(batch, w)
				} else {
					return
				}
				n := batch[0].n
			more:
				for n < maxLoadedBatch {
					select {
					case w, ok := <-works:
						if !ok {
							break more
						}
						if n+w.n > maxLoadedBatch {
							next = &w
							break more
						}
						batch, n = append(batch, w), n+w.n
					default:
						break more
					}
				}
				body = append(body[:0], `{"records":[`...)
				for i, w := range batch {
					stampAt(stamp, time.Unix(0, w.at))
					head = base64.StdEncoding.AppendEncode(head[:0], stamp)
					for j := range w.n {
						if i > 0 || j > 0 {
							body = append(body, ',')
						}
						body = append(body, `{"value":"`...)
						body = append(body, head...)
						body = append(body, rest...)
						body = append(body, `"}`...)
					}
				}
				body = append(body, `]}`...)
				req.SetBodyRaw(body)
				t0 := time.Now()
				err := cl.Do(req, resp)
				t1 := time.Now()
				mine = append(mine, t1.Sub(t0))
				for _, w := range batch {
					win.acks.Store(w.at, t1.UnixNano())
				}
				if err != nil || resp.StatusCode() != 200 || bytes.Contains(resp.Body(), []byte(`"error_code":5`)) {
					firstErr.CompareAndSwap(nil, fmt.Errorf("produce: %v %d %s", err, resp.StatusCode(), abbreviate(resp.Body())))
				}
			}
		})
	}
	made := generate(rate, d, func(n int, at time.Time) {
		// At most row 1's 500 records a request: a generator that fell
		// behind (its ticks starved of CPU) catches up in several.
		for n > 0 {
			k := min(n, maxLoadedBatch)
			n -= k
			works <- work{k, at.UnixNano()}
		}
	})
	close(works)
	wg.Wait()
	err = win.await(who, made)
	close(stop)
	if rerr := <-readDone; rerr != nil && err == nil {
		err = rerr
	}
	if ferr, _ := firstErr.Load().(error); ferr != nil {
		err = ferr
	}
	fmt.Fprintf(os.Stderr, "  %s loaded latency: %d records at %d/s, %d received; %d produce requests, p50 %v p99 %v max %v\n",
		who, made, rate, win.seen.Load(), len(reqLat), reqLat.pct(0.5), reqLat.pct(0.99), reqLat.pct(1))
	fmt.Fprintf(os.Stderr, "  %s loaded latency from each request's answer to the read: p50 %v p99 %v p99.9 %v max %v\n",
		who, win.sinceAck.pct(0.5), win.sinceAck.pct(0.99), win.sinceAck.pct(0.999), win.sinceAck.pct(1))
	if n := len(win.polls); n > 0 {
		fmt.Fprintf(os.Stderr, "  %s reads: %d polls with records, %.0f KiB each, taking p50 %v p99 %v max %v\n",
			who, n, float64(win.polled)/float64(n)/1024, win.polls.pct(0.5), win.polls.pct(0.99), win.polls.pct(1))
	}
	return loadResult{records: win.seen.Load(), elapsed: d, latency: win.lat}, err
}

// franzLoadedLatency is the same through franz-go: a producer lingering 5
// ms as krest's does and one group consumer.
func franzLoadedLatency(brokers, topic string, rate int, d time.Duration) (latencies, error) {
	prod, cons, err := franzLatencyClients(brokers, topic, "franz-loaded", kgo.NewOffset().AtStart(), 200*time.Millisecond)
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	defer cons.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	win := &latencyWindow{from: time.Now().Add(warmup(d)).UnixNano()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			now := time.Now().UnixNano()
			fs.EachRecord(func(r *kgo.Record) { win.add(r.Value, now) })
		}
	}()
	value := payload(stampedSize)
	var firstErr atomic.Value
	made := generate(rate, d, func(n int, at time.Time) {
		for range n {
			v := make([]byte, stampedSize)
			copy(v[stampLen:], value[stampLen:])
			stampAt(v, at)
			prod.Produce(ctx, &kgo.Record{Value: v}, func(_ *kgo.Record, err error) {
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			})
		}
	})
	err = win.await("franz-go", made)
	cancel()
	<-done
	if ferr, _ := firstErr.Load().(error); ferr != nil {
		err = ferr
	}
	fmt.Fprintf(os.Stderr, "  franz-go loaded latency: %d records at %d/s, %d received\n", made, rate, win.seen.Load())
	return win.lat, err
}

// valueKey precedes each record's value in a binary read.
var valueKey = []byte(`"value":"`)

// addStamps adds the stamps of the records in a binary read's JSON (an
// array of records, or an SSE event's data) to w, received at now.
func addStamps(w *latencyWindow, body []byte, now int64) {
	var stamp [stampLen]byte
	for {
		i := bytes.Index(body, valueKey)
		if i < 0 || len(body) < i+len(valueKey)+12 {
			return
		}
		body = body[i+len(valueKey):]
		n, _ := base64.StdEncoding.Decode(stamp[:], body[:12])
		w.add(stamp[:n], now)
	}
}

// streamStamps reads inst's records into w through a Server-Sent Events
// stream until stop closes.
func streamStamps(inst string, w *latencyWindow, stop chan struct{}) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := sseStreamContext(ctx, inst, func(data []byte) bool {
		addStamps(w, data, time.Now().UnixNano())
		return true
	})
	select {
	case <-stop:
		return nil
	default:
		return fmt.Errorf("stream: %v", err)
	}
}

// slowPoll is how long a poll of row 12 may take before the bench says so.
const slowPoll = 40 * time.Millisecond

// readStamps polls inst's records into w until stop closes. Each poll
// asks for at most 1 MiB (about 700 of these records): a latency-minded
// client keeps each response short, so that no record waits behind a
// long one being rendered and parsed.
func readStamps(inst string, w *latencyWindow, stop chan struct{}) error {
	cl := &fasthttp.Client{ReadTimeout: time.Minute}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(inst + "/records?timeout=200&max_bytes=1048576")
	req.Header.Set("Accept", "application/vnd.kafka.binary.v2+json")
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		t0 := time.Now()
		if err := cl.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			return fmt.Errorf("read: %v %d %s", err, resp.StatusCode(), abbreviate(resp.Body()))
		}
		now := time.Now()
		if len(resp.Body()) > 2 {
			w.polls = append(w.polls, now.Sub(t0))
			w.polled += int64(len(resp.Body()))
		}
		if el := now.Sub(t0); el > slowPoll && len(resp.Body()) > 2 {
			// Not the last, empty one: an answer that took this long
			// held back every record behind it.
			fmt.Fprintf(os.Stderr, "  slow poll at %s: %v, %d bytes\n", now.Format("15:04:05.000"), el.Round(time.Millisecond), len(resp.Body()))
		}
		addStamps(w, resp.Body(), now.UnixNano())
	}
}

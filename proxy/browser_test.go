package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/krest-dev/krest/proxy/testenv"
)

// The browser tests drive a headless Chromium (Debian's package; make test
// installs it) with chromedp. The page, testdata/browser/index.html, comes
// from an httptest server, so krest is another origin to it and every call
// goes through the browser's CORS checks.

// TestBrowserEventSource: a page from another origin reads a v2 consumer
// instance with EventSource (a push read: Accept: text/event-stream) and
// shows, in order, the records produced after the stream opened.
func TestBrowserEventSource(t *testing.T) {
	t.Parallel()
	bin := chromiumPath(t)
	b := realBroker(t)
	page := httptest.NewServer(http.FileServer(http.Dir("testdata/browser")))
	t.Cleanup(page.Close)
	ts := startServer(t, b, map[string]string{"access.control.allow.origin": page.URL})
	topic := createTopic(t, b, 1)
	c := newRESTConsumer(t, ts, "browser-"+topic, `{"name":"i","format":"json","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	stream := ts.url + c.path("/records")

	br := startBrowser(t, bin)
	br.navigate(t, page.URL+"/?stream="+url.QueryEscape(stream))
	// EventSource opens on the response headers, before any record: a
	// stream that holds its headers back until the first batch never opens.
	dom := br.waitDOM(t, 15*time.Second, func(d pageDOM) bool { return d.State == "open" || d.State == "error: readyState 2" })
	if dom.State != "open" {
		t.Fatalf("the EventSource on %s did not open.\n%s\nkrest answers that request with: %s",
			stream, br.report(&dom), probeStream(stream, page.URL))
	}

	if status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json"},
		[]byte(`{"records":[{"value":{"n":1}},{"value":{"n":2}},{"value":{"n":3}}]}`)); status != 200 {
		t.Fatalf("produce: %d %s", status, body)
	}
	dom = br.waitDOM(t, 30*time.Second, func(d pageDOM) bool { return len(d.Records) >= 3 || strings.HasPrefix(d.State, "error") })
	want := []pageRecord{
		{Value: `{"n":1}`, Topic: topic, Partition: "0", Offset: "0"},
		{Value: `{"n":2}`, Topic: topic, Partition: "0", Offset: "1"},
		{Value: `{"n":3}`, Topic: topic, Partition: "0", Offset: "2"},
	}
	if !slices.Equal(dom.Records, want) || len(dom.Errors) > 0 {
		t.Fatalf("the page shows records %v, want %v.\n%s", dom.Records, want, br.report(&dom))
	}
}

// TestBrowserCORSFetch: fetch() from a page of an allowed origin reads
// krest's JSON, its JSON errors, and produces through a preflighted POST;
// a page of another origin is refused by the browser.
func TestBrowserCORSFetch(t *testing.T) {
	t.Parallel()
	bin := chromiumPath(t)
	b := fakeBroker(t)
	files := http.FileServer(http.Dir("testdata/browser"))
	page, other := httptest.NewServer(files), httptest.NewServer(files)
	t.Cleanup(page.Close)
	t.Cleanup(other.Close)
	ts := startServer(t, b, map[string]string{"access.control.allow.origin": page.URL})
	topic := createTopic(t, b, 1)

	br := startBrowser(t, bin)
	br.navigate(t, page.URL+"/")
	accept := map[string]any{"headers": map[string]string{"Accept": kafkaV2}}
	r := br.probe(t, ts.url+"/topics", accept)
	var topics []string
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &topics) != nil || !slices.Contains(topics, topic) {
		t.Errorf("GET /topics from the page: %+v, want 200 and a JSON list with %s\n%s", r, topic, br.report(nil))
	}
	r = br.probe(t, ts.url+"/no/such/path", accept)
	var e struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}
	if r.Status != 404 || json.Unmarshal([]byte(r.Body), &e) != nil || e.ErrorCode != 404 || e.Message == "" {
		t.Errorf("GET /no/such/path from the page: %+v, want the JSON 404\n%s", r, br.report(nil))
	}
	// Its Content-Type is not one a form can send, so the browser asks
	// krest first with an OPTIONS preflight.
	r = br.probe(t, ts.url+"/topics/"+topic, map[string]any{
		"method":  "POST",
		"headers": map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json", "Accept": kafkaV2},
		"body":    `{"records":[{"value":{"from":"page"}}]}`,
	})
	var offsets struct {
		Offsets []struct {
			Offset *int64 `json:"offset"`
		} `json:"offsets"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &offsets) != nil || len(offsets.Offsets) != 1 || offsets.Offsets[0].Offset == nil {
		t.Errorf("POST /topics/%s from the page: %+v, want 200 and one offset\n%s", topic, r, br.report(nil))
	}

	br.navigate(t, other.URL+"/")
	if r = br.probe(t, ts.url+"/topics", accept); r.Error == "" {
		t.Errorf("GET /topics from an origin krest does not allow: %+v, want the browser to refuse it", r)
	}
}

// chromiumPath finds Chromium, skipping the test without it; under CI=true
// a missing Chromium fails the test instead.
func chromiumPath(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "chromium")
}

// browser is one tab of a headless Chromium, with what the page wrote to
// its console (CORS refusals are reported there and nowhere else).
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	console []string
}

// startBrowser starts Chromium for the test; the cleanup stops it before
// the servers the test started earlier, so that no stream keeps them open.
func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	// NoSandbox: the tests run as root, where Chromium's sandbox refuses to start.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	br := &browser{ctx: ctx}
	// The first Run starts the browser; it gets no timeout, since that
	// would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			line := m.String()
			if m.URL != "" {
				line += " (" + m.URL + ")"
			}
			br.mu.Lock()
			br.console = append(br.console, line)
			br.mu.Unlock()
		}
	}()
	return br
}

func (br *browser) navigate(t *testing.T, u string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(br.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("navigate to %s: %v", u, err)
	}
}

// pageDOM is what the page shows: its #state, #records and #errors.
type pageDOM struct {
	State   string       `json:"state"`
	Records []pageRecord `json:"records"`
	Errors  []string     `json:"errors"`
}

// pageRecord is one <li> of #records: the record's value as
// JSON.stringify wrote it, and its data-* attributes.
type pageRecord struct {
	Value     string `json:"value"`
	Topic     string `json:"topic"`
	Partition string `json:"partition"`
	Offset    string `json:"offset"`
}

const readDOM = `({
	state: document.getElementById("state").textContent,
	records: Array.from(document.querySelectorAll("#records li"), li => ({
		value: li.textContent, topic: li.dataset.topic, partition: li.dataset.partition, offset: li.dataset.offset})),
	errors: Array.from(document.querySelectorAll("#errors li"), li => li.textContent),
})`

// waitDOM reads the page's DOM until done accepts it or timeout passes,
// and returns the last reading.
func (br *browser) waitDOM(t *testing.T, timeout time.Duration, done func(pageDOM) bool) pageDOM {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(br.ctx, 5*time.Second)
		dom, err := chromedp.Run(ctx, chromedp.Evaluate[pageDOM](readDOM))
		cancel()
		if err != nil {
			t.Fatalf("read the page's DOM: %v\n%s", err, br.report(nil))
		}
		if done(dom) || time.Now().After(deadline) {
			return dom
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// probeResult is what the page's probe() returns for one fetch.
type probeResult struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
	Error       string `json:"error"` // what fetch threw, as a CORS refusal
}

// probe runs fetch(u, init) in the page.
func (br *browser) probe(t *testing.T, u string, init map[string]any) probeResult {
	t.Helper()
	args, err := json.Marshal([]any{u, init})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(br.ctx, 10*time.Second)
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[probeResult]("probe(..."+string(args)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s in the page: %v\n%s", u, err, br.report(nil))
	}
	return r
}

// report describes the page's DOM, when given, and its console for a
// failure message.
func (br *browser) report(dom *pageDOM) string {
	br.mu.Lock()
	defer br.mu.Unlock()
	var s strings.Builder
	if dom != nil {
		fmt.Fprintf(&s, "page DOM: state %q, records %v, errors %q\n", dom.State, dom.Records, dom.Errors)
	}
	s.WriteString("browser console:")
	if len(br.console) == 0 {
		s.WriteString(" (empty)")
	}
	for _, m := range br.console {
		s.WriteString("\n  " + m)
	}
	return s.String()
}

// probeStream sends the request the EventSource sends, from Go, and
// describes the answer: EventSource hides the status and body of a failed
// connection from the page.
func probeStream(u, origin string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512)) // a live stream ends with the timeout
	return fmt.Sprintf("%s, Content-Type %q, Access-Control-Allow-Origin %q, body %q",
		resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Access-Control-Allow-Origin"), body)
}

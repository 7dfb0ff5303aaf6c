package schema

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"golang.org/x/sync/singleflight"
)

// MaxCompiled bounds the compiled schemas kept in memory.
const MaxCompiled = 10000

// LatestTTL is how long the latest version of a subject is cached.
const LatestTTL = 30 * time.Second

// Schema is a registered schema and its compiled form.
type Schema struct {
	ID    int
	Type  sr.SchemaType
	Text  string
	Refs  []sr.SchemaReference // the schemas it uses, as registered
	Codec Codec                // the compiled schema
}

// Reference is the text of a schema that another one uses, under the name
// it is used by: an Avro schema's named types, a JSON Schema "$ref" URL, a
// Protobuf import path.
type Reference struct {
	Name string
	Text string
}

// CompileFunc compiles schema text of a type, with the schemas it
// references (each after those it depends on), into the codec the proxy
// uses. Its error means the schema is invalid.
type CompileFunc func(typ sr.SchemaType, text string, refs []Reference) (Codec, error)

// MaxReferenceDepth bounds how deep references nest.
const MaxReferenceDepth = 32

// Kind classifies registry errors.
type Kind int

const (
	// Invalid: the schema text does not compile.
	Invalid Kind = iota + 1
	// NotFound: no schema with that id, or not registered under the subject.
	NotFound
	// Rejected: the registry refused the request (incompatible schema,
	// authorization, ...); Status holds its HTTP status.
	Rejected
	// Unavailable: the registry could not be reached or failed.
	Unavailable
)

// Error is a registry failure.
type Error struct {
	Kind   Kind
	Status int // the registry's HTTP status, when it answered
	Msg    string
	Err    error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Client is krest's Schema Registry client: franz-go's pkg/sr plus the
// caches a proxy needs, since pkg/sr caches nothing itself.
//
//   - schema id → compiled schema: ids are immutable, so entries never go
//     stale; the cache is bounded (MaxCompiled) because compiled codecs can
//     be large.
//   - (subject, type, schema text) → id: the answer of lookup-or-register,
//     also immutable.
//   - (subject, id) → registered: whether a schema sent by id is a version of
//     the subject it is produced under.
//   - subject → latest version: this one changes, so it expires after
//     LatestTTL.
//   - (subject, version) → schema: the referenced schemas, immutable too.
//   - schema id → the subjects and versions registered with it, for reads
//     that name a record's subject; bounded, and kept (a subject that
//     registers the id later is not seen).
//
// Concurrent misses for the same key are merged. Errors carry a Kind so the
// HTTP layer can map them to Kafka-REST codes in one place.
//
// It is safe for concurrent use.
type Client struct {
	cl      *sr.Client
	url     string
	compile CompileFunc

	mu        sync.Mutex
	byID      bounded[int, *Schema]
	ids       map[textKey]int
	versionOf map[subjectID]int       // VersionOf
	compiled  bounded[textKey, Codec] // by (type, text); subject unused
	latest    map[string]latestEntry
	versions  bounded[subjectVersion, sr.SubjectSchema] // referenced schemas
	usages    bounded[int, []sr.SubjectVersion]         // SubjectVersions; made on first use

	now    func() time.Time // for tests
	flight singleflight.Group

	requests, hits atomic.Int64 // registry HTTP requests; answers from a cache
}

// countingTransport counts the registry requests.
type countingTransport struct {
	http.RoundTripper
	n *atomic.Int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.RoundTripper.RoundTrip(r)
}

// Stats returns the registry requests made and the answers served from a
// cache so far.
func (c *Client) Stats() (requests, hits int64) { return c.requests.Load(), c.hits.Load() }

// Ping asks the registry for its subjects, for readiness.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.cl.Subjects(ctx); err != nil {
		return c.wrap(err, "listing subjects")
	}
	return nil
}

type latestEntry struct {
	schema  *Schema
	version int
	expires time.Time
}

type textKey struct {
	subject string
	typ     sr.SchemaType
	text    string
}

type subjectID struct {
	subject string
	id      int
}

type subjectVersion struct {
	subject string
	version int
}

// New returns a client of the registry at url. opts are pkg/sr options
// (authentication, TLS); requests time out after timeout.
func New(url string, compile CompileFunc, timeout time.Duration, tlsCfg *tls.Config, opts ...sr.ClientOpt) (*Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if tlsCfg != nil {
		transport.TLSClientConfig = tlsCfg
	}
	c := &Client{}
	httpcl := &http.Client{Timeout: timeout, Transport: countingTransport{transport, &c.requests}}
	opts = append([]sr.ClientOpt{sr.URLs(url), sr.HTTPClient(httpcl), sr.UserAgent("krest")}, opts...)
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema registry client: %w", err)
	}
	*c = Client{
		cl: cl, url: url, compile: compile,
		byID: newBounded[int, *Schema](MaxCompiled), ids: map[textKey]int{}, versionOf: map[subjectID]int{},
		compiled: newBounded[textKey, Codec](MaxCompiled), latest: map[string]latestEntry{},
		versions: newBounded[subjectVersion, sr.SubjectSchema](MaxCompiled), now: time.Now,
	}
	return c, nil
}

// URL returns the registry's address.
func (c *Client) URL() string { return c.url }

// ByID returns the schema with the given id, compiled.
func (c *Client) ByID(ctx context.Context, id int) (*Schema, error) {
	c.mu.Lock()
	s, _ := c.byID.get(id)
	c.mu.Unlock()
	if s != nil {
		c.hits.Add(1)
		return s, nil
	}
	v, err, _ := c.flight.Do("id:"+strconv.Itoa(id), func() (any, error) {
		got, err := c.cl.SchemaByID(ctx, id)
		if err != nil {
			return nil, c.wrap(err, "fetching schema %d", id)
		}
		refs, err := c.references(ctx, got.References)
		if err != nil {
			return nil, err
		}
		compiled, err := c.compile(got.Type, got.Schema, refs)
		if err != nil {
			return nil, &Error{Kind: Invalid, Msg: fmt.Sprintf("schema %d does not compile: %v", id, err), Err: err}
		}
		s := &Schema{ID: id, Type: got.Type, Text: got.Schema, Refs: got.References, Codec: compiled}
		c.store(s)
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Schema), nil
}

// Compiled compiles schema text, caching the result (bounded by
// MaxCompiled): raw schemas arrive with every produce request that uses
// them. An invalid schema is an Invalid error.
func (c *Client) Compiled(typ sr.SchemaType, text string) (Codec, error) {
	key := textKey{typ: typ, text: text}
	c.mu.Lock()
	v, ok := c.compiled.get(key)
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := c.compile(typ, text, nil)
	if err != nil {
		return nil, &Error{Kind: Invalid, Msg: err.Error(), Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compiled.put(key, v)
	return v, nil
}

// Register returns the id of text under subject, registering it when the
// registry does not know it yet, as Confluent's proxy does for a raw
// key_schema / value_schema. The text is compiled first: an invalid schema
// is an Invalid error and never reaches the registry.
func (c *Client) Register(ctx context.Context, subject string, typ sr.SchemaType, text string) (*Schema, error) {
	key := textKey{subject, typ, text}
	c.mu.Lock()
	id, known := c.ids[key]
	s, _ := c.byID.get(id)
	c.mu.Unlock()
	if known && s != nil {
		c.hits.Add(1)
		return s, nil
	}
	v, err, _ := c.flight.Do("reg:"+subject+"\x00"+strconv.Itoa(int(typ))+"\x00"+text, func() (any, error) {
		compiled, err := c.Compiled(typ, text)
		if err != nil {
			return nil, err
		}
		schema := sr.Schema{Schema: text, Type: typ}
		id, err := c.cl.RegisterSchema(ctx, subject, schema, -1, -1)
		if err != nil {
			return nil, c.wrap(err, "registering a schema under subject %q", subject)
		}
		s := &Schema{ID: id, Type: typ, Text: text, Codec: compiled}
		c.store(s)
		c.mu.Lock()
		c.ids[key] = id
		c.mu.Unlock()
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Schema), nil
}

// Latest returns the newest version of subject and its schema, cached for
// LatestTTL.
func (c *Client) Latest(ctx context.Context, subject string) (*Schema, int, error) {
	c.mu.Lock()
	e, ok := c.latest[subject]
	c.mu.Unlock()
	if ok && c.now().Before(e.expires) {
		return e.schema, e.version, nil
	}
	v, err, _ := c.flight.Do("latest:"+subject, func() (any, error) {
		got, err := c.cl.SchemaByVersion(ctx, subject, -1)
		if err != nil {
			return nil, c.wrap(err, "fetching the latest schema of subject %q", subject)
		}
		s, err := c.ByID(ctx, got.ID)
		if err != nil {
			return nil, err
		}
		e := latestEntry{schema: s, version: got.Version, expires: c.now().Add(LatestTTL)}
		c.mu.Lock()
		c.latest[subject] = e
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, 0, err
	}
	e = v.(latestEntry)
	return e.schema, e.version, nil
}

// references fetches the schemas refs name, and theirs, each after those
// it depends on and each once.
func (c *Client) references(ctx context.Context, refs []sr.SchemaReference) ([]Reference, error) {
	var out []Reference
	seen := map[subjectVersion]bool{}
	var visit func(refs []sr.SchemaReference, depth int) error
	visit = func(refs []sr.SchemaReference, depth int) error {
		if len(refs) > 0 && depth >= MaxReferenceDepth {
			return &Error{Kind: Invalid, Msg: fmt.Sprintf("schema references nest deeper than %d", MaxReferenceDepth)}
		}
		for _, r := range refs {
			key := subjectVersion{r.Subject, r.Version}
			if seen[key] {
				continue
			}
			seen[key] = true
			ss, err := c.version(ctx, key)
			if err != nil {
				return err
			}
			if err := visit(ss.References, depth+1); err != nil {
				return err
			}
			out = append(out, Reference{Name: r.Name, Text: ss.Schema.Schema})
		}
		return nil
	}
	return out, visit(refs, 0)
}

// version returns a version of a subject, cached: versions never change.
func (c *Client) version(ctx context.Context, key subjectVersion) (sr.SubjectSchema, error) {
	c.mu.Lock()
	ss, ok := c.versions.get(key)
	c.mu.Unlock()
	if ok {
		return ss, nil
	}
	ss, err := c.cl.SchemaByVersion(ctx, key.subject, key.version)
	if err != nil {
		return ss, c.wrap(err, "fetching version %d of subject %q, a schema reference", key.version, key.subject)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.versions.put(key, ss)
	return ss, nil
}

func (c *Client) store(s *Schema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID.put(s.ID, s)
}

// bounded is a map that forgets its oldest entries beyond max; the
// Client's mutex guards it.
type bounded[K comparable, V any] struct {
	m     map[K]V
	order []K // insertion order, for eviction
	max   int
}

func newBounded[K comparable, V any](max int) bounded[K, V] {
	return bounded[K, V]{m: map[K]V{}, max: max}
}

func (b *bounded[K, V]) get(k K) (V, bool) {
	v, ok := b.m[k]
	return v, ok
}

// put adds k unless it is there already, evicting the oldest entry when
// full.
func (b *bounded[K, V]) put(k K, v V) {
	if _, dup := b.m[k]; dup {
		return
	}
	if len(b.order) >= b.max {
		delete(b.m, b.order[0])
		b.order = b.order[1:]
	}
	b.m[k] = v
	b.order = append(b.order, k)
}

// wrap classifies an error of pkg/sr.
func (c *Client) wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var re *sr.ResponseError
	if errors.As(err, &re) {
		kind := Rejected
		if se := re.SchemaError(); se != nil && (se == sr.ErrSchemaNotFound || se == sr.ErrSubjectNotFound || se == sr.ErrVersionNotFound) {
			kind = NotFound
		} else if re.StatusCode >= 500 {
			kind = Unavailable
		}
		return &Error{Kind: kind, Status: re.StatusCode, Msg: fmt.Sprintf("%s: %s (Schema Registry at %s answered %d)", what, re.Error(), c.url, re.StatusCode), Err: err}
	}
	return &Error{Kind: Unavailable, Msg: fmt.Sprintf("%s: Schema Registry at %s is unreachable: %v", what, c.url, err), Err: err}
}

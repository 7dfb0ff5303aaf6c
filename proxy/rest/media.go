package rest

import (
	"bytes"
	"strconv"

	"github.com/krest-dev/krest/codec"
)

// The media types krest answers with when no embedded format is involved.
const (
	MediaV2      = "application/vnd.kafka.v2+json"
	MediaV1      = "application/vnd.kafka.v1+json"
	MediaGeneric = "application/vnd.kafka+json"
	MediaJSON    = "application/json"
)

// MediaType is a parsed application/vnd.kafka[.format][.vN]+json type.
type MediaType struct {
	Version int          // 1 or 2; 0 for the unversioned application/vnd.kafka+json
	Format  codec.Format // 0 when the type names no embedded format
}

// ParseMediaType parses one media type (parameters ignored,
// case-insensitive); ok is false for anything but a Kafka-REST type. It
// allocates nothing: it runs for every request.
func ParseMediaType(s []byte) (mt MediaType, ok bool) {
	if i := bytes.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	s = bytes.TrimSpace(s)
	const prefix, suffix = "application/vnd.kafka", "+json"
	if len(s) < len(prefix)+len(suffix) ||
		!bytes.EqualFold(s[:len(prefix)], []byte(prefix)) || !bytes.EqualFold(s[len(s)-len(suffix):], []byte(suffix)) {
		return MediaType{}, false
	}
	rest := s[len(prefix) : len(s)-len(suffix)]
	if len(rest) == 0 {
		return mt, true // application/vnd.kafka+json
	}
	if rest[0] != '.' {
		return MediaType{}, false
	}
	rest = rest[1:]
	if i := bytes.IndexByte(rest, '.'); i >= 0 {
		f, ok := codec.ParseFormat(string(rest[:i]))
		if !ok {
			return MediaType{}, false
		}
		mt.Format, rest = f, rest[i+1:]
	}
	switch {
	case bytes.EqualFold(rest, []byte("v1")):
		mt.Version = 1
	case bytes.EqualFold(rest, []byte("v2")):
		mt.Version = 2
	default:
		return MediaType{}, false
	}
	return mt, true
}

// embeddedTypes holds EmbeddedType's answers for the known formats and
// versions 1 and 2, so that records replies build no string per request.
var embeddedTypes = func() (t [codec.Protobuf + 1][3]string) {
	for f := codec.Binary; f <= codec.Protobuf; f++ {
		for v := 1; v <= 2; v++ {
			t[f][v] = "application/vnd.kafka." + f.String() + ".v" + strconv.Itoa(v) + "+json"
		}
	}
	return t
}()

// EmbeddedType is the media type of records in format f:
// application/vnd.kafka.<f>.v<version>+json.
func EmbeddedType(f codec.Format, version int) string {
	if f >= codec.Binary && f <= codec.Protobuf && (version == 1 || version == 2) {
		return embeddedTypes[f][version]
	}
	return "application/vnd.kafka." + f.String() + ".v" + strconv.Itoa(version) + "+json"
}

// BodyKind is what a route accepts as a request body, which decides how its
// Content-Type is checked (415 when it does not fit).
type BodyKind int

const (
	// BodyNone: the route reads no body; Content-Type is not checked.
	BodyNone BodyKind = iota
	// BodyProduce: records in an embedded format named by the
	// Content-Type (see ProduceFormat).
	BodyProduce
	// BodyJSON: a JSON entity, under any application/vnd.kafka type,
	// application/json, application/octet-stream or none; checked only
	// when a body is sent.
	BodyJSON
	// BodyStream: the handler reads the body itself, as it arrives (v3
	// streaming produce); the chain neither reads nor charges it.
	BodyStream
)

// ProduceFormat picks the embedded format of a produce request from its
// Content-Type, as Confluent does: the format named by the type; binary for
// the v1-era generic types (application/vnd.kafka.v1+json,
// application/vnd.kafka+json, application/octet-stream or none). krest also
// takes plain application/json as the json format, which Confluent's v2
// rejects with 415. Confluent's v2 rejects the format-less
// application/vnd.kafka.v2+json on produce, and so does krest.
func ProduceFormat(contentType []byte) (codec.Format, *Error) {
	base, ok := splitParams(contentType)
	if !ok {
		return 0, ErrUnsupportedMediaType
	}
	switch {
	case len(base) == 0, bytes.EqualFold(base, []byte("application/octet-stream")):
		return codec.Binary, nil
	case bytes.EqualFold(base, []byte(MediaJSON)):
		return codec.JSON, nil
	}
	mt, ok := ParseMediaType(base)
	switch {
	case !ok:
		return 0, ErrUnsupportedMediaType
	case mt.Format == 0 && mt.Version == 2:
		return 0, ErrUnsupportedMediaType
	case mt.Format == 0:
		return codec.Binary, nil
	}
	return mt.Format, nil
}

// splitParams returns the media type of a Content-Type, trimmed, and
// whether its parameters are well formed: each "name=value" with a
// non-empty name, and a charset, if any, UTF-8 (the only encoding JSON
// bodies are read in). A header that is not blank must name a type. It
// allocates nothing.
func splitParams(contentType []byte) (base []byte, ok bool) {
	base, params, hasParams := bytes.Cut(contentType, []byte(";"))
	base = bytes.TrimSpace(base)
	if !hasParams {
		return base, true
	}
	if len(base) == 0 {
		return nil, false
	}
	for p := range bytes.SplitSeq(params, []byte(";")) {
		name, value, eq := bytes.Cut(p, []byte("="))
		name, value = bytes.TrimSpace(name), bytes.Trim(bytes.TrimSpace(value), `"`)
		if len(name) == 0 && len(value) == 0 && !eq {
			continue // a trailing or doubled ";"
		}
		if !eq || len(name) == 0 || len(value) == 0 {
			return nil, false
		}
		if bytes.EqualFold(name, []byte("charset")) && !bytes.EqualFold(value, []byte("utf-8")) && !bytes.EqualFold(value, []byte("utf8")) {
			return nil, false
		}
	}
	return base, true
}

// checkJSONBody checks the Content-Type of a BodyJSON request that has a
// body, and the numbers of the body (CheckNumbers), for every entity
// whatever decodes it.
func checkJSONBody(contentType, body []byte) *Error {
	if len(body) == 0 {
		return nil
	}
	if err := checkEntityType(contentType); err != nil {
		return err
	}
	return CheckNumbers(body)
}

// checkEntityType checks the Content-Type of a JSON entity; none is fine.
func checkEntityType(contentType []byte) *Error {
	if len(bytes.TrimSpace(contentType)) == 0 {
		return nil
	}
	base, ok := splitParams(contentType)
	if !ok || len(base) == 0 {
		return ErrUnsupportedMediaType
	}
	if bytes.EqualFold(base, []byte(MediaJSON)) || bytes.EqualFold(base, []byte("application/octet-stream")) {
		return nil
	}
	if _, ok := ParseMediaType(base); ok {
		return nil
	}
	return ErrUnsupportedMediaType
}

// Answer is what a route replies with, which decides how its Accept header
// is negotiated.
type Answer int

const (
	// AnswerPlain: a JSON entity (metadata, produce results, consumer
	// management) under application/vnd.kafka.v2+json, .v1+json,
	// application/vnd.kafka+json or application/json.
	AnswerPlain Answer = iota
	// AnswerRecords: consumer records in an embedded format, which must be
	// the consumer instance's (Offer.ForInstance).
	AnswerRecords
	// AnswerMessages: records of the stateless read, in the first
	// non-binary embedded format Accept names (json, avro, jsonschema,
	// protobuf), else binary; v1 when the chosen type says v1.
	AnswerMessages
	// AnswerStream: a stream only (text/event-stream or
	// application/x-ndjson), for the v3 topic tail.
	AnswerStream
)

// Offer is the outcome of Accept negotiation.
type Offer struct {
	// ContentType is the media type of the reply.
	ContentType string
	// Format is the embedded format of records replies; 0 for a records
	// read asked with plain application/json, which means "the instance's
	// own format" (a krest extension).
	Format codec.Format
	// Stream is StreamSSE or StreamNDJSON for a read that stays open and
	// sends records as they arrive (in the instance's format).
	Stream int
}

// Negotiate picks the reply of a route answering a from the Accept header,
// in one pass over it; ok is false when nothing offered is acceptable
// (406). version is the API version of the route (1, 2 or 3; v3 routes
// answer application/json only): the media types
// of records replies carry it when Accept does not name one.
//
// AnswerPlain takes the acceptable type with the highest q: an
// embedded-format type (say application/vnd.kafka.binary.v2+json) is
// answered with its version's plain type, and wildcards with v2.
// AnswerRecords takes the highest-q type too: the embedded type names the
// format, the format-less and wildcard types mean binary, as in Confluent's
// proxy. AnswerMessages accepts what AnswerPlain does and answers the first
// acceptable type naming a non-binary embedded format, else binary (v1 when
// the best type is a v1 type, as Confluent's v1 read answered).
func Negotiate(accept []byte, a Answer, version int) (o Offer, ok bool) {
	accept = bytes.TrimSpace(accept)
	if len(accept) == 0 {
		accept = []byte("*/*")
	}
	if a == AnswerStream {
		for part := range bytes.SplitSeq(accept, []byte(",")) {
			if typ, q := splitQuality(part); q > 0 {
				if o, ok := streamOffer(typ); ok {
					return o, true
				}
				if bytes.Equal(typ, []byte("*/*")) {
					return Offer{ContentType: MediaSSE, Stream: StreamSSE}, true
				}
			}
		}
		return Offer{}, false
	}
	if version == 3 {
		return negotiateV3(accept)
	}
	bestQ, bestVersion := 0.0, 0
	var named Offer // AnswerMessages: the first acceptable non-binary embedded type
	for part := range bytes.SplitSeq(accept, []byte(",")) {
		typ, q := splitQuality(part)
		if q <= 0 {
			continue
		}
		if a == AnswerMessages && named.ContentType == "" {
			if mt, ok := ParseMediaType(typ); ok && mt.Format != 0 && mt.Format != codec.Binary {
				named = Offer{ContentType: EmbeddedType(mt.Format, max(mt.Version, 1)), Format: mt.Format}
			}
		}
		if q <= bestQ {
			continue
		}
		var offer Offer
		if a == AnswerRecords {
			offer = recordsOffer(typ, version)
		} else {
			offer.ContentType = plainOffer(typ)
		}
		if offer.ContentType != "" {
			o, bestQ = offer, q
			if mt, ok := ParseMediaType(typ); ok {
				bestVersion = mt.Version
			} else {
				bestVersion = 0
			}
		}
	}
	if o.ContentType == "" {
		return Offer{}, false
	}
	if a == AnswerMessages {
		if named.ContentType != "" {
			return named, true
		}
		v := 2
		if bestVersion == 1 {
			v = 1
		}
		return Offer{ContentType: EmbeddedType(codec.Binary, v), Format: codec.Binary}, true
	}
	return o, true
}

// negotiateV3 answers v3 routes, which speak only application/json.
func negotiateV3(accept []byte) (Offer, bool) {
	for part := range bytes.SplitSeq(accept, []byte(",")) {
		typ, q := splitQuality(part)
		if q > 0 && (bytes.Equal(typ, []byte("*/*")) || bytes.Equal(typ, []byte("application/*")) || bytes.EqualFold(typ, []byte(MediaJSON))) {
			return Offer{ContentType: MediaJSON}, true
		}
	}
	return Offer{}, false
}

func plainOffer(typ []byte) string {
	switch {
	case bytes.Equal(typ, []byte("*/*")), bytes.Equal(typ, []byte("application/*")):
		return MediaV2
	case bytes.EqualFold(typ, []byte(MediaJSON)):
		return MediaJSON
	}
	mt, ok := ParseMediaType(typ)
	if !ok {
		return ""
	}
	switch mt.Version {
	case 1:
		return MediaV1
	case 2:
		return MediaV2
	}
	return MediaGeneric
}

func recordsOffer(typ []byte, version int) Offer {
	if o, ok := streamOffer(typ); ok {
		return o
	}
	switch {
	case bytes.Equal(typ, []byte("*/*")), bytes.Equal(typ, []byte("application/*")):
		return Offer{ContentType: EmbeddedType(codec.Binary, version), Format: codec.Binary}
	case bytes.EqualFold(typ, []byte(MediaJSON)):
		return Offer{ContentType: MediaJSON}
	}
	mt, ok := ParseMediaType(typ)
	if !ok {
		return Offer{}
	}
	f := mt.Format
	if f == 0 {
		f = codec.Binary
	}
	v := mt.Version
	if v == 0 {
		v = version
	}
	return Offer{ContentType: EmbeddedType(f, v), Format: f}
}

// Stream kinds of a records reply that stays open.
const (
	// StreamNone is a reply that ends with its records.
	StreamNone = iota
	// StreamSSE is text/event-stream: one event per batch of records.
	StreamSSE
	// StreamNDJSON is application/x-ndjson: one record per line.
	StreamNDJSON
)

// Media types of the streamed reads.
const (
	MediaSSE    = "text/event-stream"
	MediaNDJSON = "application/x-ndjson"
)

// streamOffer recognises the media types of streamed reads; the records
// are in the instance's own format.
func streamOffer(typ []byte) (Offer, bool) {
	switch {
	case bytes.EqualFold(typ, []byte(MediaSSE)):
		return Offer{ContentType: MediaSSE, Stream: StreamSSE}, true
	case bytes.EqualFold(typ, []byte(MediaNDJSON)):
		return Offer{ContentType: MediaNDJSON, Stream: StreamNDJSON}, true
	}
	return Offer{}, false
}

// ForInstance checks a records offer against the format of the consumer
// instance that answers it: 406/40601 when they differ. Confluent's proxy
// tells consumers apart by deserializer kind, so the three Schema Registry
// formats are interchangeable here.
func (o Offer) ForInstance(inst codec.Format) error {
	f := o.Format
	if f == 0 {
		f = inst
	}
	if f != inst && !(f.UsesSchema() && inst.UsesSchema()) {
		return ErrFormatMismatch
	}
	return nil
}

// splitQuality splits "type; q=0.5; x=y" into the bare type and its q.
func splitQuality(part []byte) ([]byte, float64) {
	typ, params, _ := bytes.Cut(part, []byte(";"))
	q := 1.0
	for p := range bytes.SplitSeq(params, []byte(";")) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(p), []byte("="))
		if ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("q")) {
			if f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64); err == nil {
				q = f
			} else {
				q = 0
			}
		}
	}
	return bytes.TrimSpace(typ), q
}

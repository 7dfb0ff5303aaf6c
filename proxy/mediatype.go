package proxy

import (
	"bytes"
	"strconv"

	"github.com/krest-dev/krest/codec"
)

// Response media types.
const (
	mediaV2      = "application/vnd.kafka.v2+json"
	mediaV1      = "application/vnd.kafka.v1+json"
	mediaGeneric = "application/vnd.kafka+json"
	mediaJSON    = "application/json"
)

// mediaType is a parsed application/vnd.kafka[.format].vN+json type.
type mediaType struct {
	kafka   bool         // an application/vnd.kafka... type
	version int          // 1 or 2; 0 for the unversioned application/vnd.kafka+json
	format  codec.Format // 0 when the type names no embedded format
}

// parseMediaType parses one media type (parameters ignored, case-insensitive).
func parseMediaType(s []byte) (mediaType, bool) {
	if i := bytes.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	s = bytes.ToLower(bytes.TrimSpace(s))
	rest, ok := bytes.CutPrefix(s, []byte("application/vnd.kafka"))
	if !ok {
		return mediaType{}, false
	}
	rest, ok = bytes.CutSuffix(rest, []byte("+json"))
	if !ok {
		return mediaType{}, false
	}
	mt := mediaType{kafka: true}
	if len(rest) == 0 {
		return mt, true // application/vnd.kafka+json
	}
	if rest[0] != '.' {
		return mediaType{}, false
	}
	rest = rest[1:]
	if i := bytes.IndexByte(rest, '.'); i >= 0 {
		f, ok := codec.ParseFormat(string(rest[:i]))
		if !ok {
			return mediaType{}, false
		}
		mt.format, rest = f, rest[i+1:]
	}
	switch string(rest) {
	case "v1":
		mt.version = 1
	case "v2":
		mt.version = 2
	default:
		return mediaType{}, false
	}
	return mt, true
}

// produceFormat picks the embedded format of a produce request from its
// Content-Type, as Confluent does: the format named by the type; binary for
// the v1-era generic types (application/vnd.kafka.v1+json,
// application/vnd.kafka+json, application/octet-stream or none). krest also
// takes plain application/json as the json format, which Confluent's v2
// rejects with 415. Confluent's v2 rejects the format-less
// application/vnd.kafka.v2+json on produce, and so does krest.
func produceFormat(contentType []byte) (codec.Format, *Error) {
	base := contentType
	if i := bytes.IndexByte(base, ';'); i >= 0 {
		base = base[:i]
	}
	base = bytes.TrimSpace(base)
	switch {
	case len(base) == 0, bytes.EqualFold(base, []byte("application/octet-stream")):
		return codec.Binary, nil
	case bytes.EqualFold(base, []byte(mediaJSON)):
		return codec.JSON, nil
	}
	mt, ok := parseMediaType(base)
	switch {
	case !ok:
		return 0, errUnsupportedMediaType
	case mt.format == 0 && mt.version == 2:
		return 0, errUnsupportedMediaType
	case mt.format == 0:
		return codec.Binary, nil
	}
	return mt.format, nil
}

// negotiate picks the response media type for a metadata or produce reply
// from the Accept header: the acceptable type with the highest q among
// application/vnd.kafka.v2+json, .v1+json, application/vnd.kafka+json and
// application/json. An embedded-format type (say
// application/vnd.kafka.binary.v2+json) is answered with its version's plain
// type, and wildcards with v2. ok is false when nothing offered is
// acceptable (406).
func negotiate(accept []byte) (string, bool) {
	accept = bytes.TrimSpace(accept)
	if len(accept) == 0 {
		return mediaV2, true
	}
	best, bestQ := "", 0.0
	for part := range bytes.SplitSeq(accept, []byte(",")) {
		typ, q := splitQuality(part)
		if q <= 0 || q <= bestQ {
			continue
		}
		if offer := offeredFor(typ); offer != "" {
			best, bestQ = offer, q
		}
	}
	return best, best != ""
}

func offeredFor(typ []byte) string {
	switch {
	case bytes.Equal(typ, []byte("*/*")), bytes.Equal(typ, []byte("application/*")):
		return mediaV2
	case bytes.EqualFold(typ, []byte(mediaJSON)):
		return mediaJSON
	}
	mt, ok := parseMediaType(typ)
	if !ok {
		return ""
	}
	switch mt.version {
	case 1:
		return mediaV1
	case 2:
		return mediaV2
	}
	return mediaGeneric
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

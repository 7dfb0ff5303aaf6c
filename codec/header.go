package codec

// header is a record header as kgo.RecordHeader holds one; the package
// does not import kgo (see the package comment), so AppendHeaders takes
// any type of its shape.
type header = struct {
	Key   string
	Value []byte
}

// AppendHeaders appends record headers as both API versions render them:
// [{"name":…,"value":…}], each value base64, or null for a header without
// one. hs is a []kgo.RecordHeader.
func AppendHeaders[H ~struct {
	Key   string
	Value []byte
}](dst []byte, hs []H) []byte {
	dst = append(dst, '[')
	for i := range hs {
		h := header(hs[i])
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = AppendQuote(dst, h.Key)
		dst = append(dst, `,"value":`...)
		if h.Value == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '"')
			dst = AppendBase64(dst, h.Value)
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

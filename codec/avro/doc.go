// Package avro transcodes between Avro's JSON encoding and Avro binary for
// one writer schema, as the proxy's "avro" embedded format needs
// (Confluent REST Proxy compatible).
//
// hamba/avro parses the schema; this package compiles it once into a small
// tree of nodes (field-name lookups, union branch names, precomputed JSON
// fragments and binary defaults) and then walks that tree together with the
// input: a hand-written scanner over the JSON bytes for AppendBinary, and a
// bounds-checked reader over the binary for AppendJSON. Nothing goes through
// map[string]any or reflection, and output is appended to the caller's slice.
//
// # JSON encoding
//
// The JSON side follows the Avro 1.11 specification, "JSON Encoding":
//
//   - null, boolean and string map to their JSON counterparts. Strings may use
//     every JSON escape, including surrogate pairs; lone surrogates and
//     invalid UTF-8 in the input are errors.
//   - int and long are JSON numbers whose value is an exact integer in range:
//     1e3, 10.0 and -0 are accepted, 1.5, 1e-1 and 2147483648 (for int) are
//     not. Output is always a plain integer.
//   - float and double are JSON numbers. NaN and the infinities have no JSON
//     number form: they are written as the strings "NaN", "Infinity" and
//     "-Infinity", and those strings are accepted on input. NaN is written in
//     binary with Java's canonical bits. Finite numbers are written in the
//     shortest form that reads back to the same value (encoding/json's
//     format).
//   - bytes and fixed are JSON strings whose code points U+0000..U+00FF each
//     stand for one byte; larger code points are errors, and a fixed needs
//     exactly its size. Output writes printable ASCII as is and every other
//     byte as a \u00XX escape.
//   - enum is its symbol; array is a JSON array; map is a JSON object; record
//     is a JSON object with the record's fields, in any order on input (a
//     missing field takes its default, unknown and repeated fields are
//     errors) and in schema order on output.
//   - union is null for the null branch, otherwise {"<branch>": value} where
//     the branch is the primitive type name, "array", "map", or the full name
//     of a named type. The short name of a named type is accepted on input
//     when no other branch has it. A union with two branches of the same name
//     (hamba accepts ["long", {"type": "long", "logicalType": ...}]) is
//     rejected by Parse, as the specification requires.
//   - Logical types are encoded as their underlying type (date as days,
//     timestamp-millis as a long, decimal as a bytes or fixed string, uuid as a
//     string, duration as a fixed of 12 bytes, ...).
//
// Field defaults are read from the schema text (so long defaults keep full
// precision) and encoded once at Parse time through the same encoder; inside
// a default a union takes the value of its first branch, unwrapped, as the
// specification says. Duplicate keys of an Avro map are passed through in
// input order.
//
// # Binary encoding
//
// AppendBinary writes exactly what hamba's Marshal writes for the same values
// with havro.Config{DisableBlockSizeHeader: true, BlockLength: math.MaxInt}
// (any BlockLength of at least the item count): every non-empty array or map
// is one block with a positive item count and no byte size, followed by the
// terminating 0, the same bytes Java's GenericDatumWriter writes. hamba's
// DefaultConfig instead splits blocks at 100 items and prefixes each with a
// negative count and its byte size; AppendJSON reads both forms, and any other
// block layout the specification allows.
//
// AppendJSON bounds every length and item count by the remaining input,
// rejects booleans other than 0 and 1, ints beyond 32 bits, varints longer than
// 10 bytes and out-of-range enum and union indexes, caps nesting at 1000 levels
// (so does AppendBinary) and allows at most 1<<16 array items that take no
// bytes (arrays of null or of empty records) per datum. Invalid UTF-8 in a
// binary string is written as U+FFFD, as Java's decoder does.
//
// # Errors
//
// Errors name the place they happened as a path of field names, array
// indexes and map keys, for example
//
//	field "address.zip": expected int, got string "x"
//	union "value": unknown branch "foo"
//	field "tags[2]": expected string, got number 3
//
// and quote at most about 40 bytes of the offending input.
package avro

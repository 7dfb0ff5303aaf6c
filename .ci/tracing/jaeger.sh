#!/usr/bin/env bash
# jaeger.sh: makes sure Jaeger (v2, the all-in-one that takes OTLP and
# answers the query API) is built from its Go module, pinned by
# .ci/tracing/jaeger/go.mod and go.sum, and prints the binary's path
# (KREST_CACHE, default ~/.cache/krest). The tracing test sends krest's
# spans to it. No package offers Jaeger or the OpenTelemetry Collector.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir="${KREST_CACHE:-$HOME/.cache/krest}/jaeger"
bin="$dir/jaeger-$(cat "$0" "$here/jaeger/go.mod" "$here/jaeger/go.sum" | sha256sum | cut -c1-16)"
if [ ! -x "$bin" ]; then
  echo "building Jaeger v1.75.0 (cmd/jaeger) into $dir: a few minutes, once" >&2
  mkdir -p "$dir"
  (cd "$here/jaeger" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"

#!/usr/bin/env bash
# fetch-jars.sh: makes sure the Kafka broker and perf-tool jars named in pom.xml
# are present and prints the directory that holds them. Downloads with Maven from
# Maven Central on first use; later runs reuse the cache (KREST_CACHE, default
# ~/.cache/krest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
dir="${KREST_CACHE:-$HOME/.cache/krest}/kafka-$version/libs"
stamp="$dir/.complete-$(sha256sum "$here/pom.xml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "fetching Apache Kafka $version jars from Maven Central into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir" >&2
  touch "$stamp"
fi
echo "$dir"

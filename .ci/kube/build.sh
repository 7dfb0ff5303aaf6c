#!/usr/bin/env bash
# build.sh: makes sure kube-apiserver, kubectl and etcd, at the versions go.mod
# in this directory pins, are built and prints the directory that holds them
# (KREST_CACHE, default ~/.cache/krest). The API server is a large program:
# 33 min from an empty Go build cache on a busy 2-core machine, 20 s to relink
# with a warm one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:^\s*k8s.io/kubernetes \(v[0-9.]*\)$:\1:p' "$here/go.mod")
[ -n "$version" ] || { echo "no k8s.io/kubernetes version in $here/go.mod" >&2; exit 1; }
dir="${KREST_CACHE:-$HOME/.cache/krest}/kube-$version"
stamp="$dir/.complete-$(cat "$here/go.mod" "$here/go.sum" "$here/etcd/main.go" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "building kube-apiserver, kubectl and etcd $version into $dir (several minutes)" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  minor=${version#v1.}; minor=${minor%%.*}
  # helm refuses an API server whose version is not stamped.
  v=k8s.io/component-base/version
  ldflags="-s -w -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor"
  cd "$here"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dir/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dir/kubectl" k8s.io/kubernetes/cmd/kubectl
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/etcd" ./etcd
  touch "$stamp"
fi
echo "$dir"

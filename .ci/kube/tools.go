//go:build tools

// The commands .ci/kube/build.sh builds, kept here so `go mod tidy` keeps
// their dependencies.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

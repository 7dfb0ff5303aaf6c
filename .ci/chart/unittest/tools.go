//go:build tools

// The command .ci/chart/tools.sh builds, kept here so `go mod tidy` keeps its
// dependencies.
package unittest

import _ "github.com/helm-unittest/helm-unittest/cmd/helm-unittest"

// Command etcd is etcd's server, at the version k8s.io/kubernetes requires,
// for the chart's API server check.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }

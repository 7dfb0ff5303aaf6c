// Package helm holds the tests of krest's Helm chart (deploy/helm/krest) and
// of the plain manifests rendered from it (deploy/kubernetes/krest.yaml):
// helm lint --strict, helm template, helm-unittest and kubeconform -strict
// against offline Kubernetes schemas (make test), and, with -tags apiserver,
// a real kube-apiserver and etcd (make chart-apiserver). The tools come from
// .ci/chart/tools.sh and .ci/kube/build.sh, which make deps runs.
package helm

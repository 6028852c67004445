#!/usr/bin/env bash
# Installs every Debian package that building, testing and demoing Lens needs.
# Idempotent: does nothing (not even apt-get update) when everything is present.
set -euo pipefail

PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev
  protobuf-c-compiler libprotobuf-c-dev
  libnng-dev libmbedtls-dev
  libpq-dev postgresql postgresql-contrib
  libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libnghttp2-dev libbpf-dev bpftool libcap-dev xz-utils libzstd-dev libpcre2-dev zlib1g-dev libhyperscan-dev libssl-dev
  libcmocka-dev librocm-smi-dev libdrm-dev prometheus prometheus-alertmanager
  curl jq openssl procps iproute2 util-linux
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

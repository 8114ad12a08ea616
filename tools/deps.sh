#!/usr/bin/env bash
# Install what Warden's build and tests need (Debian 12). Idempotent: quiet
# and fast when everything is present.
set -euo pipefail

pkgs=(
	clang llvm make gcc pkg-config bpftool
	libbpf-dev libelf-dev zlib1g-dev libjansson-dev libnghttp2-dev
	libvectorscan-dev libyaml-dev libsqlite3-dev libcmocka-dev
	bpftrace libssl-dev python3 openssl curl nodejs ca-certificates
	gnutls-bin npm
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# A node from elsewhere (e.g. NodeSource) is as good as Debian's.
if [[ " ${missing[*]} " == *" nodejs "* ]] && command -v node >/dev/null; then
	missing=("${missing[@]/nodejs/}")
fi
# Same for npm (it often comes with that node, not as Debian's package).
if [[ " ${missing[*]} " == *" npm "* ]] && command -v npm >/dev/null; then
	missing=("${missing[@]/npm/}")
fi
missing=(${missing[@]+${missing[@]}}) # unquoted: drops the emptied entries
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

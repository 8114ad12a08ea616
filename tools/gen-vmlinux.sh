#!/usr/bin/env bash
# Regenerate bpf/vmlinux/<arch>/vmlinux.h from a kernel with BTF. The header
# is committed (as libbpf-tools does) so builds are reproducible and do not
# need the build host's kernel: CO-RE relocates at load time.
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
out="$(dirname "$0")/../bpf/vmlinux/$arch/vmlinux.h"
[ -r "$btf" ] || { echo "gen-vmlinux.sh: $btf not readable: need a kernel with CONFIG_DEBUG_INFO_BTF" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"

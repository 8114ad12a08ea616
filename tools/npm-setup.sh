#!/usr/bin/env bash
# Install the pinned official LLM SDKs for Warden's e2e agents into DIR
# (e.g. build/npm): DIR/node_modules/{openai,@anthropic-ai/sdk}.
# Idempotent: a fast no-op when the pinned versions are already there.
#   usage: tools/npm-setup.sh DIR
# openai 7.x needs Node >= 22; 6.49.0 is the newest release that runs on Node 20.
set -euo pipefail

PINS=(openai@6.49.0 @anthropic-ai/sdk@1.14.0)

die() { echo "npm-setup.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $0 DIR"
mkdir -p "$1" 2>/dev/null || die "cannot create $1"
dir=$(cd "$1" && pwd)

installed() { # name@version -> true when DIR has exactly that version
	local name=${1%@*} want=${1##*@} pj
	pj="$dir/node_modules/$name/package.json"
	[ -f "$pj" ] || return 1
	command -v node >/dev/null || return 1
	[ "$(node -p 'require(process.argv[1]).version' "$pj" 2>/dev/null)" = "$want" ]
}

missing=0
for p in "${PINS[@]}"; do installed "$p" || missing=1; done
[ $missing -eq 0 ] && exit 0

command -v node >/dev/null || die "node not found (run tools/deps.sh)"
command -v npm >/dev/null || die "npm not found (run tools/deps.sh)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "npm-setup.sh: installing ${PINS[*]} into $dir" >&2
if ! npm install --prefix "$dir" --no-audit --no-fund --no-save --no-update-notifier \
	--fetch-retries=1 --fetch-timeout=30000 --loglevel=error "${PINS[@]}" >"$log" 2>&1; then
	errs=$(grep -E '^npm (ERR!|error)' "$log" | sed -E 's/^npm (ERR!|error) *//' | grep -vE '^$|complete log')
	why=$(printf '%s\n' "$errs" | grep -iE 'reason|failed|not found|404' | head -1)
	[ -n "$why" ] || why=$(printf '%s\n' "$errs" | head -1)
	die "npm install failed (network or registry unreachable?): ${why:-see npm output}"
fi
for p in "${PINS[@]}"; do installed "$p" || die "$p missing from $dir after npm install"; done

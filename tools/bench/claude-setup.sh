#!/usr/bin/env bash
# Install the pinned Claude Code CLI (@anthropic-ai/claude-code) for make bench's
# "real agent" row, into a cache OUTSIDE the repo (default
# /var/cache/warden-bench/claude-code; or $WARDEN_CLAUDE_DIR; or the argument).
# Idempotent: a fast no-op when the pinned version is already there.
# Prints the path of the `claude` entry point (DIR/node_modules/.bin/claude).
#   usage: tools/bench/claude-setup.sh [DIR]
#
# Why 2.1.112: it is the last release whose `claude` is bin/cli.js run by the
# system Node (engines node >= 18, so Node 20 works). From 2.1.113 on the
# package's `claude` is a native executable (bin/claude.exe from a per-platform
# optional package, its own bundled runtime and TLS), and from 2.1.198 on the
# package requires Node >= 22.
set -euo pipefail

PIN=@anthropic-ai/claude-code@2.1.112

die() { echo "claude-setup.sh: $*" >&2; exit 1; }
[ $# -le 1 ] || die "usage: $0 [DIR]"
command -v node >/dev/null || die "node not found (run tools/deps.sh)"
want_dir=${1:-${WARDEN_CLAUDE_DIR:-/var/cache/warden-bench/claude-code}}
mkdir -p "$want_dir" 2>/dev/null || die "cannot create $want_dir"
dir=$(cd "$want_dir" && pwd)
name=${PIN%@*} want=${PIN##*@}
pj="$dir/node_modules/$name/package.json"
entry="$dir/node_modules/.bin/claude"

installed() {
	[ -f "$pj" ] && [ -x "$entry" ] || return 1
	command -v node >/dev/null || return 1
	[ "$(node -p 'require(process.argv[1]).version' "$pj" 2>/dev/null)" = "$want" ]
}

if ! installed; then
	command -v npm >/dev/null || die "npm not found (run tools/deps.sh)"
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	echo "claude-setup.sh: installing $PIN into $dir" >&2
	# --omit=optional: the optional deps are sharp's image codecs (pasted images), not needed for -p.
	if ! npm install --prefix "$dir" --no-audit --no-fund --no-save --no-update-notifier \
		--omit=optional --fetch-retries=1 --fetch-timeout=30000 --loglevel=error "$PIN" >"$log" 2>&1; then
		errs=$(grep -E '^npm (ERR!|error)' "$log" | sed -E 's/^npm (ERR!|error) *//' | grep -vE '^$|complete log' || true)
		why=$(printf '%s\n' "$errs" | grep -iE 'reason|failed|not found|404|ENOTFOUND|EAI_AGAIN|ECONN' | head -1 || true)
		[ -n "$why" ] || why=$(printf '%s\n' "$errs" | head -1)
		die "npm install $PIN failed (network or registry unreachable?): ${why:-see npm output}"
	fi
	installed || die "$PIN missing from $dir after npm install"
fi
echo "$entry"

#!/usr/bin/env bash
# Tests the Go package (bindings/go) against a real ZooKeeper:
#   1. builds the library with cargo (skip with ZK_SKIP_BUILD=1: use target/release as is);
#   2. starts one ZooKeeper for the whole suite, with its TLS port (--tls: ZK_SECURE_HOSTS,
#      ZK_TLS_DIR), TTL nodes enabled (ZK_EXTENDED_TYPES=1 makes the TTL test strict) and
#      a container/TTL reaper that runs every 100 ms instead of every minute
#      (ZK_FAST_REAPER=1 turns on the test that waits for it);
#   3. starts a one-server quorum with dynamic reconfiguration (--reconfig) for the
#      reconfig tests: ZK_RECONFIG_HOSTS, and ZK_RECONFIG_MEMBER its server line;
#   4. runs `go vet ./...` and `go test -race -count=1 ./...` in bindings/go, with the
#      go command's own output, then stops the servers.
# Extra arguments go to `go test` (e.g. -run TestSessionExpiry -v). ZK_VERSION=3.9 runs the
# servers on ZooKeeper 3.9.5 instead of Debian's 3.8 (scripts/zkharness.py).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

say() { printf 'go-test: %s\n' "$*"; }
die() { printf 'go-test: error: %s\n' "$*" >&2; exit 2; }

[[ -x $GO ]] || die "no go command (set GO=/path/to/go)"
if [[ "${ZK_SKIP_BUILD:-0}" != 1 ]]; then
    say "cargo build --release"
    (cd "$root" && cargo build --release --quiet) || die "cargo build failed"
fi
[[ -f $root/target/release/libzkclient.a ]] || die "target/release/libzkclient.a missing"

zkdir=$(mktemp -d "${TMPDIR:-/tmp}/zkclient-gotest.XXXXXX")
rcdir=$(mktemp -d "${TMPDIR:-/tmp}/zkclient-gotest-reconfig.XXXXXX")
stop_server() {
    python3 "$root/scripts/zkharness.py" stop --dir "$zkdir" --remove >/dev/null 2>&1 || true
    python3 "$root/scripts/zkharness.py" stop --dir "$rcdir" --remove >/dev/null 2>&1 || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM
say "starting ZooKeeper in $zkdir"
python3 "$root/scripts/zkharness.py" start --dir "$zkdir" --parent-pid $$ --cleanup --tls \
    --extra extendedTypesEnabled=true --jvm-flag=-Dznode.container.checkIntervalMs=100 >/dev/null \
    || die "zkharness.py start failed (see $zkdir/zk1/server.log)"
# shellcheck disable=SC1091
. "$zkdir/cluster.env"
export ZK_HOSTS ZK_SECURE_HOSTS ZK_TLS_DIR ZK_EXTENDED_TYPES=1 ZK_FAST_REAPER=1
say "ZK_HOSTS=$ZK_HOSTS ZK_SECURE_HOSTS=$ZK_SECURE_HOSTS"
say "starting a reconfigurable ZooKeeper in $rcdir"
python3 "$root/scripts/zkharness.py" start --dir "$rcdir" --reconfig --parent-pid $$ --cleanup \
    >/dev/null || die "zkharness.py start --reconfig failed (see $rcdir/zk1/server.log)"
# In a subshell: its cluster.env names ZK_HOSTS too.
ZK_RECONFIG_HOSTS=$(. "$rcdir/cluster.env" && echo "$ZK_HOSTS")
ZK_RECONFIG_MEMBER=$(. "$rcdir/cluster.env" && echo "server.1=127.0.0.1:$ZK_SERVER_1_QUORUM_PORT:$ZK_SERVER_1_ELECTION_PORT:participant;127.0.0.1:$ZK_SERVER_1_PORT")
export ZK_RECONFIG_HOSTS ZK_RECONFIG_MEMBER
say "ZK_RECONFIG_HOSTS=$ZK_RECONFIG_HOSTS"

# The go command caches the compiled package by its own files and the CGO_* variables, not
# by the contents of include/zkclient.h or of the library it links: a changed header or a
# rebuilt library would go unseen (stale enums and struct layouts, or old code under test).
# Defines that name their hashes make both part of the cache key.
header_sum=$(sha1sum "$root/include/zkclient.h" | cut -c1-16)
lib_sum=$(sha1sum "$root/target/release/libzkclient.a" | cut -c1-16)
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -DZKGO_HEADER_SHA1=$header_sum -DZKGO_LIB_SHA1=$lib_sum"

cd "$root/bindings/go" || exit 2
rc=0
say "go vet ./..."
"$GO" vet ./... || rc=1
say "go test -race -count=1 ./... $*"
"$GO" test -race -count=1 "$@" ./... || rc=1
exit $rc

#!/usr/bin/env bash
# Profiles which of libzkclient's functions a C program runs, for the hot/cold code layout
# (scripts/hotlayout.py says why).
#
#   scripts/hot-profile.sh           makes scripts/hot-functions.txt again
#   scripts/hot-profile.sh --check   fails when scripts/hot-functions.txt misses more than
#                                    10 % of the code that runs now (by size)
#
# Runs bench/zkbench.c's workloads (connect, sync get/set/create/delete, async gets, 4
# threads, watches, close) under `valgrind --tool=callgrind` against a throwaway ZooKeeper.
# Instruction counts do not depend on the machine's load, so the list does not either.
set -uo pipefail
cd "$(dirname "$0")/.."

check=false
[[ ${1:-} == --check ]] && check=true
PY=${PY:-python3}
OUT=target/hot
mkdir -p "$OUT"
die() { echo "hot-profile: error: $*" >&2; exit 1; }

command -v valgrind >/dev/null || die "valgrind is missing (scripts/setup.sh installs it)"
# Profile the libraries `make install` builds (with and without TLS): inlining differs
# between builds, and a function that is inlined in one is a call of its own in another.
builds=(install install-notls)
for b in "${builds[@]}"; do
    flags=()
    [[ $b == install-notls ]] && flags=(NO_TLS=1)
    make -s install-build "${flags[@]}" >"$OUT/make-$b.log" 2>&1 \
        || { tail -20 "$OUT/make-$b.log" >&2; die "make install-build ${flags[*]} failed"; }
    cc -O2 -g -std=gnu11 -DUSE_ZKCLIENT -Iinclude -o "$OUT/zkbench-$b" bench/zkbench.c \
        "target/$b/release/libzkclient.a" -lpthread -ldl -lm || die "building zkbench failed"
done

# shellcheck source=scripts/throwaway-zk.sh
. scripts/throwaway-zk.sh

"$OUT/zkbench-install" setup hosts="$ZK_HOSTS" >/dev/null || die "zkbench setup failed"
rc=0
for b in "${builds[@]}"; do
    i=0
    for wl in "sync_get" "sync_set" "create_delete" "async_get inflight=16" "threads threads=4" \
        "watches watches=200" "watch_latency"; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        timeout 300 valgrind --tool=callgrind --dump-instr=yes \
            --callgrind-out-file="$work/cg.$b.$i" "$OUT/zkbench-$b" $wl hosts="$ZK_HOSTS" \
            seconds=0.5 warmup=10 >"$work/out" 2>"$work/err" \
            || { tail -5 "$work/err" >&2; die "callgrind run of '$wl' ($b) failed"; }
        grep -q '^RESULT ' "$work/out" || die "'$wl' ($b) printed no RESULT line"
    done
    "$PY" scripts/hotlayout.py record "$OUT/zkbench-$b" "$work"/cg."$b".* >"$work/fresh.$b" \
        || die "hotlayout.py record failed"
    if $check; then
        echo "hot-profile: $b build:"
        "$PY" scripts/hotlayout.py cover "$OUT/zkbench-$b" "$work/fresh.$b" || rc=1
    fi
done
if $check; then
    ((rc == 0)) || die "scripts/hot-functions.txt is stale: run scripts/hot-profile.sh and commit it"
    exit 0
fi
{
    echo "# functions that ran in scripts/hot-profile.sh's workloads; made by hotlayout.py"
    cat "$work"/fresh.* | grep -v '^#' | sort -u
} >scripts/hot-functions.txt
echo "hot-profile: wrote scripts/hot-functions.txt ($(grep -vc '^#' scripts/hot-functions.txt) functions)"

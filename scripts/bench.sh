#!/usr/bin/env bash
# Benchmarks libzkclient against three anchors on one local ZooKeeper server:
#   raw      bench/rawbench.c: the wire protocol by hand, one thread, blocking socket (floor)
#   cclient  the official C client (Debian libzookeeper-mt-dev), host re-resolution off
#   kazoo    the Python client (Debian python3-kazoo, /usr/bin/python3)
#   zkclient this library as C users link it: bench/zkbench.c linked with the shared
#            library that `make` builds (target/release/libzkclient.so, the file `make
#            install` copies)
#   zkclient-static  the same driver linked with target/release/libzkclient.a (peak RSS only)
#   cclient-on-zkclient  the official client's program (zkbench_cclient, the same binary as
#            cclient) run on libzookeeper_mt, this library's zookeeper.h (compat/), through
#            LD_LIBRARY_PATH: the price of the translation, and what a program written for
#            the official client gains without a rebuild
#   zkclient-notls  the shared library built without the `tls` cargo feature (`make
#            NO_TLS=1`, here in target/bench-notls; peak RSS only: what a user who needs no
#            TLS links; Debian's C client has no TLS)
# The lock recipe (lock_* workloads) runs for raw (its requests by hand: the floor), kazoo
# (zk.Lock) and zkclient (zk_lock_*); the official C client has none.
# bench/zkbench.c is one driver compiled for both C libraries. Every run is one process, one
# client, one workload, printing one RESULT line; each workload runs for each client in
# turn, the whole sequence BENCH_REPEAT times; bench/report.py prints the medians, our
# ratios to the anchors and the bar (PASS/MISS, never a failure), then the sync get's
# latency histograms of raw, the C client and ours, every repeat pooled
# (bench/latency_hist.py; the per-call latencies are in target/bench/lat/).
#
#   scripts/bench.sh           the full run (a few minutes; use a quiet machine)
#   scripts/bench.sh --smoke   a few seconds: every client and workload with tiny counts,
#                              one repeat; only checks that the benchmark still runs
#
# The server runs as the issue's figures were taken: unpinned, sharing both cores with the
# client. Its throughput is then bimodal: near 18k or near 35k gets/s from one run to the
# next, whichever client asks (the fast runs are those where the scheduler happens to keep
# the JVM's threads on one core), so the throughput workloads run three times per repeat
# (as peak RSS, which varies ±10 % with where ASLR puts the 64 KB fault-around windows,
# runs five times). The CPU per request of the one-at-a-time workloads (sync get, async
# get at 1 in flight) is bimodal the same way (raw's sync get: 9.4 or 13.9 µs, whether a
# reply wakes the client on the server's core or the other), and three samples made its
# bars a coin toss: they run three times per repeat too. Async gets at 256 in flight also
# run three times per repeat with the server pinned to core 0 (taskset; clients free): it
# then serves ~32-45k gets/s within a few percent from run to run, so that row, not the
# coin toss of the unpinned one, shows whether a client keeps up with the raw pipeline.
# BENCH_PIN_SERVER=1 pins the server for the whole run instead (every client's CPU per
# request then rises: each wake-up lands on an idle core).
#
# Environment (full run): BENCH_REPEAT (3), BENCH_SECONDS measured seconds per run (2),
# BENCH_WARMUP ops before measuring (500), BENCH_IDLE_CLIENTS (50), BENCH_WATCHES (10000),
# BENCH_PIN_SERVER (0), BENCH_LOCK_CLIENTS contenders on one lock (8), BENCH_CLIENTS
# (subset of "raw cclient kazoo zkclient zkclient-static zkclient-notls
# cclient-on-zkclient"), BENCH_WORKLOADS (subset of the labels: sync_get rss sync_set
# create_delete async_get_1 async_get_16 async_get_256 async_get_256_pinned threads_1
# threads_2 threads_8 threads_32 idle_clients watches watch_latency lock_uncontended
# lock_handoff lock_contended queue_roundtrip datawatch_latency tree_cache_init
# tree_cache_latency).
# Exit status: non-zero only if the build or the server start fails or a benchmark program
# crashes, errors or times out. RESULT lines go to target/bench/results.txt.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
smoke=false
case "${1:-}" in
    "") ;;
    --smoke) smoke=true ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac

# the exact command first
cmdline="scripts/bench.sh${1:+ $1}"
for v in $(compgen -e | grep '^BENCH_' | sort); do cmdline="$v=${!v} $cmdline"; done
echo "command: $cmdline"

if $smoke; then
    REPEAT=1 SECS=0.1 WARMUP=20 IDLE_K=4 WATCHES=200 TMO=60 SERVER_WARM=0.3 RSS_OPS=50
else
    REPEAT=${BENCH_REPEAT:-3} SECS=${BENCH_SECONDS:-2} WARMUP=${BENCH_WARMUP:-500}
    IDLE_K=${BENCH_IDLE_CLIENTS:-50} WATCHES=${BENCH_WATCHES:-10000} TMO=180 SERVER_WARM=5
    RSS_OPS=2000
fi
LOCK_K=${BENCH_LOCK_CLIENTS:-8}
CLIENTS=${BENCH_CLIENTS:-raw cclient kazoo zkclient zkclient-static zkclient-notls cclient-on-zkclient}
PY=/usr/bin/python3 # Debian's, which has kazoo
OUT=target/bench
mkdir -p "$OUT"

die() { echo "bench: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- build
bash scripts/setup.sh >/dev/null || die "scripts/setup.sh failed"
CFLAGS=(-O2 -g -Wall -Wextra -std=gnu11)
make -s >"$OUT/make.log" 2>&1 || { tail -20 "$OUT/make.log" >&2; die "make failed"; }
lib=$PWD/target/release
cc "${CFLAGS[@]}" -DUSE_ZKCLIENT -Iinclude -o "$OUT/zkbench_zkclient" bench/zkbench.c \
    -L"$lib" -lzkclient -Wl,-rpath,"$lib" || die "building zkbench (zkclient) failed"
cc "${CFLAGS[@]}" -DUSE_ZKCLIENT -Iinclude -o "$OUT/zkbench_zkclient_static" bench/zkbench.c \
    "$lib/libzkclient.a" -lpthread -ldl -lm || die "building zkbench (zkclient, static) failed"
# `make NO_TLS=1` in a target directory of its own, so that target/release keeps the default
# build the tests use
notls=$PWD/target/bench-notls/release
CARGO_TARGET_DIR=target/bench-notls make -s NO_TLS=1 >"$OUT/make-notls.log" 2>&1 \
    || { tail -20 "$OUT/make-notls.log" >&2; die "make NO_TLS=1 failed"; }
cc "${CFLAGS[@]}" -DUSE_ZKCLIENT -Iinclude -o "$OUT/zkbench_zkclient_notls" bench/zkbench.c \
    -L"$notls" -lzkclient -Wl,-rpath,"$notls" || die "building zkbench (zkclient without TLS) failed"
cc "${CFLAGS[@]}" -DUSE_ZOOKEEPER_MT -o "$OUT/zkbench_cclient" bench/zkbench.c \
    -lzookeeper_mt -lpthread || die "building zkbench (C client) failed"
cc "${CFLAGS[@]}" -o "$OUT/rawbench" bench/rawbench.c || die "building rawbench failed"
# the official client's binary on our libzookeeper_mt: its SONAME in a folder of its own
compat_lib=$PWD/$OUT/compat-lib
mkdir -p "$compat_lib"
ln -sf "$lib/libzookeeper_mt.so" "$compat_lib/libzookeeper_mt.so.2"
LD_LIBRARY_PATH=$compat_lib ldd "$OUT/zkbench_cclient" | grep "$compat_lib/libzookeeper_mt.so.2" >/dev/null \
    || die "zkbench_cclient does not load $compat_lib/libzookeeper_mt.so.2"
"$PY" -c 'import kazoo' 2>/dev/null || die "$PY cannot import kazoo (apt-get install python3-kazoo)"

# ---------------------------------------------------------------- server
# shellcheck source=scripts/throwaway-zk.sh
. scripts/throwaway-zk.sh
# pin_server MASK: the server's CPUs (every thread it has; those it starts later inherit)
pin_server() {
    taskset -a -p "$1" "$ZK_SERVER_1_PID" >/dev/null || die "taskset could not pin the server"
}
all_cpus=$(printf '%x' $(((1 << $(nproc)) - 1)))
pinned="unpinned"
pin_always=false
if [[ ${BENCH_PIN_SERVER:-0} != 0 ]] && (($(nproc) >= 2)); then
    pin_always=true
    pin_server 1
    pinned="pinned to core 0, clients free"
fi

echo "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: ZooKeeper $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null) standalone at $ZK_HOSTS, forceSync=no, $pinned;" \
    "C client libzookeeper-mt $(dpkg-query -W -f='${Version}' libzookeeper-mt-dev 2>/dev/null);" \
    "kazoo $("$PY" -c 'import kazoo.version as v; print(v.__version__)' 2>/dev/null)"
echo "libzkclient: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted src changes)')"
echo "per run: ${SECS} s measured after ${WARMUP} warm-up ops; repeats: $REPEAT; idle clients K=$IDLE_K; watches: $WATCHES; lock contenders: $LOCK_K"
echo

RESULTS=$OUT/results.txt
ERRLOG=$OUT/errors.txt
: >"$RESULTS"
: >"$ERRLOG"
rm -rf "$OUT/lat"
mkdir -p "$OUT/lat"
errors=0

# run CLIENT WORKLOAD [key=value...]: one benchmark process; its RESULT line to $RESULTS,
# tagged server=pinned when $pin_now says it belongs to a pinned row of the PLAN (with
# BENCH_PIN_SERVER=1 the whole run is pinned, and only those rows are tagged)
pin_now=false
run() {
    local client=$1 wl=$2
    shift 2
    local cmd
    case $client in
        raw) cmd=("$OUT/rawbench") ;;
        cclient) cmd=("$OUT/zkbench_cclient") ;;
        zkclient) cmd=("$OUT/zkbench_zkclient") ;;
        zkclient-static) cmd=("$OUT/zkbench_zkclient_static") ;;
        zkclient-notls) cmd=("$OUT/zkbench_zkclient_notls") ;;
        kazoo) cmd=("$PY" bench/kazoo_bench.py) ;;
        cclient-on-zkclient) cmd=(env LD_LIBRARY_PATH="$compat_lib" "$OUT/zkbench_cclient") ;;
    esac
    local out rc
    # the other builds of zkbench_zkclient name themselves
    [[ $client == zkclient-* || $client == cclient-* ]] && set -- "$@" client="$client"
    out=$(timeout -k 5 "$TMO" "${cmd[@]}" "$wl" hosts="$ZK_HOSTS" seconds="$SECS" \
        warmup="$WARMUP" "$@" 2>"$work/stderr")
    rc=$?
    local line
    line=$(grep '^RESULT ' <<<"$out" | tail -1)
    $pin_now && [[ -n $line ]] && line="$line server=pinned"
    if ((rc == 0)) && [[ -n $line ]]; then
        echo "$line" | tee -a "$RESULTS"
        if [[ -s $work/stderr ]]; then sed 's/^/  stderr: /' "$work/stderr"; fi
    else
        errors=$((errors + 1))
        local why="exit status $rc"
        ((rc == 124 || rc == 137)) && why="timed out after $TMO s"
        ((rc > 128 && rc != 137)) && why="killed by signal $((rc - 128))"
        ((rc == 0)) && why="no RESULT line"
        {
            echo "FAILED: $client $wl $* ($why)"
            sed 's/^/  stderr: /' "$work/stderr" | tail -20
            [[ -n $out ]] && sed 's/^/  stdout: /' <<<"$out" | tail -5
        } | tee -a "$ERRLOG"
    fi
}

# label|workload|args|clients that can run it[|pinned: with the server on core 0]
PLAN=(
    # CPU per request is bimodal: three runs per repeat (the latency histograms pool them)
    "sync_get|sync_get||raw cclient kazoo zkclient cclient-on-zkclient"
    "sync_get|sync_get||raw cclient kazoo zkclient cclient-on-zkclient"
    "sync_get|sync_get||raw cclient kazoo zkclient cclient-on-zkclient"
    # peak RSS: short, and noisy (±10 %), so five runs per repeat
    "rss|rss|ops=$RSS_OPS|raw cclient kazoo zkclient zkclient-static zkclient-notls cclient-on-zkclient"
    "rss|rss|ops=$RSS_OPS|raw cclient kazoo zkclient zkclient-static zkclient-notls cclient-on-zkclient"
    "rss|rss|ops=$RSS_OPS|raw cclient kazoo zkclient zkclient-static zkclient-notls cclient-on-zkclient"
    "rss|rss|ops=$RSS_OPS|raw cclient kazoo zkclient zkclient-static zkclient-notls cclient-on-zkclient"
    "rss|rss|ops=$RSS_OPS|raw cclient kazoo zkclient zkclient-static zkclient-notls cclient-on-zkclient"
    "sync_set|sync_set||raw cclient kazoo zkclient cclient-on-zkclient"
    "create_delete|create_delete||raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_1|async_get|inflight=1|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_1|async_get|inflight=1|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_1|async_get|inflight=1|raw cclient kazoo zkclient cclient-on-zkclient"
    # throughput at depth is the server's, which is bimodal: three runs per repeat
    "async_get_16|async_get|inflight=16|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_16|async_get|inflight=16|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_16|async_get|inflight=16|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_256|async_get|inflight=256|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_256|async_get|inflight=256|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_256|async_get|inflight=256|raw cclient kazoo zkclient cclient-on-zkclient"
    "async_get_256_pinned|async_get|inflight=256|raw cclient kazoo zkclient cclient-on-zkclient|pinned"
    "async_get_256_pinned|async_get|inflight=256|raw cclient kazoo zkclient cclient-on-zkclient|pinned"
    "async_get_256_pinned|async_get|inflight=256|raw cclient kazoo zkclient cclient-on-zkclient|pinned"
    "threads_1|threads|threads=1|cclient kazoo zkclient cclient-on-zkclient"
    "threads_2|threads|threads=2|cclient kazoo zkclient cclient-on-zkclient"
    "threads_8|threads|threads=8|cclient kazoo zkclient cclient-on-zkclient"
    "threads_32|threads|threads=32|cclient kazoo zkclient cclient-on-zkclient"
    "idle_clients|idle_clients|clients=$IDLE_K|cclient kazoo zkclient cclient-on-zkclient"
    "watches|watches|watches=$WATCHES|cclient kazoo zkclient cclient-on-zkclient"
    "watch_latency|watch_latency||cclient kazoo zkclient cclient-on-zkclient"
    # the lock recipe (the official C client has none); contenders' throughput is the
    # loaded server's, as noisy as the async gets': three runs per repeat
    "lock_uncontended|lock_uncontended||raw kazoo zkclient"
    "lock_handoff|lock_handoff||raw kazoo zkclient"
    "lock_contended|lock_contended|clients=$LOCK_K|raw kazoo zkclient"
    "lock_contended|lock_contended|clients=$LOCK_K|raw kazoo zkclient"
    "lock_contended|lock_contended|clients=$LOCK_K|raw kazoo zkclient"
    # the queue recipe beside kazoo's Queue: put + get of one entry
    "queue_roundtrip|queue_roundtrip||kazoo zkclient"
    # the DataWatch recipe beside kazoo's (set -> the recipe's callback with the new data)
    "datawatch_latency|datawatch_latency||kazoo zkclient"
    # the tree cache over the `watches` nodes of /bench/w (kazoo's TreeCache and ours;
    # the official C client has none)
    "tree_cache_init|tree_cache_init||kazoo zkclient"
    "tree_cache_latency|tree_cache_latency||kazoo zkclient"
)

# nodes: /bench, /bench/data (100 bytes), /bench/w/n000000.. for the watch workload
run cclient setup watches="$WATCHES"
# the server's JIT: warm it before anything is measured (results discarded)
if ((errors == 0)); then
    timeout -k 5 "$TMO" "$OUT/rawbench" async_get inflight=64 seconds="$SERVER_WARM" warmup=0 \
        >/dev/null 2>"$work/stderr" || { errors=$((errors + 1)); echo "FAILED: server warm-up"; cat "$work/stderr"; }
    timeout -k 5 "$TMO" "$OUT/rawbench" create_delete seconds="$SERVER_WARM" warmup=0 \
        >/dev/null 2>"$work/stderr" || { errors=$((errors + 1)); echo "FAILED: server warm-up"; cat "$work/stderr"; }
    # the lock's requests too (sequential ephemerals, children, watches), when it runs
    if [[ -z ${BENCH_WORKLOADS:-} || " $BENCH_WORKLOADS " == *" lock_"* ]]; then
        timeout -k 5 "$TMO" "$OUT/rawbench" lock_contended clients="$LOCK_K" seconds="$SERVER_WARM" \
            warmup=0 >/dev/null 2>"$work/stderr" || { errors=$((errors + 1)); echo "FAILED: server warm-up"; cat "$work/stderr"; }
    fi
fi

read -r -a client_list <<<"$CLIENTS"
nc=${#client_list[@]}
for ((rep = 0; rep < REPEAT; rep++)); do
    echo "== repeat $((rep + 1)) of $REPEAT"
    prev=
    row=0
    for entry in "${PLAN[@]}"; do
        # the smoke run only checks that each workload runs: once is enough
        if $smoke && [[ $entry == "$prev" ]]; then continue; fi
        prev=$entry
        row=$((row + 1))
        IFS='|' read -r label wl args supported pin <<<"$entry"
        if [[ -n ${BENCH_WORKLOADS:-} && " $BENCH_WORKLOADS " != *" $label "* ]]; then continue; fi
        if [[ -n $pin ]]; then
            (($(nproc) >= 2)) || continue # one core: nothing to pin the server to
            $pin_always || pin_server 1
            pin_now=true
        fi
        # rotate the order of the clients from one repeat to the next
        for ((i = 0; i < nc; i++)); do
            client=${client_list[$(((i + rep) % nc))]}
            [[ " $supported " == *" $client "* ]] || continue
            extra=()
            # the sync gets' latencies, for the histograms after the summary
            if [[ $label == sync_get && $client != kazoo ]]; then
                extra=(lat_out="$OUT/lat/$client.$rep.$row.txt")
            fi
            # shellcheck disable=SC2086
            run "$client" "$wl" $args "${extra[@]}"
        done
        if [[ -n $pin ]]; then
            $pin_always || pin_server "$all_cpus"
            pin_now=false
        fi
    done
done

echo
echo "== summary ($cmdline)"
"$PY" bench/report.py "$RESULTS" --watches "$WATCHES" --clients "$IDLE_K" --lock-clients "$LOCK_K"
# the sync get's latency histograms, every repeat pooled (bench/latency_hist.py)
hist=()
for c in raw cclient zkclient cclient-on-zkclient; do
    files=$(compgen -G "$OUT/lat/$c.*.txt" | paste -sd, -)
    [[ -n $files ]] && hist+=("$c=$files")
done
if ((${#hist[@]} > 0)); then
    echo
    echo "sync get latency, all repeats pooled (bench/latency_hist.py):"
    "$PY" bench/latency_hist.py "${hist[@]}" || errors=$((errors + 1))
fi
echo
echo "RESULT lines: $RESULTS"
if ((errors > 0)); then
    echo "bench: $errors benchmark run(s) failed; see $ERRLOG" >&2
    exit 1
fi
exit 0

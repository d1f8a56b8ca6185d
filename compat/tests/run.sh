#!/usr/bin/env bash
# The drop-in proof of libzookeeper_mt (compat/): everything below runs once on Debian's
# libzookeeper_mt.so.2 and once on ours, loaded through LD_LIBRARY_PATH by the same
# binaries, against one real ZooKeeper that scripts/zkharness.py starts: Debian's 3.8, or
# 3.9.5 with ZK_VERSION=3.9 (scripts/test.sh runs the suite on 3.8 only: docs/compat.md
# says why).
#
#   1. exports: ours has the SONAME libzookeeper_mt.so.2 and exports exactly the names
#      Debian's libzookeeper_mt.so.2 does (functions as functions, data at the official
#      sizes): every one a program could link, so every import of Debian's cli_mt and
#      load_gen, and none of libzkclient's zk_* API;
#   2. compat_test.c, compiled once against Debian's zookeeper.h, on both libraries;
#   3. Debian's cli_mt, unchanged: one scripted session (create in every mode, get, set,
#      ls, ls2, exists, wexists, watches fired by another session, delete, sync, auth,
#      error codes) whose transcript, with session ids, times and zxids masked, must be the
#      same on both libraries;
#   4. Debian's load_gen, unchanged: its create/write/read/delete cycles for a few seconds
#      without an error, then its `clean` run to completion.
#
#   [ZK_VERSION=3.9] compat/tests/run.sh
#                              (ZK_SKIP_BUILD=1: use target/release/libzookeeper_mt.so as is)
#
# Last line: "compat: N passed, M failed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/target/compat
cd "$root"
mkdir -p "$out/lib"

say() { printf 'compat: %s\n' "$*"; }
die() { printf 'compat: error: %s\n' "$*" >&2; exit 2; }

CLI=/usr/lib/zookeeper/bin/cli_mt
LOADGEN=/usr/lib/zookeeper/bin/load_gen
official=$(ls /usr/lib/*/libzookeeper_mt.so.2 2>/dev/null | head -1)
[[ -x $CLI && -x $LOADGEN ]] || die "cli_mt or load_gen missing (apt-get install zookeeper-bin; scripts/setup.sh does)"
[[ -n $official ]] || die "Debian's libzookeeper_mt.so.2 missing (apt-get install libzookeeper-mt-dev)"

if [[ ${ZK_SKIP_BUILD:-0} != 1 ]]; then
    say "cargo build --release -p zookeeper-compat"
    cargo build --release --locked --quiet -p zookeeper-compat || die "cargo build failed"
fi
ours_so=$root/target/release/libzookeeper_mt.so
[[ -f $ours_so ]] || die "$ours_so missing"
# The name programs ask for, in a folder of its own: LD_LIBRARY_PATH=$out/lib.
ln -sf "$ours_so" "$out/lib/libzookeeper_mt.so.2"

passed=0
failed=0
pass() { passed=$((passed + 1)); say "ok   $*"; }
fail() { failed=$((failed + 1)); say "FAIL $*"; }

# ---------------------------------------------------------------- 1. exports
check_exports() {
    local soname
    soname=$(objdump -p "$ours_so" | awk '$1 == "SONAME" { print $2 }')
    [[ $soname == libzookeeper_mt.so.2 ]] || { echo "SONAME is '$soname'"; return 1; }
    local ok=0
    # the same names as Debian's library, functions as functions: nothing missing that a
    # program could link, nothing more (none of libzkclient's zk_* API)
    kinds() { nm -D --defined-only "$1" | awk '{ print $3, ($2 ~ /^[Tt]$/ ? "function" : "data") }' | LC_ALL=C sort; }
    local missing extra
    missing=$(LC_ALL=C comm -23 <(kinds "$official") <(kinds "$ours_so"))
    extra=$(LC_ALL=C comm -13 <(kinds "$official") <(kinds "$ours_so"))
    [[ -z $missing ]] || { echo "Debian's library exports, ours does not:" $missing; ok=1; }
    [[ -z $extra ]] || { echo "ours exports, Debian's library does not:" $extra; ok=1; }
    (($(kinds "$official" | grep -c ' function$') >= 150)) \
        || { echo "fewer functions in Debian's library than expected: is $official the 3.8 client?"; ok=1; }
    for bin in "$CLI" "$LOADGEN"; do
        for sym in $(nm -D --undefined-only "$bin" | awk '{print $2}' | grep -v '@'); do
            [[ $sym == _* ]] && continue
            nm -D --defined-only "$ours_so" | awk '{print $3}' | grep -qx "$sym" \
                || { echo "$bin imports $sym, which ours lacks"; ok=1; }
        done
    done
    # data symbols: the same sizes as the official library's (programs copy them)
    while read -r name size; do
        local mine
        mine=$(nm -D -S --defined-only "$ours_so" | awk -v n="$name" '$4 == n { print $2 }')
        [[ $((16#${mine:-0})) == $((16#$size)) ]] || { echo "$name: size $mine, official $size"; ok=1; }
    done < <(nm -D -S --defined-only "$official" | awk '$3 ~ /^[DRB]$/ { print $4, $2 }')
    return $ok
}
if check_exports; then pass "exports"; else fail "exports"; fi

# ---------------------------------------------------------------- server
zkdir=$out/zk
python3 scripts/zkharness.py stop --dir "$zkdir" >/dev/null 2>&1 || true
python3 scripts/zkharness.py start --dir "$zkdir" --parent-pid $$ --cleanup \
    --extra extendedTypesEnabled=true >"$out/zk-start.log" 2>&1 \
    || die "zkharness.py start failed (see $zkdir/zk1/server.log)"
trap 'python3 scripts/zkharness.py stop --dir "$zkdir" >/dev/null 2>&1' EXIT
# shellcheck source=/dev/null
. "$zkdir/cluster.env"
export ZK_HOSTS

# ---------------------------------------------------------------- 2. the C suite
gcc -std=gnu11 -Wall -Wextra -Werror -g -O1 -I/usr/include/zookeeper "$here/compat_test.c" \
    -o "$out/compat_test" -lzookeeper_mt -lpthread || die "compiling compat_test.c failed"
for lib in official ours; do
    libpath=""
    [[ $lib == ours ]] && libpath=$out/lib
    if LD_LIBRARY_PATH=$libpath ZKCOMPAT_LIB=$lib timeout -k 5 120 "$out/compat_test" \
        >"$out/suite-$lib.log" 2>&1; then
        pass "compat_test.c on the $lib library ($(tail -1 "$out/suite-$lib.log"))"
    else
        fail "compat_test.c on the $lib library:"
        grep -v 'ZOO_ERROR' "$out/suite-$lib.log" | tail -20
    fi
done

# ---------------------------------------------------------------- 3. cli_mt
# One line a step, with pauses for the async replies. Where the order of the transcript
# would hang on timing, the feeder waits for what it needs in the output instead: the
# session before the first command, the second session's changes (it creates a node the
# first watches and sets one it watches, once the first has set its watches, and then
# lets it go on), and the last reply before `quit` (which ends what is still pending with
# ZCLOSING).

# await FILE PATTERN [N]: waits up to 15 s until FILE has N (1) lines matching PATTERN
await() {
    local file=$1 pattern=$2 n=${3:-1} i c
    for ((i = 0; i < 150; i++)); do
        c=$(grep -c -- "$pattern" "$file" 2>/dev/null)
        ((${c:-0} >= n)) && return 0
        sleep 0.1
    done
    echo "compat: waited 15 s for '$pattern' in $file" >&2
    return 1
}

cli_session() {
    local lib=$1 base=/cli-$1
    local libpath="" raw=$out/cli-$lib.raw other=$out/cli-$lib-other.raw
    [[ $lib == ours ]] && libpath=$out/lib
    rm -f "$raw" "$other" "$out/cli-$lib.ready" "$out/cli-$lib.go"
    {
        await "$raw" 'state = CONNECTED_STATE'
        for line in "create $base" "create +e $base/eph" "create +s $base/seq-" \
            "create +es $base/eseq-" "create +c $base/cont" "create +t=60000 $base/ttl" \
            "create2 $base/two" "create $base" "create $base/no/parent" \
            "get $base" "set $base hello" "get $base" "ls $base" "ls2 $base" \
            "exists $base/two" "wexists $base/later" "exists $base/missing"; do
            echo "$line"
            sleep 0.2
        done
        echo ready >"$out/cli-$lib.ready"
        # the other session creates $base/later (a created and a child event) and sets
        # $base (a changed event: the second, after this session's own set)
        await "$out/cli-$lib.go" go
        await "$raw" "CREATED_EVENT.*$base/later"
        await "$raw" "CHANGED_EVENT.*$base\$" 2
        for line in "sync $base" "delete $base/missing" "delete $base" \
            "addauth digest alice:secret" "create $base/after-auth" "delete $base/after-auth" \
            "delete $base/two" "delete $base/cont" "delete $base/ttl" "delete $base/later"; do
            echo "$line"
            sleep 0.2
        done
        await "$raw" "$base/later: rc ="
        echo quit
    } | LD_LIBRARY_PATH=$libpath timeout -k 5 90 "$CLI" "$ZK_HOSTS" >"$raw" 2>&1 &
    local first=$!
    await "$out/cli-$lib.ready" ready
    {
        await "$other" 'state = CONNECTED_STATE'
        echo "create $base/later"
        await "$other" "\[$base/later\]: rc ="
        echo "set $base changed"
        await "$other" "^$base: rc ="
        echo quit
    } | LD_LIBRARY_PATH=$libpath timeout -k 5 60 "$CLI" "$ZK_HOSTS" >"$other" 2>&1
    echo go >"$out/cli-$lib.go"
    wait "$first"
    # mask what differs from run to run: session ids, times, zxids, sequence numbers,
    # the library's own log lines and the per-library node names
    sed -E -e "s#/cli-$lib#/cli-X#g" \
        -e 's/0x[0-9a-f]+/0xID/g' -e 's/time = [0-9]+ msec/time = T msec/' \
        -e 's/(ctime|mtime) ?= ?.*/\1 = T/' -e 's/(czxid|mzxid)=[0-9a-f]+/\1=Z/' \
        -e 's/ephemeralOwner = [0-9a-f]+/ephemeralOwner = E/' -e 's/-[0-9]{10}/-SEQ/g' \
        -e '/ZOO_(ERROR|WARN|INFO|DEBUG)@/d' "$raw" >"$out/cli-$lib.txt"
}
cli_session official
cli_session ours
if ! grep -q 'CREATED_EVENT.*/cli-X/later' "$out/cli-official.txt"; then
    fail "cli_mt: the official library's transcript lacks the other session's events (see $out/cli-official.txt)"
elif diff -u "$out/cli-official.txt" "$out/cli-ours.txt" >"$out/cli.diff"; then
    pass "cli_mt session: the same transcript on both libraries ($(wc -l <"$out/cli-ours.txt") lines)"
else
    fail "cli_mt session: transcripts differ:"
    cat "$out/cli.diff"
fi

# ---------------------------------------------------------------- 4. load_gen
for lib in official ours; do
    libpath=""
    [[ $lib == ours ]] && libpath=$out/lib
    LD_LIBRARY_PATH=$libpath timeout -s INT 4 "$LOADGEN" "$ZK_HOSTS" "/lg-$lib" 20 \
        >"$out/load_gen-$lib.log" 2>&1
    cycles=$(grep -c 'Starting the delete cycle' "$out/load_gen-$lib.log")
    errors=$(grep -c 'ZOO_ERROR@' "$out/load_gen-$lib.log")
    LD_LIBRARY_PATH=$libpath timeout 30 "$LOADGEN" "$ZK_HOSTS" "/lg-$lib" clean \
        >>"$out/load_gen-$lib.log" 2>&1
    rc=$?
    if ((cycles >= 2 && errors == 0 && rc == 0)) && grep -q 'Successfully deleted' "$out/load_gen-$lib.log"; then
        pass "load_gen on the $lib library ($cycles cycles of 20 nodes in 4 s, clean run to completion)"
    else
        fail "load_gen on the $lib library: $cycles cycles, $errors errors, clean exit $rc"
        tail -5 "$out/load_gen-$lib.log"
    fi
done

say "$passed passed, $failed failed"
((failed == 0))

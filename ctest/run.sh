#!/usr/bin/env bash
# Builds libzkclient with its test hooks, builds the C tests with ASan+UBSan (and plain, for
# valgrind, unless CTEST_NO_VALGRIND=1), starts one ZooKeeper for the whole suite, and runs
# the tests under ASan+UBSan and then under valgrind.
#
#   ctest/run.sh [-x NAME-SUBSTRING]... [NAME-SUBSTRING...]
#                         (arguments select tests, as for ctest/bin/zktest: -x faults_
#                          leaves out the fault tests, which start ensembles of their own)
#
# Environment:
#   ZK_SKIP_BUILD=1        do not build the library (use target/ctest/release as it is;
#                          it must have been built with the test hooks, as below)
#   CTEST_NO_VALGRIND=1    skip the valgrind run (for quick local runs; CI runs both)
#   ZKTEST_THREAD_OPS=N    set+get rounds per thread of the 16-thread test (default 1000,
#                          for both runs: about 10 s under valgrind on two cores)
#   ZK_VERSION=3.9         run every server (this one and the fault tests' ensembles) on
#                          ZooKeeper 3.9.5 instead of Debian's 3.8 (scripts/zkharness.py)
#
# A run fails (and counts one failure in the totals) when its binary crashes or does not
# print its summary, or when ASan, LSan or UBSan print a report, or when valgrind finds an
# error or a definite/indirect leak. The last line is "ctest: N passed, M failed", N and M
# summed over both runs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=$here/bin
lib=$root/target/ctest/release
cd "$root"

say() { printf 'ctest: %s\n' "$*"; }
die() { printf 'ctest: error: %s\n' "$*" >&2; exit 2; }

if [[ "${ZK_SKIP_BUILD:-0}" != 1 ]]; then
    # The test hooks (zk__test_panic) in a target directory of their own, so the library
    # that `make` builds and `make install` copies never carries them.
    say "cargo build --release --features test-hooks (target/ctest)"
    CARGO_TARGET_DIR=$root/target/ctest cargo build --release --locked --quiet \
        --features test-hooks || die "cargo build failed"
fi
[[ -f $lib/libzkclient.so ]] || die "$lib/libzkclient.so missing (build the library first)"
# The .so asks for its SONAME (libzkclient.so.MAJOR) at run time; `make` makes that link
# in target/release, and this does it here.
soname=$(objdump -p "$lib/libzkclient.so" | awk '$1 == "SONAME" { print $2 }')
[[ -n $soname ]] && ln -sf libzkclient.so "$lib/$soname"
# The panic test calls zk__test_panic, which only a test-hooks build exports. grep reads
# all of nm's output (no -q): under pipefail, nm killed by SIGPIPE would fail the check.
nm -D --defined-only "$lib/libzkclient.so" | grep ' zk__test_panic$' >/dev/null \
    || die "$lib/libzkclient.so has no test hooks: build it as ctest/run.sh does"

mkdir -p "$bin"
sources=("$here"/zktest.c "$here"/test_*.c)
cflags=(-std=c99 -Wall -Wextra -Werror -g -I"$here" -I"$root/include")
ldflags=(-L"$lib" -lzkclient -Wl,-rpath,"$lib" -lpthread)
if [[ "${CTEST_NO_VALGRIND:-0}" != 1 ]]; then
    say "compiling (ASan+UBSan, and plain for valgrind)"
    gcc "${cflags[@]}" -O0 "${sources[@]}" "${ldflags[@]}" -o "$bin/zktest" \
        || die "compiling the plain build failed"
else
    say "compiling (ASan+UBSan)"
fi
gcc "${cflags[@]}" -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
    "${sources[@]}" "${ldflags[@]}" -o "$bin/zktest-asan" || die "compiling the ASan build failed"

# One server for the whole suite. The container and TTL tests need the server's reaper
# to run often (its default is once a minute); the TLS tests need its secure port
# (--tls: ZK_SECURE_HOSTS and the certificates in ZK_TLS_DIR; making them takes ~10 s);
# the SASL tests need a DIGEST-MD5 user (--sasl-digest: bob, password pw).
zkdir=$(mktemp -d "${TMPDIR:-/tmp}/zkclient-ctest.XXXXXX")
stop_server() {
    python3 "$root/scripts/zkharness.py" stop --dir "$zkdir" --remove >/dev/null 2>&1 || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM
say "starting ZooKeeper in $zkdir"
python3 "$root/scripts/zkharness.py" start --dir "$zkdir" --parent-pid $$ --cleanup --tls \
    --sasl-digest bob=pw --jvm-flag=-Dznode.container.checkIntervalMs=100 >/dev/null \
    || die "zkharness.py start failed (see $zkdir/zk1/server.log)"
# shellcheck disable=SC1091
. "$zkdir/cluster.env"
export ZK_HOSTS ZK_SECURE_HOSTS ZK_TLS_DIR
say "ZK_HOSTS=$ZK_HOSTS ZK_SECURE_HOSTS=$ZK_SECURE_HOSTS"

total_passed=0
total_failed=0

# check_run NAME LOG EXIT-CODE REPORT-PATTERN: adds the run's counts to the totals.
check_run() {
    local name=$1 log=$2 rc=$3 pattern=$4 summary passed failed
    summary=$(grep -E '^zktest: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [[ -z $summary ]]; then
        say "$name: no summary line (crash or time limit; exit code $rc)"
        total_failed=$((total_failed + 1))
        return
    fi
    passed=$(sed -E 's/^zktest: ([0-9]+) passed.*/\1/' <<<"$summary")
    failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$summary")
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    if grep -qE "$pattern" "$log"; then
        say "$name: sanitizer/valgrind report in $log:"
        grep -E "$pattern" "$log" | head -n 20
        total_failed=$((total_failed + 1))
    elif [[ $rc -ne 0 && $failed -eq 0 ]]; then
        say "$name: exit code $rc with no failed test"
        total_failed=$((total_failed + 1))
    fi
    say "$name: $passed passed, $failed failed"
}

asan_log=$bin/asan.log
say "running under ASan+UBSan (log: $asan_log)"
start=$SECONDS
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
LSAN_OPTIONS=report_objects=1 \
UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin/zktest-asan" "$@" 2>&1 | tee "$asan_log"
rc=${PIPESTATUS[0]}
say "ASan run took $((SECONDS - start)) s"
check_run asan "$asan_log" "$rc" 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'

if [[ "${CTEST_NO_VALGRIND:-0}" != 1 ]]; then
    command -v valgrind >/dev/null || die "valgrind not installed (scripts/setup.sh installs it)"
    vg_log=$bin/valgrind.log
    say "running under valgrind (log: $vg_log)"
    start=$SECONDS
    # Waits and per-test time limits stretch 5x: valgrind runs everything on one core.
    ZKTEST_TIME_SCALE=5 \
    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=99 --suppressions="$here/valgrind.supp" --num-callers=40 \
        "$bin/zktest" "$@" 2>&1 | tee "$vg_log"
    rc=${PIPESTATUS[0]}
    say "valgrind run took $((SECONDS - start)) s"
    # 99 is valgrind's own verdict; the pattern catches a report even if the exit code is
    # hidden by a failed test's.
    check_run valgrind "$vg_log" "$rc" 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]'
    if [[ $rc -eq 99 ]] && ! grep -qE 'ERROR SUMMARY: [1-9]|lost: [1-9]' "$vg_log"; then
        total_failed=$((total_failed + 1))
    fi
fi

echo "ctest: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]

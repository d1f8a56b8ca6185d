#!/usr/bin/env bash
# Runs every test suite of libzkclient on this machine, doing all set-up first:
#   1. scripts/setup.sh installs what is missing (ZooKeeper, valgrind, ...).
#   2. Rust: unit tests (codec golden bytes, paths, retry arithmetic), the header drift
#      and version check, and the integration tests against real ZooKeeper servers that
#      the harness starts (once per test binary) and stops by process id.
#   3. C: ctest/ against a real server, under AddressSanitizer and under valgrind.
#   4. The sample CLI (bindings/c/zkcli) against a real server.
#   5. clippy with warnings as errors, and rustfmt --check.
# Exits non-zero if anything fails. The last line is "all: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

bash scripts/setup.sh || exit 1

passed=0
failed=0
failures=()
suite() {
    local name=$1
    shift
    echo
    echo "==> $name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "==> $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "==> $name: FAILED ($((SECONDS - start)) s)"
    fi
}

suite "build (release)" cargo build --release --locked
suite "rust tests (unit, header, integration vs real ZooKeeper)" cargo test --release --locked
suite "C tests (ASan + valgrind, real ZooKeeper)" env ZK_SKIP_BUILD=1 bash ctest/run.sh
suite "zkcli smoke (real ZooKeeper)" bash scripts/zkcli-smoke.sh
suite "clippy -D warnings" cargo clippy --release --locked --all-targets -- -D warnings
suite "rustfmt --check" cargo fmt --check

echo
if ((failed > 0)); then
    echo "failed suites: ${failures[*]}"
fi
echo "all: $passed passed, $failed failed"
((failed == 0))

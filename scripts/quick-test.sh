#!/usr/bin/env bash
# A contributor's quick check before a commit: the suites that catch most mistakes, in a
# few minutes. scripts/test.sh runs everything (both build modes, valgrind, the fault
# tests, Go, install, the README's quick starts) and is what a merge needs.
#   1. the release build (what the C tests link);
#   2. Rust: the unit tests, the header drift check, and the integration tests of
#      operations, watches and sessions against real ZooKeeper servers;
#   3. C: ctest/ under AddressSanitizer, without the valgrind run;
#   4. clippy with warnings as errors, and rustfmt --check.
#
#   scripts/quick-test.sh [TEST...]   also the integration tests TEST (tests/TEST.rs)
#
# Exits non-zero if anything fails. The last line is "quick-test: N passed, M failed (T s)".
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

tests=(client_ops client_watches client_session)
for t in "$@"; do
    [[ -f tests/$t.rs ]] || { echo "quick-test: no tests/$t.rs" >&2; exit 2; }
    tests+=("$t")
done

# shellcheck source=scripts/suite.sh
. scripts/suite.sh

targets=(--lib --test header)
for t in "${tests[@]}"; do targets+=(--test "$t"); done

suite "build (release)" cargo build --release --locked
suite "rust: unit tests, header, ${tests[*]}" cargo test --locked "${targets[@]}"
suite "C tests (ASan, real ZooKeeper; builds its test-hooks library)" env CTEST_NO_VALGRIND=1 bash ctest/run.sh
suite "clippy -D warnings" cargo clippy --locked --all-targets -- -D warnings
suite "rustfmt --check" cargo fmt --all --check

suite_summary quick-test

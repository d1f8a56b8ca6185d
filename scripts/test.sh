#!/usr/bin/env bash
# Runs every test suite of libzkclient on this machine, doing all set-up first:
#   1. scripts/setup.sh installs what is missing (ZooKeeper, valgrind, ...).
#   2. Rust: `make` (cargo build --release), then unit tests (codec golden bytes, paths,
#      retry arithmetic), the header drift and version check, and the integration tests
#      against real ZooKeeper servers that the harness starts (once per test binary) and
#      stops by process id; the fault and chaos binaries run in the background beside the
#      others, as they mostly wait on their servers. They run in the dev profile: quicker to build than LTO'd release
#      binaries, and overflow checks on. Then the unit tests and two integration tests
#      again, built without TLS (--no-default-features), the library's other build mode.
#   3. C: ctest/ against a real server, under AddressSanitizer and under valgrind (with
#      its own build of the library that has the test hooks, in target/ctest).
#   4. Go: go vet and go test -race in bindings/go against a real server; the README's
#      quick starts (C, Go, Rust) built and run verbatim against a real server.
#   Steps 2-4 run on Debian's ZooKeeper 3.8. The operation, watch and session tests run a
#   second time on ZooKeeper 3.9.5 (ZK_VERSION=3.9; setup.sh fetches it): Rust's
#   tests/client_*.rs and read-only mode on a 3.9 ensemble (faults_readonly), the C tests
#   but the fault ones (under ASan), and the Go tests. The fault and chaos suites, valgrind
#   and the other steps stay on 3.8 alone, to keep the whole command well under 30 minutes.
#   The drop-in for the official C client (compat/): one C suite compiled against Debian's
#   zookeeper.h, run on Debian's libzookeeper_mt and on ours, and Debian's cli_mt and
#   load_gen unchanged on ours.
#   5. make install into a temp prefix, then C, C++, the C samples and Go built against it
#      with pkg-config, outside the tree.
#   6. The sample CLI (bindings/c/zkcli: every command in one-shot mode, its shell beside
#      Debian's zkCli.sh, and on a terminal driven through tmux; scripts/zkcli.sh) and the
#      benchmark's smoke run, on real servers.
#   7. The model check of the socket-reading hand-off (loom, src/session/reader/model.rs),
#      started after the build and run niced in the background beside steps 2-6.
#   8. The fuzz targets build (fuzz/; the unit tests replay their corpus).
#   9. clippy with warnings as errors (with and without TLS), and rustfmt --check.
# Exits non-zero if anything fails. The last line is "all: N passed, M failed (T s)".
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

bash scripts/setup.sh || exit 1
# The server of every suite that does not name another (scripts/zkharness.py reads it), so
# a ZK_VERSION left in the environment cannot move them.
export ZK_VERSION=3.8

# shellcheck source=scripts/suite.sh
. scripts/suite.sh

suite "build (make: cargo build --release)" make
# The reader hand-off (src/session/reader.rs), the shipped code under loom's primitives,
# in every interleaving at preemption bound 2. Its own target directory (the cfg changes
# every crate's build), optimised without LTO: loom's search is the slow part. It needs
# no server and takes minutes of CPU, so it runs niced beside the suites below, which
# spend most of their time waiting on servers; its result is reported in its place.
loom="model check of the reader hand-off (loom)"
suite_bg "$loom" env RUSTFLAGS="--cfg loom" \
    CARGO_TARGET_DIR=target/loom CARGO_PROFILE_RELEASE_LTO=off \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo test --locked --release -p zkclient --lib reader::model
# The integration tests in two halves run at once: the fault and chaos suites (three-server
# ensembles, proxies and partitions; most of their time is spent waiting on servers, and
# they are over half of the whole) in the background at normal priority (their timings
# are sessions'), and every other test binary here. Both share the build made first.
suite "rust tests: build" cargo test --locked --no-run
fault_tests=()
other_tests=()
for f in tests/*.rs; do
    n=$(basename "$f" .rs)
    case $n in
    faults_* | chaos) fault_tests+=(--test "$n") ;;
    *) other_tests+=(--test "$n") ;;
    esac
done
faults="rust fault and chaos tests (ensembles, proxies, partitions; real ZooKeeper 3.8)"
SUITE_BG_NICE=0 suite_bg "$faults" cargo test --locked "${fault_tests[@]}"
suite "rust tests (unit, header, integration vs real ZooKeeper 3.8)" \
    cargo test --locked --lib "${other_tests[@]}"
suite_join "$faults"
suite "rust tests without TLS (--no-default-features: unit, no_tls, client_ops)" \
    cargo test --locked --no-default-features --lib --test no_tls --test client_ops
# Every tests/client_*.rs, whichever exist: the operation, watch and session tests.
client_tests=()
for f in tests/client_*.rs; do
    client_tests+=(--test "$(basename "$f" .rs)")
done
suite "rust tests on ZooKeeper 3.9.5 (client_*, faults_readonly)" env ZK_VERSION=3.9 \
    cargo test --locked "${client_tests[@]}" --test faults_readonly
suite "C tests (ASan + valgrind, real ZooKeeper 3.8; builds its test-hooks library)" bash ctest/run.sh
suite "C tests on ZooKeeper 3.9.5 (ASan; all but the fault tests)" env ZK_VERSION=3.9 \
    CTEST_NO_VALGRIND=1 bash ctest/run.sh -x faults_
suite "zookeeper.h drop-in: libzookeeper_mt vs Debian's (C suite, cli_mt, load_gen; real ZooKeeper 3.8)" \
    bash compat/tests/run.sh
suite "Go tests (vet, -race, real ZooKeeper 3.8)" env ZK_SKIP_BUILD=1 bash scripts/go-test.sh
suite "Go tests on ZooKeeper 3.9.5 (vet, -race)" env ZK_VERSION=3.9 ZK_SKIP_BUILD=1 \
    bash scripts/go-test.sh
suite "README quick starts (C, Go, Rust; real ZooKeeper)" env ZK_SKIP_BUILD=1 bash scripts/readme-test.sh
suite "make install + pkg-config builds (C, C++, samples, Go)" bash scripts/install-test.sh
suite "zkcli (one-shot, beside zkCli.sh, the shell in tmux; real ZooKeeper)" bash scripts/zkcli-test.sh
suite "benchmark smoke (real ZooKeeper)" bash scripts/bench.sh --smoke
suite_join "$loom"
# The fuzz targets (fuzz/, a crate outside the workspace) still build; their corpus is
# replayed by the unit tests above. Fuzzing itself is not run here (README, Contributing).
suite "fuzz targets build (cargo check fuzz/)" env CARGO_TARGET_DIR=target/fuzz-check \
    cargo check --locked --manifest-path fuzz/Cargo.toml
suite "clippy -D warnings" cargo clippy --locked --all-targets -- -D warnings
suite "clippy -D warnings (without TLS)" \
    cargo clippy --locked --all-targets --no-default-features -- -D warnings
suite "rustfmt --check" cargo fmt --all --check

suite_summary all

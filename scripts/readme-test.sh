#!/usr/bin/env bash
# Proves README.md's quick starts (C, Go, Rust) work as they are written: takes each
# program and each command block from README.md (the fenced block after a
# `<!-- readme-test: NAME [FILE] -->` line), runs them in a temp folder against a fresh
# ZooKeeper that it starts, with `repo` set to this checkout as the README says, and checks
# what they print. Then it runs the C program against an address where nothing listens
# and checks that it fails, saying why (zk_connect_error).
#
#   scripts/readme-test.sh            all three; ZK_SKIP_BUILD=1: use target/release as is
#   README_FILE=other.md scripts/readme-test.sh     the blocks of another file
#
# The Rust program builds in target/readme (kept between runs); the go command uses its
# usual caches. The last line is "readme-test: N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

say() { printf 'readme-test: %s\n' "$*"; }
die() { printf 'readme-test: error: %s\n' "$*" >&2; exit 2; }

if [[ "${ZK_SKIP_BUILD:-0}" != 1 ]]; then
    say "cargo build --release"
    (cd "$root" && cargo build --release --locked --quiet) || die "cargo build failed"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zkclient-readme.XXXXXX")
cleanup() {
    python3 "$root/scripts/zkharness.py" stop --dir "$work/zk" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every marked block into $work/blocks/NAME; FILE (if given) into $work/blocks/NAME.file.
mkdir -p "$work/blocks"
python3 - "${README_FILE:-$root/README.md}" "$work/blocks" <<'EOF' || die "README.md: a marked block is malformed"
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = sys.argv[2]
i = 0
while i < len(lines):
    m = re.fullmatch(r"<!-- readme-test: (\S+)(?: (\S+))? -->", lines[i])
    i += 1
    if not m:
        continue
    if i >= len(lines) or not lines[i].startswith("```"):
        sys.exit(f"line {i}: no fenced block after the marker")
    end = lines.index("```", i + 1)
    open(f"{out}/{m[1]}", "w", encoding="utf-8").write("\n".join(lines[i + 1:end]) + "\n")
    if m[2]:
        open(f"{out}/{m[1]}.file", "w", encoding="utf-8").write(m[2])
    i = end + 1
EOF
for b in c-program c-run go-setup go-program go-run rust-setup rust-program rust-run; do
    [[ -f $work/blocks/$b ]] || die "README.md has no block marked '$b'"
done
block() { cat "$work/blocks/$1"; }
file_of() { cat "$work/blocks/$1.file"; }

say "starting ZooKeeper in $work/zk"
python3 "$root/scripts/zkharness.py" start --dir "$work/zk" --parent-pid $$ --cleanup >/dev/null \
    || die "zkharness.py start failed (see $work/zk/zk1/server.log)"
# shellcheck disable=SC1091
. "$work/zk/cluster.env"
export ZK_HOSTS
say "ZK_HOSTS=$ZK_HOSTS"

passed=0
failed=0
result() { # NAME OK?
    if [[ $2 == 0 ]]; then
        passed=$((passed + 1)); say "$1: ok"
    else
        failed=$((failed + 1)); say "$1: FAILED"
    fi
}
# run DIR OUT BLOCK...: the blocks, in order, in one bash in DIR, with repo set; output to OUT.
run() {
    local dir=$1 out=$2
    shift 2
    mkdir -p "$dir"
    { echo "repo=\"$root\""; for b in "$@"; do block "$b"; done; } >"$dir/.script.sh"
    (cd "$dir" && bash -eo pipefail .script.sh) >"$out" 2>&1
}
# expect OUT LINE...: every LINE (a fixed string) is a whole line of OUT.
expect() {
    local out=$1 rc=0
    shift
    for l in "$@"; do
        grep -qxF -- "$l" "$out" || { echo "  missing line: $l"; rc=1; }
    done
    ((rc == 0)) || sed 's/^/  | /' "$out"
    return $rc
}

# C: the program, then the build-and-run block; twice (the node goes with the session).
c_quickstart() {
    local d=$work/c
    mkdir -p "$d" && block c-program >"$d/$(file_of c-program)" || return 1
    # Warning-free as the C tests and samples are.
    cc -std=c99 -Wall -Wextra -Werror -fsyntax-only -I"$root/include" "$d/$(file_of c-program)" \
        || { echo "  warnings in the C program"; return 1; }
    for round in 1 2; do
        run "$d" "$d/out$round" c-run || { echo "  round $round exited non-zero"; sed 's/^/  | /' "$d/out$round"; return 1; }
        expect "$d/out$round" "read v1 at version 0" "watch: event 3 on /quickstart" "done" || return 1
    done
}
# C, no server: port 1 of loopback refuses; the program must fail and say so.
c_no_server() {
    local d=$work/c out=$work/c/out-noserver rc=0
    (cd "$d" && ZK_HOSTS=127.0.0.1:1 ./app) >"$out" 2>&1 && { echo "  exited 0"; rc=1; }
    expect "$out" "failed" "  no server could be reached: 127.0.0.1:1: connection refused" || rc=1
    grep -q "^zk_start: " "$out" || { echo "  no zk_start error"; sed 's/^/  | /' "$out"; rc=1; }
    return $rc
}
go_quickstart() {
    [[ -x $GO ]] || { echo "  no go command (set GO=/path/to/go)"; return 1; }
    local d=$work/go
    mkdir -p "$d"
    PATH=$(dirname "$GO"):$PATH run "$d" "$d/out-setup" go-setup \
        || { sed 's/^/  | /' "$d/out-setup"; return 1; }
    block go-program >"$d/zkhello/$(file_of go-program)"
    # The go command keys its cache on the CGO_* variables, not on the header or the
    # library: name their hashes so that a rebuilt library is never tested stale.
    CGO_CFLAGS="-O2 -g -DZKGO_HEADER_SHA1=$(sha1sum "$root/include/zkclient.h" | cut -c1-16)
        -DZKGO_LIB_SHA1=$(sha1sum "$root/target/release/libzkclient.a" | cut -c1-16)" \
        PATH=$(dirname "$GO"):$PATH run "$d/zkhello" "$d/out" go-run \
        || { sed 's/^/  | /' "$d/out"; return 1; }
    expect "$d/out" "read v1 at version 0" 'watch: NodeDataChanged "/quickstart-go" (Connected)'
}
rust_quickstart() {
    local d=$work/rs
    mkdir -p "$d"
    run "$d" "$d/out-setup" rust-setup || { sed 's/^/  | /' "$d/out-setup"; return 1; }
    block rust-program >"$d/zkhello-rs/$(file_of rust-program)"
    CARGO_TARGET_DIR=$root/target/readme run "$d/zkhello-rs" "$d/out" rust-run \
        || { sed 's/^/  | /' "$d/out"; return 1; }
    expect "$d/out" "read v1 at version 0" "watch: NodeDataChanged on /quickstart-rs"
}

c_quickstart; result "C quick start" $?
c_no_server; result "C quick start without a server" $?
go_quickstart; result "Go quick start" $?
rust_quickstart; result "Rust quick start" $?

say "$passed passed, $failed failed"
((failed == 0))

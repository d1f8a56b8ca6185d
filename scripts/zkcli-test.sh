#!/usr/bin/env bash
# zkcli's tests (bindings/c/zkcli/test), against real ZooKeeper servers this script starts
# (Debian's 3.8: a standalone server, and a --reconfig ensemble with a server waiting to
# join) and stops by process id:
#   oneshot.sh      every command in one-shot mode, output and exit status, error forms
#   compare.py      the shell beside Debian's zkCli.sh: the same commands print the same
#   recipes_test.py lock and election in one-shot mode, beside kazoo on the same paths
#                   (Debian's python3-kazoo, so /usr/bin/python3)
#   tmux_test.py    the shell on a terminal (tmux), typed into as a person would
#   scripts/zkcli.sh: the README's first command opens the shell (on a terminal, and
#                   reading a pipe without hanging), runs one command, runs the demo
# Builds zkcli first. Prints "zkcli: N passed, M failed"; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export ZK_VERSION=${ZK_VERSION:-3.8}
PY=python3
zkcli=bindings/c/zkcli/zkcli
tests=bindings/c/zkcli/test

make -s -C bindings/c >/dev/null || { echo "zkcli: build failed"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zkcli-test.XXXXXX")
cleanup() {
    "$PY" scripts/zkharness.py stop --dir "$work/zk" >/dev/null 2>&1
    "$PY" scripts/zkharness.py stop --dir "$work/zkr" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Both clusters at once: each takes seconds to start.
"$PY" scripts/zkharness.py start --dir "$work/zk" --parent-pid $$ >"$work/zk.log" 2>&1 &
standalone=$!
{ "$PY" scripts/zkharness.py start --dir "$work/zkr" --reconfig --parent-pid $$ &&
    "$PY" scripts/zkharness.py add --dir "$work/zkr"; } >"$work/zkr.log" 2>&1 &
ensemble=$!
wait $standalone || { cat "$work/zk.log"; echo "zkcli: the server did not start"; exit 1; }
wait $ensemble || { cat "$work/zkr.log"; echo "zkcli: the ensemble did not start"; exit 1; }
# The ensemble's first member, and the line that makes the second one a member.
# shellcheck disable=SC1091
ZK_RECONFIG_HOSTS=$(. "$work/zkr/cluster.env" && echo "127.0.0.1:$ZK_SERVER_1_PORT")
# shellcheck disable=SC1091,SC2016
ZK_RECONFIG_JOINER=$(. "$work/zkr/cluster.env" && echo "server.2=127.0.0.1:$ZK_SERVER_2_QUORUM_PORT:$ZK_SERVER_2_ELECTION_PORT:participant;127.0.0.1:$ZK_SERVER_2_PORT")
# shellcheck disable=SC1091
ZK_HOSTS=$(. "$work/zk/cluster.env" && echo "$ZK_HOSTS")
export ZK_HOSTS ZK_RECONFIG_HOSTS ZK_RECONFIG_JOINER

passed=0
failed=0
failures=()
check() {
    local name=$1 start=$SECONDS
    shift
    echo "--- $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "--- $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "--- $name: FAILED ($((SECONDS - start)) s)"
    fi
}

# scripts/zkcli.sh as the README runs it: its exit status, and each line of WANT (a
# newline-separated list) in what it prints.
zkcli_sh() {
    local want_rc=$1 want=$2 input=$3 rc out line
    shift 3
    out=$(printf '%s' "$input" | timeout 120 bash scripts/zkcli.sh "$@" 2>&1)
    rc=$?
    while IFS= read -r line; do
        if [[ $rc -ne $want_rc ]] || ! grep -qF -- "$line" <<<"$out"; then
            echo "scripts/zkcli.sh $*: exit $rc (want $want_rc), or no '$line' in:"
            sed 's/^/    /' <<<"$out"
            return 1
        fi
    done <<<"$want"
}
readme_first_command() {
    # No arguments and no terminal: the shell reads the pipe and ends with it, against
    # $ZK_HOSTS or a throwaway server; its status is the last failure's.
    zkcli_sh 0 "[config, quota]" "ls /zookeeper"$'\n' || return 1
    (unset ZK_HOSTS && zkcli_sh 3 "Node does not exist: /nope" "get /nope"$'\n') || return 1
    # one command; the demo
    zkcli_sh 0 "quota" "" ls /zookeeper || return 1
    (unset ZK_HOSTS && zkcli_sh 0 "hello again"$'\n'"imok" "" demo)
}

check "one-shot mode: every command, output, exit status" bash "$tests/oneshot.sh" "$zkcli"
check "the shell beside zkCli.sh (same server, same output)" "$PY" "$tests/compare.py" "$zkcli"
check "lock and election in one-shot mode, beside kazoo" /usr/bin/python3 \
    "$tests/recipes_test.py" "$zkcli"
check "scripts/zkcli.sh: the shell without a terminal, a command, the demo" readme_first_command
# Last: it kills and restarts the standalone server.
check "the shell on a terminal (tmux)" env ZK_HARNESS_DIR="$work/zk" \
    ZKCLI_SCRIPT="$PWD/scripts/zkcli.sh" "$PY" "$tests/tmux_test.py" "$zkcli"

echo
((failed > 0)) && echo "failed: ${failures[*]}"
echo "zkcli: $passed passed, $failed failed"
((failed == 0))

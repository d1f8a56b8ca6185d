#!/usr/bin/env bash
# The main job: zkcli, the sample command-line client (bindings/c/zkcli), built against the
# library. Runs against $ZK_HOSTS, or, when ZK_HOSTS is unset, against a throwaway local
# ZooKeeper that it starts first and stops afterwards. Set-up (packages, build) included.
#
#   scripts/zkcli.sh                 the shell, as zkCli.sh's: on a terminal with line
#                                    editing, history and Tab completion; without one (a
#                                    pipe, CI) it reads commands from standard input and
#                                    ends with it, so it never waits for a terminal
#   scripts/zkcli.sh ls /            one zkcli command (zkcli -h lists them)
#   scripts/zkcli.sh demo            a short demo: create, get, set, ls, stat, ruok, delete
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
cargo build --release --locked -q
make -s -C bindings/c >&2
zkcli=bindings/c/zkcli/zkcli

if [[ -z "${ZK_HOSTS:-}" ]]; then
    dir=$(mktemp -d)
    trap 'python3 scripts/zkharness.py stop --dir "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
    python3 scripts/zkharness.py start --dir "$dir" --parent-pid $$ >/dev/null
    # shellcheck disable=SC1091
    source "$dir/cluster.env"
    export ZK_HOSTS
    echo "zkcli.sh: started a throwaway ZooKeeper at $ZK_HOSTS" >&2
fi

if [[ ${1:-} != demo ]]; then
    # Not exec: the trap above stops the throwaway server when zkcli is done.
    status=0
    "$zkcli" "$@" || status=$?
    exit $status
fi

node=/zkcli-demo-$$
run() {
    echo "\$ zkcli $*"
    "$zkcli" "$@"
    # get prints the data as it is, with no newline of its own.
    [[ $1 == get ]] && echo
    return 0
}
run create -p "$node/greeting" "hello from libzkclient"
run get "$node/greeting"
run set "$node/greeting" "hello again"
run get "$node/greeting"
run ls "$node"
run stat "$node/greeting"
run 4lw ruok
echo
run version
run delete -r "$node"

# Sourced by scripts that need one throwaway ZooKeeper for their whole run
# (bench.sh): makes $work (a temp folder, removed on exit), starts a standalone server
# there with forceSync=no (writes do not wait for the disk, so write workloads measure the
# client), stopped by process id on exit, and exports ZK_HOSTS. Needs $PY and die().
work=$(mktemp -d /tmp/zkclient-run.XXXXXX)
cleanup() {
    "$PY" scripts/zkharness.py stop --dir "$work/zk" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$PY" scripts/zkharness.py start --dir "$work/zk" --parent-pid $$ --cleanup --extra forceSync=no \
    >"$work/harness.log" 2>&1 || { cat "$work/harness.log" >&2; die "the ZooKeeper server did not start"; }
# shellcheck disable=SC1091
. "$work/zk/cluster.env"
export ZK_HOSTS

#!/bin/sh
# Smoke test of zkcli against $ZK_HOSTS: every command once, their output and exit codes.
# Usage: ZK_HOSTS=host:port sh check.sh ./zkcli      (what `make check` runs)
set -u

zkcli=${1:-./zkcli}
root="/zkcli-check-$$"
failures=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"; "$zkcli" delete -r "$root" >/dev/null 2>&1' EXIT

# expect WANT_EXIT WANT_STDOUT ARGS...: runs zkcli ARGS, compares exit code and stdout
# (WANT_STDOUT '*' = anything).
expect() {
    want_rc=$1 want_out=$2
    shift 2
    "$zkcli" "$@" >"$out" 2>"$err"
    rc=$?
    got=$(cat "$out")
    if [ "$rc" -ne "$want_rc" ] || { [ "$want_out" != '*' ] && [ "$got" != "$want_out" ]; }; then
        echo "FAIL: zkcli $*: exit $rc (want $want_rc), stdout:" >&2
        printf '%s\n' "$got" | sed 's/^/    /' >&2
        [ "$want_out" != '*' ] && printf '  want:\n%s\n' "$want_out" | sed 's/^/    /' >&2
        sed 's/^/  stderr: /' "$err" >&2
        failures=$((failures + 1))
    fi
}

# contains TEXT: the last stdout (or stderr with -e) contains TEXT.
contains() {
    file=$out
    [ "$1" = -e ] && { file=$err; shift; }
    grep -qF -- "$1" "$file" || { echo "FAIL: output lacks '$1'" >&2; failures=$((failures + 1)); }
}

expect 0 imok 4lw ruok
expect 0 '*' 4lw srvr
contains "Zookeeper version"
expect 0 '*' version
grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' "$out" || { echo "FAIL: version '$(cat "$out")'" >&2; failures=$((failures + 1)); }

expect 0 "$root" create "$root" top
expect 0 "$root/b/c" create -p "$root/b/c" deep
expect 0 "$root/a" create "$root/a"
expect 0 "$(printf 'a\nb')" ls "$root"
expect 0 top get "$root"
expect 0 '' set "$root" second
expect 0 second get "$root"
expect 0 '' set "$root" third 1
expect 1 '' set "$root" stale 1
contains -e "zkcli: set: version mismatch (-103)"
expect 0 '*' stat "$root"
contains "version = 2"
contains "num_children = 2"
contains "data_length = 5"
expect 0 '*' create -s "$root/seq-"
grep -Eq "^$root/seq-[0-9]{10}\$" "$out" || { echo "FAIL: sequence path '$(cat "$out")'" >&2; failures=$((failures + 1)); }
expect 0 "$root/ttl" create --ttl 60000 "$root/ttl"
expect 0 "$root/box" create -c "$root/box"
expect 0 "$root/eph" create -e "$root/eph"
expect 1 '' get "$root/eph"   # gone with zkcli's session
contains -e "zkcli: get: node does not exist (-101)"
expect 0 '' ensure "$root/x/y/z"
expect 0 '' ensure "$root/x/y/z"
expect 0 '' sync "$root"
expect 0 'world:anyone cdrwa' acl "$root"
expect 1 '' delete "$root/b"
contains -e "node has children (-111)"
expect 0 '' delete -r "$root/b"
expect 1 '' ls "$root/b"
expect 1 '' get no-slash
contains -e "zkcli: get: invalid path (-1003)"
expect 1 '' 4lw nope
contains -e "zkcli: 4lw: invalid argument (-1002)"

# watch: two changes, then -n 2 ends it
"$zkcli" watch -n 2 "$root/a" >"$out" 2>"$err" &
pid=$!
# the watch is armed once zkcli says so on stderr
i=0
while ! grep -q watching "$err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$zkcli" set "$root/a" one
"$zkcli" create "$root/a/kid" >/dev/null
wait $pid
rc=$?
want="$(printf 'CHANGED %s\nCHILD %s' "$root/a" "$root/a")"
if [ $rc -ne 0 ] || [ "$(cat "$out")" != "$want" ]; then
    echo "FAIL: watch: exit $rc, got:" >&2
    sed 's/^/    /' "$out" >&2
    failures=$((failures + 1))
fi

# usage errors exit 2
expect 2 '' frobnicate
expect 2 '' get
expect 2 '' set "$root" data notanumber
expect 2 '' create --ttl 0 "$root/t"
expect 2 '' -t nope ls /
expect 2 '' -s '' ls /
# nothing listens on port 1: connection retries run out
expect 1 '' -s 127.0.0.1:1 ls /
contains -e "zkcli: connect:"

expect 0 '' delete -r "$root"
if [ "$failures" -ne 0 ]; then
    echo "zkcli check: $failures failed" >&2
    exit 1
fi
echo "zkcli check: ok"

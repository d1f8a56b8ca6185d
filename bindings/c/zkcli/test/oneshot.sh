#!/usr/bin/env bash
# zkcli in one-shot mode against $ZK_HOSTS (a real server): every command, its output and
# exit status, the error forms included; and the shell reading a script from standard
# input (its exit status). Prints "oneshot: N passed, M failed"; exits non-zero on failure.
# Usage: ZK_HOSTS=host:port bash oneshot.sh ./zkcli
set -u

zkcli=${1:?usage: oneshot.sh ZKCLI}
: "${ZK_HOSTS:?set ZK_HOSTS to a running server}"
root="/zkcli-oneshot-$$"
passed=0
failures=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"; "$zkcli" -a bob:pw deleteall "$root" >/dev/null 2>&1' EXIT

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect WANT_EXIT WANT_STDOUT ARGS...: runs zkcli ARGS, compares exit status and stdout
# (WANT_STDOUT '*' = anything).
expect() {
    local want_rc=$1 want_out=$2 rc got
    shift 2
    "$zkcli" "$@" >"$out" 2>"$err"
    rc=$?
    got=$(cat "$out")
    if [[ $rc -ne $want_rc || ($want_out != '*' && $got != "$want_out") ]]; then
        fail "zkcli $*: exit $rc (want $want_rc), stdout:"
        printf '%s\n' "$got" | sed 's/^/    /' >&2
        [[ $want_out != '*' ]] && printf '  want:\n%s\n' "$want_out" | sed 's/^/    /' >&2
        sed 's/^/  stderr: /' "$err" >&2
    else
        passed=$((passed + 1))
    fi
}

# contains [-e] TEXT: the last stdout (stderr with -e) has TEXT.
contains() {
    local file=$out
    [[ $1 == -e ]] && { file=$err; shift; }
    if grep -qF -- "$1" "$file"; then
        passed=$((passed + 1))
    else
        fail "output lacks '$1':"
        sed 's/^/    /' "$file" >&2
    fi
}

# shell WANT_EXIT SCRIPT: the shell reading SCRIPT from standard input exits so.
shell() {
    local want_rc=$1 rc
    printf '%s' "$2" | "$zkcli" >"$out" 2>"$err"
    rc=$?
    if [[ $rc -ne $want_rc ]]; then
        fail "shell with input '$2': exit $rc (want $want_rc)"
        sed 's/^/    /' "$out" "$err" >&2
    else
        passed=$((passed + 1))
    fi
}

# -- servers' words and versions
expect 0 imok 4lw ruok
expect 0 '*' 4lw srvr
contains "Zookeeper version"
expect 1 '' 4lw nope
contains -e "zkcli: 4lw: invalid argument (-1002)"
expect 0 '*' version
grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$' "$out" || fail "version '$(cat "$out")'"

# -- create, ls, get, set, stat
expect 0 "$root" create "$root" top
expect 0 "$root/b/c" create -p "$root/b/c" deep
expect 0 "$root/a" create "$root/a"
expect 4 '' create "$root/a"
contains -e "zkcli: create: node already exists (-110)"
expect 3 '' create "$root/no/parent"
contains -e "zkcli: create: node does not exist (-101)"
expect 0 "$(printf 'a\nb')" ls "$root"
expect 0 '*' ls -s "$root"
contains "num_children = 2"
expect 0 "$(printf '%s\n' "$root" "$root/a" "$root/b" "$root/b/c")" ls -R "$root"
expect 3 '' ls "$root/nope"
expect 0 top get "$root"
expect 0 '*' get -s "$root" # the data, a line break, the Stat
[[ $(head -n 2 "$out") == "top"$'\n'"czxid = 0x"* ]] && passed=$((passed + 1)) ||
    fail "get -s: $(cat "$out")"
expect 0 '' set "$root" second
expect 0 second get "$root"
expect 0 '' set "$root" third 1
expect 0 '' set -v 2 "$root" fourth
expect 5 '' set "$root" stale 1
contains -e "zkcli: set: version mismatch (-103)"
expect 0 '*' set -s "$root" fifth
contains "version = 4"
expect 2 '' set "$root" data notanumber
expect 2 '' set "$root"
expect 0 '*' stat "$root"
contains "version = 4"
contains "num_children = 2"
contains "data_length = 5"
expect 3 '' stat "$root/nope"
expect 0 '*' stat -w "$root"
expect 0 '*' create -s "$root/seq-"
grep -Eq "^$root/seq-[0-9]{10}\$" "$out" || fail "sequence path '$(cat "$out")'"
expect 0 "$root/ttl" create --ttl 60000 "$root/ttl"
expect 0 "$root/ttl2" create -t 60000 "$root/ttl2"
expect 0 "$root/box" create -c "$root/box"
expect 0 "$root/eph" create -e "$root/eph"
expect 3 '' get "$root/eph" # gone with zkcli's session
contains -e "zkcli: get: node does not exist (-101)"
expect 2 '' create -c -e "$root/x"
expect 2 '' create -e -t 10 "$root/x"
expect 2 '' create -t 0 "$root/x"
expect 2 '' create --ttl 0 "$root/t"
expect 2 '' create -q "$root/x"
contains -e "Unrecognized option: -q"
expect 1 '' get no-slash
contains -e "zkcli: get: invalid path (-1003)"

# -- delete, deleteall, ensure, sync
expect 0 '' ensure "$root/x/y/z"
expect 0 '' ensure "$root/x/y/z"
expect 0 '' sync "$root"
expect 6 '' delete "$root/b"
contains -e "node has children (-111)"
expect 0 '' delete -r "$root/b"
expect 3 '' ls "$root/b"
expect 5 '' delete "$root/a" 7
expect 5 '' delete -v 7 "$root/a"
expect 0 '' delete -v 0 "$root/a"
expect 0 '' deleteall "$root/x"
expect 3 '' deleteall "$root/x"
expect 2 '' deleteall "$root/x" -b 0

# -- ACLs and auth
expect 0 'world:anyone cdrwa' acl "$root"
expect 0 "$(printf "'world,'anyone\n: cdrwa")" getAcl "$root"
expect 0 '*' getAcl -s "$root"
contains "aversion = 0"
expect 0 '' setAcl "$root/ttl" world:anyone:cdra
expect 0 'world:anyone cdra' acl "$root/ttl"
expect 5 '' setAcl -v 0 "$root/ttl" world:anyone:cdrwa
expect 0 '' setAcl -v 1 "$root/ttl" world:anyone:cdrwa
expect 0 "$root/tree/leaf" create -p "$root/tree/leaf"
expect 0 '' setAcl -R "$root/tree" world:anyone:cdra
expect 0 'world:anyone cdra' acl "$root/tree/leaf"
expect 1 '' setAcl "$root/tree" bad
contains -e "bad does not have the form scheme:id:perm"
digest="digest:bob:$(printf 'bob:pw' | openssl sha1 -binary | base64)"
expect 0 "$root/locked" create "$root/locked" secret "$digest:cdrwa"
expect 7 '' get "$root/locked"
contains -e "zkcli: get: not authenticated (-102)"
expect 0 secret -a bob:pw get "$root/locked"
expect 0 '' addauth digest bob:pw
expect 0 "$(printf 'Auth scheme: User\nip: 127.0.0.1')" whoami
expect 0 '*' -a bob:pw whoami
contains "digest: bob"
expect 2 '' addauth digest

# -- watches
expect 0 '' addWatch "$root"
expect 0 '' addWatch -m PERSISTENT "$root"
expect 2 '' addWatch -m FOO "$root"
expect 1 '' removewatches "$root"
contains -e "no such watcher (-121)"
expect 2 '' removewatches "$root" -x
expect 0 'printwatches is on' printwatches
expect 0 '' printwatches off
expect 2 '' printwatches maybe

# watch: two changes, then -n 2 ends it
"$zkcli" create "$root/w" >/dev/null
"$zkcli" watch -n 2 "$root/w" >"$out" 2>"$err" &
pid=$!
# the watch is armed once zkcli says so on stderr
i=0
while ! grep -q watching "$err" && [[ $i -lt 100 ]]; do sleep 0.1; i=$((i + 1)); done
"$zkcli" set "$root/w" one
"$zkcli" create "$root/w/kid" >/dev/null
wait $pid
rc=$?
want="$(printf 'CHANGED %s\nCHILD %s' "$root/w" "$root/w")"
if [[ $rc -ne 0 || "$(cat "$out")" != "$want" ]]; then
    fail "watch: exit $rc, got:"
    sed 's/^/    /' "$out" >&2
else
    passed=$((passed + 1))
fi
expect 2 '' watch -n 0 "$root/w"

# -- the session's and the ensemble's
expect 0 '' getEphemerals "$root"
expect 0 '9' getAllChildrenNumber "$root"
expect 3 '' getAllChildrenNumber "$root/nope"
expect 0 '' config
expect 0 ' ' config -c
expect 2 '' config extra
expect 2 '' reconfig
expect 2 '' reconfig -add
expect 2 '' reconfig -members server.1=a:1:2 -remove 1
expect 1 '' reconfig -remove 3
contains -e "zkcli: reconfig:"

# -- reconfig, on an ensemble that allows it ($ZK_RECONFIG_HOSTS: one member;
#    $ZK_RECONFIG_JOINER: the config line of a server waiting to join)
if [[ -n ${ZK_RECONFIG_HOSTS:-} ]]; then
    expect 0 '*' -s "$ZK_RECONFIG_HOSTS" config
    contains "server.1="
    expect 0 '*' -s "$ZK_RECONFIG_HOSTS" reconfig -add "$ZK_RECONFIG_JOINER"
    contains "Committed new configuration:"
    contains "$ZK_RECONFIG_JOINER"
    expect 0 '*' -s "$ZK_RECONFIG_HOSTS" config -c
    grep -Eq "^[0-9a-f]+ 127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+\$" "$out" || fail "config -c: $(cat "$out")"
    expect 5 '' -s "$ZK_RECONFIG_HOSTS" reconfig -v 1 -remove 2
    expect 0 '*' -s "$ZK_RECONFIG_HOSTS" reconfig -s -remove 2
    contains "mzxid = 0x"
    expect 2 '' -s "$ZK_RECONFIG_HOSTS" reconfig -remove x
fi

# -- transactions
expect 0 "$(printf '0 create %s/m: created %s/m\n1 create %s/m/a: created %s/m/a\n2 set %s/m: version 1\n3 check %s/m: ok' \
    "$root" "$root" "$root" "$root" "$root" "$root")" \
    multi "create $root/m x" "create $root/m/a" "set $root/m y" "check $root/m 1"
expect 3 "$(printf '0 set %s/m: not applied\n1 delete %s/nope: node does not exist (-101)' "$root" "$root")" \
    multi "set $root/m z" "delete $root/nope"
expect 0 y get "$root/m"
printf 'delete %s/m/a\ndelete -v 1 %s/m\n' "$root" "$root" | "$zkcli" multi >"$out" 2>"$err"
rc=$?
[[ $rc -eq 0 && $(cat "$out") == "$(printf '0 delete %s/m/a: ok\n1 delete %s/m: ok' "$root" "$root")" ]] &&
    passed=$((passed + 1)) || fail "multi from stdin: exit $rc: $(cat "$out" "$err")"
expect 2 '' multi "frob $root/m"
expect 2 '' multi "check $root"

# -- connections, history, the rest
expect 0 '' connect "$ZK_HOSTS"
expect 8 '' connect 127.0.0.1:1
expect 0 '' close
expect 0 '0 - history' history
expect 2 '' redo 0
contains -e "Command index out of range"
expect 0 '*' help
contains "getAllChildrenNumber path"
expect 0 '' quit

# -- usage errors (2) and no server (8)
expect 2 '' frobnicate
expect 2 '' get
expect 2 '' -t nope ls /
expect 2 '' -s '' ls /
expect 0 '*' -server "$ZK_HOSTS" ls /
expect 0 '*' -t 5000 -server "$ZK_HOSTS" ls /
# nothing listens on port 1: connection retries run out
expect 8 '' -s 127.0.0.1:1 ls /
contains -e "zkcli: connect:"

# -- the shell reading standard input: the last failure is its exit status
shell 0 "ls $root
"
shell 3 "get $root/nope
ls $root
"
shell 5 "get $root/nope
set -v 99 $root x
"
shell 2 "frobnicate
"
shell 0 ""

expect 7 '' deleteall "$root" # bob's node stops it
expect 0 '' -a bob:pw deleteall "$root"
echo "oneshot: $passed passed, $failures failed"
((failures == 0))

#!/usr/bin/env bash
# Tests `make install` the way a user meets it: `make`, then install into a temporary
# PREFIX, then, in another temporary folder outside the tree, build programs against the
# installed files with pkg-config and run them against a real ZooKeeper:
#   - C with exactly `cc app.c $(pkg-config --cflags --libs zkclient)` (shared, SONAME),
#     and statically linked (our library only) from the --static flags, the C suite's TLS
#     tests too;
#   - C++ including the header with g++ -Wall -Wextra -Werror;
#   - the C samples in bindings/c/samples (C99, -Wall -Wextra -Werror): watch_loop sees
#     every change, config_reader keeps reading across a server kill and restart,
#     lock_worker processes take turns without losing an increment, and a leader hands
#     over to the next when told to stop;
#   - the Go example linked to the installed library (-tags zkclient_pkgconfig);
#   - a program written for the official client's zookeeper.h, linked with the installed
#     lib/zkclient-compat/libzookeeper_mt (docs/compat.md);
# then `make uninstall`. The last line is "install-test: N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zkclient-install-test.XXXXXX")
prefix=$tmp/prefix
work=$tmp/app
zkdir=$tmp/zk
mkdir -p "$work"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

passed=0
failed=0
pids=()
say() { printf 'install-test: %s\n' "$*"; }
ok() { passed=$((passed + 1)); say "ok: $1"; }
fail() { failed=$((failed + 1)); say "FAILED: $1"; }
# check NAME COMMAND...: one test, passed when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else fail "$name"; fi
}
# wait_for FILE REGEX SECONDS: until a line of FILE matches. (Background programs run
# under `timeout`, so a `wait` for one cannot hang the script.)
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    say "no line matching '$2' in $1 after $3 s:"
    sed 's/^/    /' "$1" >&2
    return 1
}
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    python3 "$root/scripts/zkharness.py" stop --dir "$zkdir" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml")
major=${version%%.*}

# ---- install ------------------------------------------------------------------------
say "make; make install PREFIX=$prefix (log: $tmp/make-install.log)"
if ! { make -C "$root" && make -C "$root" install PREFIX="$prefix"; } >"$tmp/make-install.log" 2>&1; then
    tail -n 30 "$tmp/make-install.log"
    fail "make install"
    echo "install-test: $passed passed, $failed failed"
    exit 1
fi
ok "make install"

installed_files() {
    local lib=$prefix/lib
    [[ -f $lib/libzkclient.so.$version && ! -L $lib/libzkclient.so.$version ]] &&
        [[ $(readlink "$lib/libzkclient.so.$major") == "libzkclient.so.$version" ]] &&
        [[ $(readlink "$lib/libzkclient.so") == "libzkclient.so.$major" ]] &&
        [[ -f $lib/libzkclient.a && -f $lib/pkgconfig/zkclient.pc ]] &&
        cmp -s "$prefix/include/zkclient.h" "$root/include/zkclient.h"
}
check "files and symlinks: lib/libzkclient.so.$version, .so.$major, .so, .a, pkgconfig, header" installed_files

check "SONAME of libzkclient.so.$version is libzkclient.so.$major" \
    bash -c "readelf -d '$prefix/lib/libzkclient.so.$version' | grep -q 'SONAME.*\[libzkclient.so.$major\]'"

check "lib/zkclient-compat: libzookeeper_mt.so.2 (SONAME libzookeeper_mt.so.2), .so, .a" \
    bash -c "readelf -d '$prefix/lib/zkclient-compat/libzookeeper_mt.so.2' | grep -q 'SONAME.*\\[libzookeeper_mt.so.2\\]' &&
        [[ \$(readlink '$prefix/lib/zkclient-compat/libzookeeper_mt.so') == libzookeeper_mt.so.2 ]] &&
        [[ -f '$prefix/lib/zkclient-compat/libzookeeper_mt.a' ]]"

# capi/build.rs links gcc's unwinder into the .so (libgcc_eh.a, as -static-libgcc would):
# the library loads no libgcc_s. It exports the C API's zk_* functions and nothing else:
# no unwinder, no Rust symbols, no test hooks (zk__*).
shared_deps() {
    local so=$prefix/lib/libzkclient.so.$version
    ! readelf -d "$so" | grep 'NEEDED.*libgcc_s' >/dev/null &&
        [[ -z $(nm -D --defined-only "$so" | awk '$3 !~ /^zk_[a-z0-9]/') ]]
}
check "libzkclient.so: no libgcc_s, exports only zk_* (no test hooks)" shared_deps

pc_fields() {
    [[ $(pkg-config --modversion zkclient) == "$version" ]] &&
        [[ $(pkg-config --cflags zkclient) == "-I$prefix/include"* ]] &&
        [[ $(pkg-config --libs zkclient) == "-L$prefix/lib -lzkclient"* ]] &&
        pkg-config --libs --static zkclient | grep -q -- '-lgcc_s -lutil -lrt -lpthread -lm -ldl'
}
check "pkg-config: version, Cflags, Libs, Libs.private" pc_fields

# ---- a server -----------------------------------------------------------------------
say "starting ZooKeeper in $zkdir"
# --tls: a secure port too (ZK_SECURE_HOSTS, certificates in ZK_TLS_DIR), for the C
# suite's TLS tests linked statically
if ! python3 "$root/scripts/zkharness.py" start --dir "$zkdir" --parent-pid $$ --tls >/dev/null; then
    fail "zkharness start"
    echo "install-test: $passed passed, $failed failed"
    exit 1
fi
# shellcheck disable=SC1091
. "$zkdir/cluster.env"
say "ZK_HOSTS=$ZK_HOSTS"

# ---- a zookeeper.h program on the installed libzookeeper_mt ---------------------------
# Built against the official header and linked as docs/compat.md says (-L and -rpath to
# lib/zkclient-compat): it loads the installed library, which needs no libgcc_s (compat/
# build.rs links as capi/build.rs does), and works against the server.
cat >"$work/zkh.c" <<'C'
/* A program written for the official client: zkh HOSTS PATH creates PATH, reads it back. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zookeeper.h>

int main(int argc, char **argv)
{
    char buf[64];
    int len = sizeof buf, i;
    zhandle_t *zh;
    if (argc < 3)
        return 2;
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zh = zookeeper_init(argv[1], NULL, 10000, NULL, NULL, 0);
    if (!zh)
        return 3;
    for (i = 0; i < 400 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++)
        usleep(25000);
    if (zoo_create(zh, argv[2], "drop-in", 7, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0) != ZOK)
        return 4;
    if (zoo_get(zh, argv[2], 0, buf, &len, NULL) != ZOK || len != 7 || memcmp(buf, "drop-in", 7))
        return 5;
    zookeeper_close(zh);
    puts("ok");
    return 0;
}
C
compat_program() {
    local dir=$prefix/lib/zkclient-compat
    cc -DTHREADED -Wall -Wextra -Werror -I/usr/include/zookeeper "$work/zkh.c" -o "$work/zkh" \
        -L"$dir" -Wl,-rpath,"$dir" -lzookeeper_mt &&
        ldd "$work/zkh" | grep "$dir/libzookeeper_mt.so.2" >/dev/null &&
        ! readelf -d "$dir/libzookeeper_mt.so.2" | grep 'NEEDED.*libgcc_s' >/dev/null &&
        [[ $("$work/zkh" "$ZK_HOSTS" /install-test-compat) == ok ]]
}
check "a zookeeper.h program linked with lib/zkclient-compat loads it (no libgcc_s) and runs" \
    compat_program

# ---- C, shared and static -----------------------------------------------------------
cat >"$work/app.c" <<'C'
/* A user's program: app HOSTS ruok | set PATH VALUE | get PATH */
#include <stdio.h>
#include <string.h>
#include <zkclient.h>

int main(int argc, char **argv)
{
    zk_options *o;
    zk_client *zk = NULL;
    zk_result r;
    if (argc < 3)
        return 2;
    o = zk_options_new();
    r = zk_options_set_hosts(o, argv[1]);
    if (r == ZK_RESULT_OK)
        r = zk_client_new(o, &zk);
    zk_options_free(o);
    if (r == ZK_RESULT_OK)
        r = zk_start(zk, 20000);
    if (r == ZK_RESULT_OK && strcmp(argv[2], "ruok") == 0) {
        char *reply = NULL;
        r = zk_command(zk, "ruok", 0, &reply);
        if (r == ZK_RESULT_OK)
            printf("%s %s\n", zk_version(), reply);
        zk_string_free(reply);
    } else if (r == ZK_RESULT_OK && strcmp(argv[2], "set") == 0 && argc == 5) {
        size_t n = strlen(argv[4]);
        r = zk_create(zk, argv[3], (const unsigned char *)argv[4], n, NULL, 0,
                      ZK_CREATE_FLAG_MAKEPATH, 0, 0, NULL, NULL);
        if (r == ZK_RESULT_NODE_EXISTS)
            r = zk_set(zk, argv[3], (const unsigned char *)argv[4], n, -1, 0, NULL);
    } else if (r == ZK_RESULT_OK && strcmp(argv[2], "delete") == 0 && argc == 4) {
        r = zk_delete(zk, argv[3], -1, false, 0);
    } else if (r == ZK_RESULT_OK) {
        r = ZK_RESULT_INVALID_ARGUMENT;
    }
    zk_client_free(zk);
    if (r != ZK_RESULT_OK) {
        fprintf(stderr, "app: %s\n", zk_result_message(r));
        return 1;
    }
    return 0;
}
C
cd "$work" || exit 2

shared_app() {
    # shellcheck disable=SC2046 # the flags must split
    cc app.c $(pkg-config --cflags --libs zkclient) -o app &&
        readelf -d app | grep -q "NEEDED.*\[libzkclient.so.$major\]" &&
        [[ $(LD_LIBRARY_PATH=$prefix/lib ./app "$ZK_HOSTS" ruok) == "$version imok" ]]
}
check "cc app.c \$(pkg-config --cflags --libs zkclient): links libzkclient.so.$major, runs" shared_app

static_app() {
    local libs
    libs=$(pkg-config --libs --static zkclient)
    # shellcheck disable=SC2046,SC2086
    cc app.c $(pkg-config --cflags zkclient) ${libs/-lzkclient/-Wl,-Bstatic -lzkclient -Wl,-Bdynamic} \
        -o app-static &&
        ! readelf -d app-static | grep -q 'NEEDED.*libzkclient' &&
        [[ $(env -u LD_LIBRARY_PATH ./app-static "$ZK_HOSTS" ruok) == "$version imok" ]]
}
check "static link of libzkclient.a (pkg-config --static), no libzkclient.so needed, runs" static_app

# TLS from the static library: the C suite's TLS tests, against the server's secure port.
# The installed library has no test hooks: ZKTEST_NO_HOOKS leaves out the one test that
# calls them.
static_tls() {
    local libs
    libs=$(pkg-config --libs --static zkclient)
    # shellcheck disable=SC2046,SC2086
    gcc -std=c99 -Wall -Wextra -Werror -DZKTEST_NO_HOOKS -I"$root/ctest" $(pkg-config --cflags zkclient) \
        "$root"/ctest/zktest.c "$root"/ctest/test_*.c \
        ${libs/-lzkclient/-Wl,-Bstatic -lzkclient -Wl,-Bdynamic} -o zktest-static &&
        ! readelf -d zktest-static | grep -q 'NEEDED.*libzkclient' &&
        ZK_HOSTS=$ZK_HOSTS ZK_SECURE_HOSTS=$ZK_SECURE_HOSTS ZK_TLS_DIR=$ZK_TLS_DIR \
            timeout 120 ./zktest-static tls >zktest-static.log 2>&1 &&
        grep -qE '^zktest: [1-9][0-9]* passed, 0 failed$' zktest-static.log ||
        { sed 's/^/    /' zktest-static.log 2>/dev/null | tail -n 20; return 1; }
}
check "static link: the C suite's TLS tests over the secure port" static_tls

# ---- C++ ----------------------------------------------------------------------------
cat >"$work/app.cpp" <<'CPP'
// The header from C++: enums, structs and extern "C" functions, used as a C++ user would.
#include <zkclient.h>

#include <cstdio>
#include <memory>
#include <string>

struct ClientDeleter {
    void operator()(zk_client *c) const { zk_client_free(c); }
};

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    std::unique_ptr<zk_options, void (*)(zk_options *)> opts(zk_options_new(), zk_options_free);
    if (zk_options_set_hosts(opts.get(), argv[1]) != ZK_RESULT_OK)
        return 1;
    zk_client *raw = nullptr;
    if (zk_client_new(opts.get(), &raw) != ZK_RESULT_OK)
        return 1;
    std::unique_ptr<zk_client, ClientDeleter> zk(raw);
    zk_result r = zk_start(zk.get(), 20000);
    if (r != ZK_RESULT_OK) {
        std::fprintf(stderr, "start: %s\n", zk_result_message(r));
        return 1;
    }
    const std::string path = "/install-test-cpp";
    const std::string value = "from C++";
    uint32_t flags = ZK_CREATE_FLAG_EPHEMERAL;
    zk_acl acl = { ZK_PERM_ALL, "world", "anyone" };
    r = zk_create(zk.get(), path.c_str(), reinterpret_cast<const uint8_t *>(value.data()),
                  value.size(), &acl, 1, flags, 0, 0, nullptr, nullptr);
    zk_buffer buf = { nullptr, 0 };
    zk_stat st{};
    if (r == ZK_RESULT_OK)
        r = zk_get(zk.get(), path.c_str(), nullptr, 0, &buf, &st);
    if (r != ZK_RESULT_OK) {
        std::fprintf(stderr, "create/get: %s\n", zk_result_message(r));
        return 1;
    }
    std::string got(reinterpret_cast<const char *>(buf.data), buf.len);
    zk_buffer_free(&buf);
    std::printf("%s v%d owner-set=%d\n", got.c_str(), st.version, st.ephemeral_owner != 0);
    return got == value ? 0 : 1;
}
CPP
cpp_app() {
    # shellcheck disable=SC2046
    g++ -std=c++11 -Wall -Wextra -Werror app.cpp $(pkg-config --cflags --libs zkclient) -o app-cpp &&
        [[ $(LD_LIBRARY_PATH=$prefix/lib ./app-cpp "$ZK_HOSTS") == "from C++ v0 owner-set=1" ]]
}
check "g++ -Wall -Wextra -Werror: C++ includes the header, links and runs" cpp_app

# ---- the C samples ------------------------------------------------------------------
build_samples() {
    local s
    for s in watch_loop config_reader lock_worker leader; do
        cp "$root/bindings/c/samples/$s.c" "$work/" || return 1
        # shellcheck disable=SC2046
        cc -std=c99 -Wall -Wextra -Werror "$s.c" $(pkg-config --cflags --libs zkclient) -o "$s" || return 1
    done
}
check "samples build: cc -std=c99 -Wall -Wextra -Werror" build_samples

export LD_LIBRARY_PATH=$prefix/lib

watch_loop_sees_every_change() {
    local out=$work/watch_loop.out pid
    timeout 60 ./watch_loop "$ZK_HOSTS" /samples/watched 3 >"$out" 2>&1 &
    pid=$!
    pids+=("$pid")
    # Each change waits until the loop has re-armed its watch (printed the last one).
    wait_for "$out" '^/samples/watched: no such node$' 10 &&
        ./app "$ZK_HOSTS" set /samples/watched one && wait_for "$out" 'v0: one$' 10 &&
        ./app "$ZK_HOSTS" set /samples/watched two && wait_for "$out" 'v1: two$' 10 &&
        ./app "$ZK_HOSTS" delete /samples/watched &&
        wait "$pid" && [[ $(grep -c '^event ' "$out") == 3 ]] &&
        grep -q '^event deleted$' "$out"
}
check "watch_loop: prints the creation, each change and the deletion of a node" watch_loop_sees_every_change

config_reader_survives_restart() {
    local out=$work/config_reader.out pid
    ./app "$ZK_HOSTS" set /samples/config v1 || return 1
    timeout 120 ./config_reader "$ZK_HOSTS" /samples/config >"$out" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_for "$out" '^config v0: v1$' 10 || return 1
    python3 "$root/scripts/zkharness.py" kill --dir "$zkdir" --id 1 >/dev/null || return 1
    wait_for "$out" '^state: SUSPENDED' 30 || return 1
    sleep 1
    python3 "$root/scripts/zkharness.py" restart --dir "$zkdir" --id 1 >/dev/null || return 1
    ./app "$ZK_HOSTS" set /samples/config v2 || return 1
    wait_for "$out" '^config v1: v2$' 30 || return 1
    kill "$pid"
    wait "$pid"
    [[ $(grep -c '^state: CONNECTED' "$out") -ge 2 ]]
}
check "config_reader: reads the new value after the server is killed and restarted" config_reader_survives_restart

lock_workers_take_turns() {
    local i p ws=()
    for i in 1 2 3; do
        timeout 60 ./lock_worker "$ZK_HOSTS" /samples/lock "w$i" 4 >"$work/lock_worker.$i.out" 2>&1 &
        ws+=("$!")
        pids+=("$!")
    done
    for p in "${ws[@]}"; do wait "$p" || return 1; done
    # Every read-modify-write counted once: 1..12, no count written twice.
    [[ $(cat "$work"/lock_worker.*.out | sed -n 's/^w[0-9]: count //p' | sort -n | tr '\n' ' ') == \
        "1 2 3 4 5 6 7 8 9 10 11 12 " ]]
}
check "lock_worker: three workers take turns and lose no increment" lock_workers_take_turns

leaders_hand_over() {
    local a b out_a=$work/leader.a.out out_b=$work/leader.b.out
    timeout 60 ./leader "$ZK_HOSTS" /samples/election first >"$out_a" 2>&1 &
    a=$!
    pids+=("$a")
    wait_for "$out_a" '^first: tick 1$' 10 || return 1
    timeout 60 ./leader "$ZK_HOSTS" /samples/election second >"$out_b" 2>&1 &
    b=$!
    pids+=("$b")
    wait_for "$out_b" '^second: waiting to lead$' 10 || return 1
    sleep 0.5
    ! grep -q 'second leads' "$out_b" || return 1
    kill -INT "$a"
    wait "$a" && grep -q '^first stops leading$' "$out_a" || return 1
    wait_for "$out_b" '^second: tick 1$' 10 || return 1
    kill -INT "$b"
    wait "$b"
}
check "leader: one leads; told to stop, it hands over to the next" leaders_hand_over

# ---- Go, linked to the installed library --------------------------------------------
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
go_pkgconfig() {
    # The go command caches the package without the pkg-config output (the -L of an
    # earlier run's prefix would stick): a define naming this prefix keys the cache.
    (cd "$root/bindings/go" &&
        CGO_CFLAGS="-O2 -g -DZKGO_PREFIX=$(basename "$tmp")" \
            "$GO" build -tags zkclient_pkgconfig -o "$work/configwatch" ./examples/configwatch) &&
        readelf -d "$work/configwatch" | grep -q "NEEDED.*\[libzkclient.so.$major\]" || return 1
    local out=$work/configwatch.out pid
    ./app "$ZK_HOSTS" set /samples/go "from go" || return 1
    timeout 60 "$work/configwatch" -hosts "$ZK_HOSTS" /samples/go >"$out" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_for "$out" '^/samples/go v0: from go$' 15
    local rc=$?
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    return $rc
}
if [[ -x $GO ]]; then
    check "Go (-tags zkclient_pkgconfig) links libzkclient.so.$major and runs" go_pkgconfig
else
    say "skipped: Go with the installed library (no go command)"
fi
unset LD_LIBRARY_PATH

# ---- uninstall ----------------------------------------------------------------------
uninstalled() {
    make -C "$root" uninstall PREFIX="$prefix" >"$tmp/make-uninstall.log" 2>&1 &&
        [[ -z $(find "$prefix" -not -type d) ]]
}
check "make uninstall removes every installed file" uninstalled

echo "install-test: $passed passed, $failed failed"
((failed == 0))

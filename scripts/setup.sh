#!/usr/bin/env bash
# Installs what libzkclient's tests and benchmarks need on Debian bookworm, and nothing
# that is already there: a prepared machine makes no network call and changes nothing.
#
#   scripts/setup.sh           install what is missing (needs root, or sudo)
#   scripts/setup.sh --check   only report; exit 1 if something is missing
#
# Rust, Go, gcc and python3 are expected to be present already; Java is installed
# (default-jre-headless) only if there is no `java` at all.
#
# The tests run against two servers: Debian's ZooKeeper 3.8 (the `zookeeper` package) and
# ZooKeeper 3.9.5 (ZK_VERSION=3.9 in scripts/zkharness.py), whose jars this script fetches
# from Maven Central into a cache outside the checkout, checked against the SHA-256 sums
# below: $LIBZKCLIENT_CACHE/zookeeper-3.9.5, else /var/cache/libzkclient/... as root, else
# ~/.cache/libzkclient/... (zkharness.py looks in the same places).
set -euo pipefail

PACKAGES=(
    zookeeper             # the server that scripts/zkharness.py starts
    libzookeeper-mt-dev   # the official C client, for the benchmarks
    zookeeper-bin         # cli_mt and load_gen, run unchanged on libzookeeper_mt (compat/)
    python3-kazoo         # the Python client, for the benchmarks (for /usr/bin/python3)
    valgrind
    pkg-config
    gcc
    make
    openssl               # PEM files for the TLS tests
    libedit-dev           # line editing of zkcli's shell (bindings/c/zkcli)
    tmux                  # drives zkcli's shell as a person would, in its tests
    curl                  # fetches ZooKeeper 3.9.5 from Maven Central
    ca-certificates
    iproute2              # ip: the partition test's network namespace and veth pair
    nftables              # nft: the partition test's cut (tests/faults_partition.rs)
)
# Jars the harness puts on the server's class path (see zkharness.py); they come with
# the zookeeper package's dependencies, so their absence means a broken install.
JARS=(zookeeper.jar slf4j-api.jar slf4j-log4j12.jar log4j-1.2.jar netty-codec.jar
      netty-resolver.jar netty-transport-native-unix-common.jar)

# ZooKeeper 3.9.5's runtime class path, as Maven resolves org.apache.zookeeper:zookeeper:3.9.5
# at runtime scope, plus what its pom marks `provided` but the server needs to start
# (metrics-core, snappy-java) and slf4j-simple so that it logs (SLF4J 2 finds it on the class
# path). Left out: netty-tcnative (only for ssl.sslProvider=OPENSSL; the tests use the JDK's
# TLS), Jetty (admin.enableServer=false), logback. The epoll transport's native part is for
# x86_64; elsewhere Netty falls back to NIO. Paths are under https://repo1.maven.org/maven2/.
ZK39_RELEASE=3.9.5
ZK39_JARS=(
    "org/apache/zookeeper/zookeeper/3.9.5/zookeeper-3.9.5.jar 936d025db1a85f085edea25048c3f5b3de5fc29329c371a10925e3b78b0b38a0"
    "org/apache/zookeeper/zookeeper-jute/3.9.5/zookeeper-jute-3.9.5.jar abcbc7f9d6c493daa118da6fa3061a201e2c521217526e8535adfb56b629e52a"
    "org/apache/yetus/audience-annotations/0.12.0/audience-annotations-0.12.0.jar ffb101fc066360ff3c77457c927fd7967fb096a6ee9e046ab7071447d8208efc"
    "commons-io/commons-io/2.17.0/commons-io-2.17.0.jar 4aa4ca48f3dfd30b78220b7881d8cb93eac4093ec94361b6befa9487998a550b"
    "org/slf4j/slf4j-api/2.0.13/slf4j-api-2.0.13.jar e7c2a48e8515ba1f49fa637d57b4e2f590b3f5bd97407ac699c3aa5efb1204a9"
    "org/slf4j/slf4j-simple/2.0.13/slf4j-simple-2.0.13.jar 3153fe1d689cffb94f1530b58470c306685ba68844de8857116e3b6ebb81d9f7"
    "io/dropwizard/metrics/metrics-core/4.1.12.1/metrics-core-4.1.12.1.jar cec34936faa625039f4e46123eccaa10a9eb9d9a40c6075830cd81330e259cf9"
    "org/xerial/snappy/snappy-java/1.1.10.5/snappy-java-1.1.10.5.jar 0f3f1857ed33116583f480b4df5c0218836c47bfbc9c6221c0d73f356decf37b"
    "io/netty/netty-buffer/4.1.130.Final/netty-buffer-4.1.130.Final.jar 00a522b67ea35cb7b4dd9cf27f85c6c58f5e306785aa045302e5f6b2d4944a87"
    "io/netty/netty-codec/4.1.130.Final/netty-codec-4.1.130.Final.jar 52636bc29bd62120b97bbe5d1d21eab9b1cb2bef8efbb54d2221c5f3fa08d8cd"
    "io/netty/netty-common/4.1.130.Final/netty-common-4.1.130.Final.jar 53921f28dd5a352b1bed0e1cbcc54d013dc60ffebeae9b2b1e53eabef317e581"
    "io/netty/netty-handler/4.1.130.Final/netty-handler-4.1.130.Final.jar 98c78ec187ca30a4b9775bf6f632f5c9929db6bf06a60e6971f945813880ca0f"
    "io/netty/netty-resolver/4.1.130.Final/netty-resolver-4.1.130.Final.jar 48c5b218a89d184e1b601d46433957f515fcefdb4464182b1348bce4f5a18f35"
    "io/netty/netty-transport/4.1.130.Final/netty-transport-4.1.130.Final.jar 1bf573266d271f856705a9984d25449c56a1d73c02a16af12033ceccfe555dbb"
    "io/netty/netty-transport-native-unix-common/4.1.130.Final/netty-transport-native-unix-common-4.1.130.Final.jar cf5efc4168597d7cd14695b469418cac2a1134533f9a0c82ef0538d796fd39e1"
    "io/netty/netty-transport-classes-epoll/4.1.130.Final/netty-transport-classes-epoll-4.1.130.Final.jar 1c352508d70aca1ccc3068daac907ad1e9d8dc68b07148d57426730bf0d0c8b6"
    "io/netty/netty-transport-native-epoll/4.1.130.Final/netty-transport-native-epoll-4.1.130.Final-linux-x86_64.jar d5d4611cb667eb215667c65aabfc75f8d9ef24de2a3e3a32eb28204f9c2a7a30"
)
MAVEN_CENTRAL=https://repo1.maven.org/maven2

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

check_only=false
case "${1:-}" in
    "") ;;
    --check) check_only=true ;;
    *) die "usage: $0 [--check]" ;;
esac

command -v dpkg-query >/dev/null && command -v apt-get >/dev/null \
    || die "this script is for Debian (needs dpkg-query and apt-get)"

installed() {
    # `dpkg -s` also succeeds for removed-but-not-purged packages, so read the status.
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
if ! command -v java >/dev/null && [[ ! -x /usr/bin/java ]]; then
    missing+=(default-jre-headless)
fi

if ((${#missing[@]} == 0)); then
    say "all packages present"
elif $check_only; then
    say "missing: ${missing[*]}"
    exit 1
else
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        SUDO=(sudo)
    else
        SUDO=()
    fi
    log=$(mktemp -t zk-setup.XXXXXX.log)
    say "installing: ${missing[*]} (log: $log)"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${SUDO[@]}" apt-get update -q >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "apt-get update failed"
    fi
    if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
            >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "apt-get install failed"
    fi
    for pkg in "${missing[@]}"; do
        installed "$pkg" || die "$pkg still not installed; see $log"
    done
    rm -f "$log"
    say "installed: ${missing[*]}"
fi

bad=()
for jar in "${JARS[@]}"; do
    [[ -f /usr/share/java/$jar ]] || bad+=("/usr/share/java/$jar")
done
((${#bad[@]} == 0)) || die "missing jars: ${bad[*]} (reinstall zookeeper's dependencies)"
command -v keytool >/dev/null || say "note: no keytool on PATH; zkharness.py --tls needs it"

# ---- ZooKeeper 3.9.5: verify what is cached, fetch only what is missing or damaged.
if [[ -n ${LIBZKCLIENT_CACHE:-} ]]; then
    zk39_base=$LIBZKCLIENT_CACHE
elif [[ $(id -u) -eq 0 ]]; then
    zk39_base=/var/cache/libzkclient
else
    zk39_base=${XDG_CACHE_HOME:-$HOME/.cache}/libzkclient
fi
zk39_dir=$zk39_base/zookeeper-$ZK39_RELEASE
zk39_sum_ok() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]; }
zk39_fetch=()
for entry in "${ZK39_JARS[@]}"; do
    read -r path sum <<<"$entry"
    zk39_sum_ok "$zk39_dir/lib/${path##*/}" "$sum" || zk39_fetch+=("$entry")
done
if ((${#zk39_fetch[@]} == 0)) && [[ -f $zk39_dir/classpath ]]; then
    say "ZooKeeper $ZK39_RELEASE present in $zk39_dir"
elif $check_only; then
    say "ZooKeeper $ZK39_RELEASE: ${#zk39_fetch[@]} jar(s) missing or damaged in $zk39_dir"
    exit 1
else
    say "fetching ZooKeeper $ZK39_RELEASE: ${#zk39_fetch[@]} jar(s) from $MAVEN_CENTRAL into $zk39_dir"
    mkdir -p "$zk39_dir/lib"
    # The class path list goes last: zkharness.py takes its presence as "complete".
    rm -f "$zk39_dir/classpath"
    for entry in "${zk39_fetch[@]}"; do
        read -r path sum <<<"$entry"
        jar=$zk39_dir/lib/${path##*/}
        curl -fsS --retry 3 --connect-timeout 20 -o "$jar.part" "$MAVEN_CENTRAL/$path"             || { rm -f "$jar.part"; die "download failed: $MAVEN_CENTRAL/$path"; }
        zk39_sum_ok "$jar.part" "$sum" \
            || { rm -f "$jar.part"; die "SHA-256 mismatch for $MAVEN_CENTRAL/$path"; }
        mv -f "$jar.part" "$jar"
    done
    for entry in "${ZK39_JARS[@]}"; do
        read -r path _ <<<"$entry"
        echo "${path##*/}"
    done >"$zk39_dir/classpath.tmp"
    mv -f "$zk39_dir/classpath.tmp" "$zk39_dir/classpath"
    say "ZooKeeper $ZK39_RELEASE ready in $zk39_dir"
fi
say "ready: python3 scripts/zkharness.py start --dir /tmp/zk --servers 3 (ZK_VERSION=3.9 for 3.9.5)"

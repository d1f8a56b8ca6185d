#!/usr/bin/env bash
# Installs what libzkclient's tests and benchmarks need on Debian bookworm, and nothing
# that is already there: a prepared machine makes no network call and changes nothing.
#
#   scripts/setup.sh           install what is missing (needs root, or sudo)
#   scripts/setup.sh --check   only report; exit 1 if something is missing
#
# Rust, Go, gcc and python3 are expected to be present already; Java is installed
# (default-jre-headless) only if there is no `java` at all.
set -euo pipefail

PACKAGES=(
    zookeeper             # the server that scripts/zkharness.py starts
    libzookeeper-mt-dev   # the official C client, for the benchmarks
    python3-kazoo         # the Python client, for the benchmarks (for /usr/bin/python3)
    valgrind
    pkg-config
    gcc
    make
    openssl               # PEM files for the TLS tests
)
# Jars the harness puts on the server's class path (see zkharness.py); they come with
# the zookeeper package's dependencies, so their absence means a broken install.
JARS=(zookeeper.jar slf4j-api.jar slf4j-log4j12.jar log4j-1.2.jar netty-codec.jar
      netty-resolver.jar netty-transport-native-unix-common.jar)

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
say "ready: python3 scripts/zkharness.py start --dir /tmp/zk --servers 3"

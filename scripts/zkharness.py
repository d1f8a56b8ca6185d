#!/usr/bin/env python3
"""Start, stop and disturb real ZooKeeper servers on 127.0.0.1 for tests.

This script is the single way our tests (Rust, C, Go) and the sample CLI get a live
server. It owns everything under the --dir it is given:

    DIR/cluster.env        ZK_HOSTS=..., ZK_SERVER_<i>_PORT/PID, ZK_SERVERS, TLS keys
    DIR/state.json         what this script needs to restart/stop servers later
    DIR/conf/              log4j.properties (3.8) and simplelogger.properties (3.9), the
                           first entry of the server class path
    DIR/zk<i>/zoo.cfg      one config per server; data in DIR/zk<i>/data
    DIR/zk<i>/zoo.cfg.dynamic  with --reconfig: the membership (the server rewrites both)
    DIR/zk<i>/server.log   the JVM's stdout+stderr, which is also where the server logs
    DIR/zk<i>/pid          pid of the running JVM (absent when it is not running)
    DIR/tls/               with --tls: CA, server and client stores (password "zkharness")
                           and ca.pem, client.pem, client-key.pem for rustls/openssl clients
    DIR/conf/jaas.conf     with --sasl-digest: the servers' SASL DIGEST-MD5 users

Usage:
    zkharness.py start --dir DIR [--servers N] [--start-count K] [--readonly] [--tls]
                 [--reconfig] [--tick-ms MS] [--extra key=value ...] [--jvm-flag -Dx=y]...
                 [--sasl-digest USER=PASSWORD]... [--sasl-required]
                 [--timeout S] [--parent-pid PID [--cleanup]]
    zkharness.py add --dir DIR [--observer] [--timeout S]     (a --reconfig cluster only)
    zkharness.py stop --dir DIR [--remove]
    zkharness.py kill|pause|resume|restart --dir DIR --id I
    zkharness.py leader --dir DIR [--timeout S]
    zkharness.py status --dir DIR
    zkharness.py 4lw --port P CMD [--timeout S]

Which server: ZK_VERSION=3.8 (the default) is Debian's package in /usr/share/java;
ZK_VERSION=3.9 is ZooKeeper 3.9.5 from Maven Central, in the cache that scripts/setup.sh
fills (see zk39_dir). ZK_JAR (3.8 only) or ZK_CLASSPATH (any) replace those jars. Every
start checks that the server's `srvr` reports the version asked for.

Servers run in their own session, so they outlive this script; with --parent-pid a
detached watchdog stops them (and with --cleanup removes DIR) once that process is gone.
Only loopback addresses are ever used. Python 3.7+ standard library only.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

LOOPBACK = "127.0.0.1"
JAVA_DIR = "/usr/share/java"
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
TLS_PASSWORD = "zkharness"
# keytool is a short-lived JVM; C1-only and serial GC roughly halve its CPU time.
KEYTOOL_JVM = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"]
READY_MODES = ("standalone", "leader", "follower")

# zookeeper.jar's manifest Class-Path names its dependencies but no SLF4J binding (so the
# server would log nothing at all) and leaves out three netty jars that the Netty
# connection factory needs for TLS (NoClassDefFoundError ByteToMessageDecoder otherwise).
LOGGING_JARS = ("slf4j-log4j12.jar", "log4j-1.2.jar")
NETTY_JARS = ("netty-codec.jar", "netty-resolver.jar", "netty-transport-native-unix-common.jar")

# 3.9.5 logs through SLF4J 2; setup.sh fetches slf4j-simple, which writes to stderr, i.e.
# also to server.log, and reads this file from the class path.
SIMPLELOGGER_PROPERTIES = """\
# Written by zkharness.py: everything at INFO to stderr, which goes to server.log.
org.slf4j.simpleLogger.defaultLogLevel=info
org.slf4j.simpleLogger.showDateTime=true
org.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS
org.slf4j.simpleLogger.showShortLogName=true
"""

# The servers ZK_VERSION can name: the major.minor it selects, and the version prefix its
# `srvr` must report.
DEFAULT_VERSION = "3.8"
ZK39_RELEASE = "3.9.5"
VERSIONS = {"3.8": "3.8.", "3.9": ZK39_RELEASE}

LOG4J_PROPERTIES = """\
# Written by zkharness.py: everything at INFO to stdout, which goes to server.log.
log4j.rootLogger=INFO, OUT
log4j.appender.OUT=org.apache.log4j.ConsoleAppender
log4j.appender.OUT.Target=System.out
log4j.appender.OUT.layout=org.apache.log4j.PatternLayout
log4j.appender.OUT.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
"""


class HarnessError(Exception):
    """A failure to report on stderr; `detail` (e.g. a log tail) follows the message."""

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.detail = detail


class PortClash(Exception):
    """A server could not bind a port we picked; the whole start is retried."""


def note(msg):
    print("zkharness: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- four-letter words


def four_letter(port, cmd, timeout=2.0):
    """Sends a four-letter word to 127.0.0.1:port and returns the whole reply."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(cmd.encode("ascii"))
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def server_mode(port, timeout=2.0):
    """The `Mode:` of `srvr`, or None if the server is unreachable or not serving."""
    try:
        reply = four_letter(port, "srvr", timeout)
    except OSError:
        return None
    for line in reply.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


# ---------------------------------------------------------------- processes


def _proc_stat(pid):
    """(state, starttime) from /proc/<pid>/stat, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses; the rest follows the last ')'.
    rest = raw[raw.rfind(")") + 2:].split()
    return rest[0], rest[19]


def process_alive(pid, starttime=None):
    """True if pid runs and is not a zombie (and, if given, started at `starttime`)."""
    if not pid:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        if os.path.isdir("/proc"):
            return False
        try:  # no procfs: the best we can do
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    state, started = stat
    if state in ("Z", "X"):
        return False
    return starttime is None or started == starttime


def process_is(pid, marker):
    """True if pid is alive and its command line contains `marker`.

    Guards every signal we send: a pid in a stale file may by now belong to anyone.
    """
    if not process_alive(pid):
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return not os.path.isdir("/proc")
    return marker in cmdline


def send_signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_gone(pids, seconds):
    deadline = time.monotonic() + seconds
    while True:
        left = [p for p in pids if process_alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


LAUNCH_BANNER = "==== zkharness: starting server"


def log_tail(path, lines=40):
    """The last lines of the newest run in a server.log (runs are separated by banners)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 256 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "(no log at %s)" % path
    run = text[text.rfind(LAUNCH_BANNER):] if LAUNCH_BANNER in text else text
    return "\n".join(run.splitlines()[-lines:])


# ---------------------------------------------------------------- state


def server_dir(d, i):
    return os.path.join(d, "zk%d" % i)


def cfg_path(d, i):
    return os.path.join(server_dir(d, i), "zoo.cfg")


def state_path(d):
    return os.path.join(d, "state.json")


def load_state(d):
    try:
        with open(state_path(d)) as f:
            return json.load(f)
    except FileNotFoundError:
        raise HarnessError("no cluster in %s (state.json missing); was `start` run?" % d)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def env_lines(st):
    servers = st["servers"]
    lines = ["ZK_HOSTS=" + ",".join("%s:%d" % (LOOPBACK, s["port"]) for s in servers)]
    for s in servers:
        lines.append("ZK_SERVER_%d_PORT=%d" % (s["id"], s["port"]))
        lines.append("ZK_SERVER_%d_PID=%d" % (s["id"], s["pid"]))
        if st.get("reconfig"):
            lines.append("ZK_SERVER_%d_QUORUM_PORT=%d" % (s["id"], s["quorum_port"]))
            lines.append("ZK_SERVER_%d_ELECTION_PORT=%d" % (s["id"], s["election_port"]))
    lines.append("ZK_SERVERS=%d" % len(servers))
    if st["tls"]:
        for s in servers:
            lines.append("ZK_SECURE_PORT_%d=%d" % (s["id"], s["secure_port"]))
        lines.append(
            "ZK_SECURE_HOSTS="
            + ",".join("%s:%d" % (LOOPBACK, s["secure_port"]) for s in servers)
        )
        lines.append("ZK_TLS_DIR=" + os.path.join(st["dir"], "tls"))
    return lines


def save_state(st):
    d = st["dir"]
    write_atomic(state_path(d), json.dumps(st, indent=1) + "\n")
    write_atomic(os.path.join(d, "cluster.env"), "\n".join(env_lines(st)) + "\n")


def set_pid(st, i, pid):
    st["servers"][i - 1]["pid"] = pid
    pidfile = os.path.join(server_dir(st["dir"], i), "pid")
    if pid:
        write_atomic(pidfile, "%d\n" % pid)
    else:
        try:
            os.unlink(pidfile)
        except FileNotFoundError:
            pass
    save_state(st)


def server_entry(st, i):
    if not 1 <= i <= len(st["servers"]):
        raise HarnessError("no server %d (cluster has %d)" % (i, len(st["servers"])))
    return st["servers"][i - 1]


# ---------------------------------------------------------------- java and class path


def find_java():
    candidates = [os.environ.get("JAVA")]
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.path.join(os.environ["JAVA_HOME"], "bin", "java"))
    candidates += [shutil.which("java"), "/usr/bin/java"]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    raise HarnessError("no java found (set JAVA or JAVA_HOME, or run scripts/setup.sh)")


def requested_version():
    """The server that ZK_VERSION names ("3.8" when unset)."""
    v = os.environ.get("ZK_VERSION", "").strip() or DEFAULT_VERSION
    if v not in VERSIONS:
        raise HarnessError("ZK_VERSION=%s: want one of %s" % (v, ", ".join(sorted(VERSIONS))))
    return v


def zk39_dir():
    """Where scripts/setup.sh keeps ZooKeeper 3.9.5's jars: $LIBZKCLIENT_CACHE, else
    /var/cache/libzkclient when it runs as root, else ~/.cache/libzkclient (keep in step
    with setup.sh). Returns the first of those that holds a complete download."""
    bases = [os.environ.get("LIBZKCLIENT_CACHE"), "/var/cache/libzkclient",
             os.path.join(os.environ.get("XDG_CACHE_HOME")
                          or os.path.join(os.path.expanduser("~"), ".cache"), "libzkclient")]
    for base in bases:
        if base:
            d = os.path.join(base, "zookeeper-" + ZK39_RELEASE)
            if os.path.isfile(os.path.join(d, "classpath")):
                return d
    return None


def zk39_jars():
    """The jars setup.sh fetched and verified, as listed in its `classpath` file."""
    d = zk39_dir()
    if d is None:
        raise HarnessError(
            "ZK_VERSION=3.9: no ZooKeeper %s jars in the cache; run scripts/setup.sh "
            "(it fetches them from Maven Central)" % ZK39_RELEASE)
    with open(os.path.join(d, "classpath")) as f:
        jars = [os.path.join(d, "lib", name.strip()) for name in f if name.strip()]
    gone = [j for j in jars if not os.path.isfile(j)]
    if gone:
        raise HarnessError("missing %s; run scripts/setup.sh again" % ", ".join(gone))
    return jars


def class_path(conf_dir, version):
    """conf dir, then the server's jars: Debian's zookeeper.jar and the jars its manifest
    forgets (3.8), or setup.sh's download (3.9). ZK_CLASSPATH overrides both."""
    override = os.environ.get("ZK_CLASSPATH")
    if override:
        return conf_dir + ":" + override
    if version == "3.9":
        return ":".join([conf_dir] + zk39_jars())
    jar = os.environ.get("ZK_JAR", os.path.join(JAVA_DIR, "zookeeper.jar"))
    if not os.path.isfile(jar):
        raise HarnessError(
            "ZooKeeper jar not found at %s; install Debian's `zookeeper` package "
            "(scripts/setup.sh) or set ZK_JAR / ZK_CLASSPATH" % jar
        )
    parts = [conf_dir, jar]
    for name in LOGGING_JARS + NETTY_JARS:
        path = os.path.join(JAVA_DIR, name)
        if os.path.isfile(path):
            parts.append(path)
        elif name in LOGGING_JARS:
            note("warning: %s missing; the server will log nothing" % path)
    return ":".join(parts)


def server_version(port, timeout=2.0):
    """The release from `srvr` ("Zookeeper version: 3.9.5-<git sha>, built on ..."), e.g.
    "3.9.5", or None if the server does not answer."""
    try:
        reply = four_letter(port, "srvr", timeout)
    except OSError:
        return None
    for line in reply.splitlines():
        if line.startswith("Zookeeper version:"):
            return line.split(":", 1)[1].strip().split("-", 1)[0].split(",", 1)[0]
    return None


def check_version(st):
    """Fails the start if the server is not the one ZK_VERSION asked for (a stale cache, a
    stray ZK_JAR): a suite named "on 3.9" must not quietly run on 3.8."""
    if os.environ.get("ZK_CLASSPATH") or os.environ.get("ZK_JAR"):
        return
    port = next(s["port"] for s in st["servers"] if s["pid"])
    got = server_version(port)
    if got is None or not got.startswith(VERSIONS[st["version"]]):
        raise HarnessError("ZK_VERSION=%s but the server reports version %s"
                           % (st["version"], got))


def java_command(java, cp, d, i, readonly, jvm_flags):
    cmd = [java, "-Xmx256m", "-XX:-UsePerfData"]
    if not any(f.startswith("-XX:+Use") and f.endswith("GC") for f in jvm_flags):
        cmd.append("-XX:+UseSerialGC")  # fewer threads; we have two cores for everything
    cmd += [
        "-Djava.net.preferIPv4Stack=true",
        "-Dzookeeper.jmx.log4j.disable=true",
        "-Dlog4j.configuration=file:" + os.path.join(d, "conf", "log4j.properties"),
        "-Dzookeeper.log.dir=" + server_dir(d, i),
    ]
    if readonly:
        cmd.append("-Dreadonlymode.enabled=true")  # a JVM property only; zoo.cfg can't set it
    cmd += list(jvm_flags)
    cmd += ["-cp", cp, MAIN_CLASS, cfg_path(d, i)]
    return cmd


def launch(st, i):
    """Starts server i in its own session; returns the Popen."""
    sd = server_dir(st["dir"], i)
    with open(os.path.join(sd, "server.log"), "ab") as log:
        log.write(("\n%s %d at %s ====\n"
                   % (LAUNCH_BANNER, i, time.strftime("%Y-%m-%d %H:%M:%S"))).encode())
        log.flush()
        proc = subprocess.Popen(
            st["servers"][i - 1]["cmd"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=sd, start_new_session=True, close_fds=True,
        )
    set_pid(st, i, proc.pid)
    return proc


def accepted_modes(st, running):
    """Modes that count as "up". Read-only only when `running` servers can't form a quorum."""
    n = len(st["servers"])
    if st["readonly"] and n > 1 and running <= n // 2:
        return READY_MODES + ("read-only",)
    return READY_MODES


def bind_failed(logf):
    # A quorum/election port clash does not end the JVM until the listener has retried for
    # ~3 s, by which time the ensemble may look healthy, so look for it in the log.
    run = log_tail(logf, lines=100000)
    return "BindException" in run or "Address already in use" in run


def wait_ready(st, procs, modes, timeout):
    """Waits until every server in procs ({id: Popen}) reports one of `modes`."""
    deadline = time.monotonic() + timeout
    pending = set(procs)
    while True:
        for i, proc in sorted(procs.items()):
            logf = os.path.join(server_dir(st["dir"], i), "server.log")
            if bind_failed(logf):
                raise PortClash("server %d could not bind" % i)
            rc = proc.poll()
            if rc is not None:
                raise HarnessError("server %d exited with status %d" % (i, rc),
                                   "--- tail of %s\n%s" % (logf, log_tail(logf)))
            if i in pending and server_mode(st["servers"][i - 1]["port"], 1.0) in modes:
                pending.discard(i)
        if not pending:
            return
        if time.monotonic() >= deadline:
            i = min(pending)
            logf = os.path.join(server_dir(st["dir"], i), "server.log")
            raise HarnessError(
                "server(s) %s not serving after %.1f s (want Mode: %s)"
                % (sorted(pending), timeout, "/".join(modes)),
                "--- tail of %s\n%s" % (logf, log_tail(logf)),
            )
        time.sleep(0.1)


# ---------------------------------------------------------------- config and TLS


def pick_ports(count):
    """`count` distinct free loopback ports (all held open until all are chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_configs(st, tick_ms, extra):
    d, servers = st["dir"], st["servers"]
    n = len(servers)
    for s in servers:
        i = s["id"]
        sd = server_dir(d, i)
        data = os.path.join(sd, "data")
        shutil.rmtree(data, ignore_errors=True)  # a retried start must not see old epochs
        os.makedirs(data)
        cfg = {
            "tickTime": str(tick_ms),
            "initLimit": "10",
            "syncLimit": "5",
            "dataDir": data,
            "clientPort": str(s["port"]),
            "clientPortAddress": LOOPBACK,
            "admin.enableServer": "false",
            "4lw.commands.whitelist": "*",
            "extendedTypesEnabled": "true",
            "maxClientCnxns": "0",
            # No fsync of the transaction log: a test server's data need not survive the
            # machine, and an fsync stuck behind the disk writes of a build running beside
            # the tests (cargo writes gigabytes) would stall every write for seconds and
            # make a client with a short session call its connection dead. A killed server
            # still loses nothing: the log is in the page cache.
            "forceSync": "no",
        }
        if n > 1:
            cfg["localSessionsEnabled"] = "true"
            cfg["localSessionsUpgradingEnabled"] = "true"
            for o in servers:
                cfg["server.%d" % o["id"]] = "%s:%d:%d" % (LOOPBACK, o["quorum_port"],
                                                           o["election_port"])
            write_atomic(os.path.join(data, "myid"), "%d\n" % i)
        if st["tls"]:
            tls = os.path.join(d, "tls")
            cfg.update({
                "secureClientPort": str(s["secure_port"]),
                "secureClientPortAddress": LOOPBACK,
                "serverCnxnFactory": "org.apache.zookeeper.server.NettyServerCnxnFactory",
                "ssl.keyStore.location": os.path.join(tls, "server.p12"),
                "ssl.keyStore.password": TLS_PASSWORD,
                "ssl.keyStore.type": "PKCS12",
                "ssl.trustStore.location": os.path.join(tls, "truststore.p12"),
                "ssl.trustStore.password": TLS_PASSWORD,
                "ssl.trustStore.type": "PKCS12",
            })
        if st.get("reconfig"):
            dynamic_config(st, s, cfg)
        for key, value in extra:
            cfg[key] = value  # later wins, so --extra can override our defaults
        text = "# Written by zkharness.py\n" + "".join("%s=%s\n" % kv for kv in cfg.items())
        write_atomic(cfg_path(d, i), text)

# ---------------------------------------------------------------- dynamic reconfiguration
#
# With --reconfig the membership lives in a dynamic config file (each server line carries
# its client address, so getConfig shows where clients connect), reconfig is enabled, and
# standaloneEnabled=false lets even one server run as a quorum that can grow. The servers
# rewrite both files on every reconfig (zoo.cfg then names zoo.cfg.dynamic.<version>).
# `add` starts one more server that joins the running ensemble as a non-voting follower;
# a client then makes it a member with reconfig -add, using the line
# server.<id>=127.0.0.1:<quorum>:<election>:participant;127.0.0.1:<port> from cluster.env.

# reconfig writes /zookeeper/config, whose ACL lets only the super user write. skipACL
# lets any test client reconfig without a superDigest and an addauth in every client;
# it turns off every ACL check, so ACL tests must not run on a --reconfig cluster.
RECONFIG_JVM_FLAGS = ("-Dzookeeper.skipACL=yes",)


def member_line(s, role="participant"):
    return "server.%d=%s:%d:%d:%s;%s:%d" % (s["id"], LOOPBACK, s["quorum_port"],
                                            s["election_port"], role, LOOPBACK, s["port"])


def dynamic_config(st, s, cfg):
    """Moves server s's membership and client port out of its static `cfg` into its
    dynamic config file, and enables reconfig."""
    sd = server_dir(st["dir"], s["id"])
    for key in [k for k in cfg if k.startswith("server.")] + ["clientPort", "clientPortAddress"]:
        cfg.pop(key, None)
    dynamic = os.path.join(sd, "zoo.cfg.dynamic")
    write_atomic(dynamic, "".join(member_line(o) + "\n" for o in st["servers"]))
    write_atomic(os.path.join(cfg["dataDir"], "myid"), "%d\n" % s["id"])
    cfg.update({"reconfigEnabled": "true", "standaloneEnabled": "false",
                "dynamicConfigFile": dynamic})


def current_members(st):
    """The server lines of the newest membership a running server has written."""
    for s in st["servers"]:
        if not running_pid(st, s["id"]):
            continue
        static = {}
        with open(cfg_path(st["dir"], s["id"])) as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    k, v = line.strip().split("=", 1)
                    static[k] = v
        path = static.get("dynamicConfigFile")
        if path and os.path.isfile(path):
            with open(path) as f:
                return s, [l.strip() for l in f if l.startswith("server.")]
    raise HarnessError("no running server to learn the membership from")


def cmd_add(a):
    d = os.path.abspath(a.dir)
    st = load_state(d)
    if not st.get("reconfig"):
        raise HarnessError("add needs a cluster started with --reconfig")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _terminate)
    donor, members = current_members(st)
    i = len(st["servers"]) + 1
    sd = server_dir(d, i)
    os.makedirs(sd, exist_ok=True)
    data = os.path.join(sd, "data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    write_atomic(os.path.join(data, "myid"), "%d\n" % i)
    port, quorum, election = pick_ports(3)
    s = {"id": i, "port": port, "quorum_port": quorum, "election_port": election, "pid": 0}
    # The joiner starts with the current members plus itself; listed as an observer it
    # cannot form a quorum of its own with another joiner (ZooKeeper's advice). Either way
    # it syncs with the leader as a non-voting follower until a reconfig adds it.
    dynamic = os.path.join(sd, "zoo.cfg.dynamic")
    write_atomic(dynamic, "".join(m + "\n" for m in members)
                 + member_line(s, "observer" if a.observer else "participant") + "\n")
    # The donor's static config and command line, with this server's paths: whatever
    # the cluster was started with (TLS, extras, JVM flags) carries over.
    text = []
    with open(cfg_path(d, donor["id"])) as f:
        for line in f:
            key = line.split("=", 1)[0]
            if key == "dataDir":
                line = "dataDir=%s\n" % data
            elif key == "dynamicConfigFile":
                line = "dynamicConfigFile=%s\n" % dynamic
            elif key == "secureClientPort":
                s["secure_port"] = pick_ports(1)[0]
                line = "secureClientPort=%d\n" % s["secure_port"]
            text.append(line)
    write_atomic(cfg_path(d, i), "".join(text))
    own = {cfg_path(d, donor["id"]): cfg_path(d, i),
           "-Dzookeeper.log.dir=" + server_dir(d, donor["id"]): "-Dzookeeper.log.dir=" + sd}
    s["cmd"] = [own.get(arg, arg) for arg in donor["cmd"]]
    st["servers"].append(s)
    save_state(st)
    proc = launch(st, i)
    ok = False
    try:
        wait_ready(st, {i: proc}, READY_MODES + ("observer",), a.timeout)
        ok = True
    except PortClash:
        raise HarnessError("server %d could not bind its ports" % i,
                           log_tail(os.path.join(sd, "server.log")))
    finally:
        if not ok:
            send_signal(proc.pid, signal.SIGKILL)
            proc.wait()
            set_pid(st, i, 0)
    print("ZK_SERVER_%d_PORT=%d" % (i, port))
    print("ZK_SERVER_%d_PID=%d" % (i, proc.pid))
    print("ZK_SERVER_%d_QUORUM_PORT=%d" % (i, quorum))
    print("ZK_SERVER_%d_ELECTION_PORT=%d" % (i, election))
    return 0


def run_tool(args, stdin=None):
    proc = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise HarnessError("command failed: " + " ".join(args),
                           proc.stderr.decode("utf-8", "replace") +
                           proc.stdout.decode("utf-8", "replace"))
    return proc.stdout


def make_tls(d, java):
    """A throwaway CA, a server cert for 127.0.0.1/localhost and a client cert."""
    keytool = os.path.join(os.path.dirname(os.path.realpath(java)), "keytool")
    if not os.access(keytool, os.X_OK):
        keytool = shutil.which("keytool")
    openssl = shutil.which("openssl")
    if not keytool:
        raise HarnessError("--tls needs keytool (from the JDK/JRE); none found")
    if not openssl:
        raise HarnessError("--tls needs the openssl CLI for the PEM files; "
                           "install it (apt-get install openssl, or scripts/setup.sh)")
    tls = os.path.join(d, "tls")
    os.makedirs(tls, exist_ok=True)

    def p(name):
        return os.path.join(tls, name)

    def kt(*args):
        run_tool([keytool] + KEYTOOL_JVM + list(args) + ["-storepass", TLS_PASSWORD])

    key = ["-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
           "-validity", "3650", "-storetype", "PKCS12", "-keypass", TLS_PASSWORD]
    kt("-genkeypair", "-alias", "ca", "-dname", "CN=zkharness test CA",
       "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign", "-keystore", p("ca.p12"), *key)
    kt("-exportcert", "-rfc", "-alias", "ca", "-keystore", p("ca.p12"), "-file", p("ca.pem"))
    kt("-importcert", "-noprompt", "-alias", "ca", "-file", p("ca.pem"),
       "-storetype", "PKCS12", "-keystore", p("truststore.p12"))
    # The server checks the client certificate's SAN against the peer address too
    # (ssl.hostnameVerification), so both leaf certs name 127.0.0.1 and localhost.

    def leaf(name, cn, eku):
        kt("-genkeypair", "-alias", name, "-dname", "CN=" + cn,
           "-keystore", p(name + ".p12"), *key)
        kt("-certreq", "-alias", name, "-keystore", p(name + ".p12"), "-file", p(name + ".csr"))
        kt("-gencert", "-rfc", "-alias", "ca", "-keystore", p("ca.p12"),
           "-infile", p(name + ".csr"), "-outfile", p(name + ".pem"), "-validity", "3650",
           "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "ku:c=digitalSignature",
           "-ext", "eku=" + eku)
        kt("-importcert", "-noprompt", "-alias", "ca", "-file", p("ca.pem"),
           "-keystore", p(name + ".p12"))
        kt("-importcert", "-noprompt", "-alias", name, "-file", p(name + ".pem"),
           "-keystore", p(name + ".p12"))
        os.unlink(p(name + ".csr"))
        bags = run_tool([openssl, "pkcs12", "-in", p(name + ".p12"), "-nocerts", "-nodes",
                         "-passin", "pass:" + TLS_PASSWORD])
        # keytool's EC keys leave the public key out of the PKCS#8 structure, which ring
        # (rustls's provider in libzkclient) refuses; `openssl ec` puts it back.
        sec1 = run_tool([openssl, "ec"], stdin=bags)
        run_tool([openssl, "pkcs8", "-topk8", "-nocrypt", "-out", p(name + "-key.pem")],
                 stdin=sec1)

    leaf("server", "localhost", "serverAuth,clientAuth")
    leaf("client", "zkharness-client", "clientAuth")
    return tls


# ---------------------------------------------------------------- SASL


SASL_USER_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$*-")


def sasl_jvm_flags(d, users, required):
    """With --sasl-digest USER=PASSWORD...: writes DIR/conf/jaas.conf, a JAAS `Server`
    section whose DigestLoginModule knows those users (no KDC: DIGEST-MD5 on loopback),
    and returns the JVM flags that load it and make `sasl` an ACL scheme; with
    --sasl-required, clients must also authenticate with SASL. [] without --sasl-digest."""
    if not users:
        if required:
            raise HarnessError("--sasl-required needs --sasl-digest USER=PASSWORD")
        return []
    lines = []
    for entry in users:
        user, sep, password = entry.partition("=")
        # `user_NAME` is a word of the JAAS file's tokenizer: these characters only.
        if not sep or not user or not set(user) <= SASL_USER_CHARS:
            raise HarnessError("--sasl-digest wants USER=PASSWORD with USER of "
                               "[A-Za-z0-9_$*-], got %r" % entry)
        quoted = password.replace("\\", "\\\\").replace('"', '\\"')
        lines.append('    user_%s="%s"' % (user, quoted))
    jaas = os.path.join(d, "conf", "jaas.conf")
    # Read as UTF-8 by the JVM, so passwords may be any text.
    with open(jaas + ".tmp", "w", encoding="utf-8") as f:
        f.write("// Written by zkharness.py: SASL DIGEST-MD5 users of the servers.\n"
                "Server {\n    org.apache.zookeeper.server.auth.DigestLoginModule required\n"
                + "\n".join(lines) + ";\n};\n")
    os.replace(jaas + ".tmp", jaas)
    flags = [
        "-Djava.security.auth.login.config=" + jaas,
        "-Dzookeeper.authProvider.sasl="
        "org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
    ]
    if required:
        flags.append("-Dzookeeper.sessionRequireClientSASLAuth=true")
    return flags


# ---------------------------------------------------------------- stop and watchdog


def stop_dir(d, grace=5.0):
    """SIGTERM (and SIGCONT, in case it is paused) every server of d, SIGKILL after grace."""
    if not os.path.isdir(d):
        return
    try:
        st = load_state(d)
    except (HarnessError, ValueError):
        st = None
    pids = {}
    for name in sorted(os.listdir(d)):
        pidfile = os.path.join(d, name, "pid")
        if name.startswith("zk") and os.path.isfile(pidfile):
            try:
                with open(pidfile) as f:
                    pids[int(f.read().strip())] = os.path.join(d, name, "zoo.cfg")
            except ValueError:
                pass
    for s in (st or {}).get("servers", []):
        if s["pid"]:
            pids[s["pid"]] = cfg_path(d, s["id"])
    ours = [pid for pid, cfg in pids.items() if process_is(pid, cfg)]
    for pid in ours:
        send_signal(pid, signal.SIGTERM)
        send_signal(pid, signal.SIGCONT)
    left = wait_gone(ours, grace)
    for pid in left:
        send_signal(pid, signal.SIGKILL)
    left = wait_gone(left, 5.0)
    if left:
        note("warning: pids %s survived SIGKILL" % left)
    if st:
        for s in st["servers"]:
            set_pid(st, s["id"], 0)
    else:
        for name in os.listdir(d):
            pidfile = os.path.join(d, name, "pid")
            if name.startswith("zk") and os.path.isfile(pidfile):
                os.unlink(pidfile)
    kill_watchdog(d)


def watchdog_marker(d):
    return "_watchdog --dir " + d + " "


def kill_watchdog(d):
    path = os.path.join(d, "watchdog.pid")
    try:
        with open(path) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return
    if pid != os.getpid() and process_is(pid, watchdog_marker(d)):
        send_signal(pid, signal.SIGKILL)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def spawn_watchdog(d, parent_pid, cleanup):
    stat = _proc_stat(parent_pid)
    if stat is None or not process_alive(parent_pid):
        raise HarnessError("--parent-pid %d is not a running process" % parent_pid)
    cmd = [sys.executable, os.path.abspath(__file__), "_watchdog", "--dir", d,
           "--parent-pid", str(parent_pid), "--parent-start", stat[1]]
    if cleanup:
        cmd.append("--cleanup")
    with open(os.path.join(d, "watchdog.log"), "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                close_fds=True, cwd="/")
    write_atomic(os.path.join(d, "watchdog.pid"), "%d\n" % proc.pid)


def cmd_watchdog(a):
    d = a.dir
    # The parent may die while we sleep; the start time rules out a recycled pid.
    while os.path.isdir(d):
        if not process_alive(a.parent_pid, a.parent_start):
            stop_dir(d)
            if a.cleanup:
                shutil.rmtree(d, ignore_errors=True)
            return 0
        time.sleep(0.5)
    return 0


# ---------------------------------------------------------------- subcommands


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def cmd_start(a):
    d = os.path.abspath(a.dir)
    n, k = a.servers, a.start_count if a.start_count is not None else a.servers
    if n < 1 or not 1 <= k <= n:
        raise HarnessError("need --servers >= 1 and 1 <= --start-count <= --servers")
    extra = []
    for kv in a.extra:
        if "=" not in kv:
            raise HarnessError("--extra wants key=value, got %r" % kv)
        extra.append(tuple(kv.split("=", 1)))
    os.makedirs(d, exist_ok=True)
    if os.path.exists(state_path(d)):
        old = load_state(d)
        if any(process_is(s["pid"], cfg_path(d, s["id"])) for s in old["servers"]):
            raise HarnessError("a cluster is already running in %s; stop it first" % d)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _terminate)
    java = find_java()
    conf = os.path.join(d, "conf")
    os.makedirs(conf, exist_ok=True)
    write_atomic(os.path.join(conf, "log4j.properties"), LOG4J_PROPERTIES)
    write_atomic(os.path.join(conf, "simplelogger.properties"), SIMPLELOGGER_PROPERTIES)
    sasl_flags = sasl_jvm_flags(d, a.sasl_digest, a.sasl_required)
    version = requested_version()
    cp = class_path(conf, version)
    for i in range(1, n + 1):
        os.makedirs(server_dir(d, i), exist_ok=True)
    if a.parent_pid:
        spawn_watchdog(d, a.parent_pid, a.cleanup)  # first, so nothing we start can leak

    ok = False
    try:
        if a.tls:
            make_tls(d, java)
        quorum = n > 1 or a.reconfig
        per_server = 1 + (2 if quorum else 0) + (1 if a.tls else 0)
        jvm_flags = a.jvm_flag + (list(RECONFIG_JVM_FLAGS) if a.reconfig else []) + sasl_flags
        for attempt in range(1, 4):
            ports = iter(pick_ports(per_server * n))
            servers = []
            for i in range(1, n + 1):
                s = {"id": i, "port": next(ports), "pid": 0}
                if quorum:
                    s["quorum_port"], s["election_port"] = next(ports), next(ports)
                if a.tls:
                    s["secure_port"] = next(ports)
                s["cmd"] = java_command(java, cp, d, i, a.readonly, jvm_flags)
                servers.append(s)
            st = {"dir": d, "version": version, "readonly": a.readonly, "tls": a.tls,
                  "servers": servers}
            if a.reconfig:
                st["reconfig"] = True
            save_state(st)
            write_configs(st, a.tick_ms, extra)
            procs = {}
            try:
                for i in range(1, k + 1):
                    procs[i] = launch(st, i)
                wait_ready(st, procs, accepted_modes(st, k), a.timeout)
                check_version(st)
                break
            except PortClash as e:
                stop_dir(d, grace=0)
                if attempt == 3:
                    raise HarnessError(str(e) + " three times; giving up")
                note("%s; retrying with new ports" % e)
                if a.parent_pid:  # stop_dir took the watchdog down with the servers
                    spawn_watchdog(d, a.parent_pid, a.cleanup)
        ok = True
    finally:
        if not ok:
            stop_dir(d, grace=0)
    for line in env_lines(st):
        print(line)
    return 0


def cmd_stop(a):
    d = os.path.abspath(a.dir)
    stop_dir(d)
    if a.remove:
        shutil.rmtree(d, ignore_errors=True)
    return 0


def running_pid(st, i):
    s = server_entry(st, i)
    if s["pid"] and process_is(s["pid"], cfg_path(st["dir"], i)):
        return s["pid"]
    return 0


def cmd_kill(a):
    st = load_state(os.path.abspath(a.dir))
    pid = running_pid(st, a.id)
    if pid:
        send_signal(pid, signal.SIGKILL)
        if wait_gone([pid], 10.0):
            raise HarnessError("server %d (pid %d) survived SIGKILL" % (a.id, pid))
    set_pid(st, a.id, 0)
    return 0


def cmd_signal(a, sig):
    st = load_state(os.path.abspath(a.dir))
    pid = running_pid(st, a.id)
    if not pid:
        raise HarnessError("server %d is not running" % a.id)
    send_signal(pid, sig)
    return 0


def cmd_restart(a):
    d = os.path.abspath(a.dir)
    st = load_state(d)
    pid = running_pid(st, a.id)
    if pid:
        send_signal(pid, signal.SIGKILL)
        wait_gone([pid], 10.0)
        set_pid(st, a.id, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _terminate)
    running = 1 + sum(1 for s in st["servers"] if s["id"] != a.id and running_pid(st, s["id"]))
    proc = launch(st, a.id)
    ok = False
    try:
        wait_ready(st, {a.id: proc}, accepted_modes(st, running), a.timeout)
        ok = True
    except PortClash:
        raise HarnessError("server %d could not bind its old ports again" % a.id,
                           log_tail(os.path.join(server_dir(d, a.id), "server.log")))
    finally:
        if not ok:
            send_signal(proc.pid, signal.SIGKILL)
            proc.wait()
            set_pid(st, a.id, 0)
    print("ZK_SERVER_%d_PID=%d" % (a.id, proc.pid))
    return 0


def cmd_leader(a):
    st = load_state(os.path.abspath(a.dir))
    deadline = time.monotonic() + a.timeout
    while True:
        modes = {}
        for s in st["servers"]:
            if running_pid(st, s["id"]):
                modes[s["id"]] = server_mode(s["port"], timeout=1.0)
                if modes[s["id"]] == "leader":
                    print(s["id"])
                    return 0
        if time.monotonic() >= deadline:
            raise HarnessError("no leader after %.0f s; modes: %s" % (a.timeout, modes))
        time.sleep(0.1)


def cmd_status(a):
    st = load_state(os.path.abspath(a.dir))
    for s in st["servers"]:
        pid = running_pid(st, s["id"])
        mode = server_mode(s["port"], timeout=1.0) if pid else None
        version = server_version(s["port"], timeout=1.0) if pid else None
        print("%d port=%d pid=%d mode=%s version=%s"
              % (s["id"], s["port"], pid, mode or "-", version or "-"))
    return 0


def cmd_4lw(a):
    try:
        sys.stdout.write(four_letter(a.port, a.cmd, a.timeout))
    except OSError as e:
        raise HarnessError("%s on %s:%d failed: %s" % (a.cmd, LOOPBACK, a.port, e))
    return 0


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="start a cluster and wait until it serves")
    p.add_argument("--dir", required=True)
    p.add_argument("--servers", type=int, default=1)
    p.add_argument("--start-count", type=int, default=None,
                   help="start only servers 1..K (default: all); with --readonly and "
                        "K <= N/2 they come up read-only")
    p.add_argument("--readonly", action="store_true", help="-Dreadonlymode.enabled=true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--reconfig", action="store_true",
                   help="dynamic reconfiguration: membership in a dynamic config file, "
                        "reconfigEnabled, standaloneEnabled=false, skipACL")
    p.add_argument("--tick-ms", type=int, default=500)
    p.add_argument("--extra", action="append", nargs="+", default=[], metavar="KEY=VALUE",
                   help="extra zoo.cfg line(s); overrides ours for the same key")
    p.add_argument("--jvm-flag", action="append", default=[], metavar="FLAG",
                   help="one JVM option per --jvm-flag, e.g. --jvm-flag -Djute.maxbuffer=4000000")
    p.add_argument("--sasl-digest", action="append", default=[], metavar="USER=PASSWORD",
                   help="a SASL DIGEST-MD5 user of the servers (JAAS DigestLoginModule); "
                        "repeatable")
    p.add_argument("--sasl-required", action="store_true",
                   help="with --sasl-digest: clients must authenticate with SASL "
                        "(zookeeper.sessionRequireClientSASLAuth)")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--parent-pid", type=int, default=0,
                   help="stop the cluster once this process is gone")
    p.add_argument("--cleanup", action="store_true",
                   help="with --parent-pid: also remove DIR after stopping")

    p = sub.add_parser("add", help="start one more server that joins a --reconfig "
                                   "ensemble (a client's reconfig makes it a member)")
    p.add_argument("--dir", required=True)
    p.add_argument("--observer", action="store_true",
                   help="list the joiner as an observer in its initial config")
    p.add_argument("--timeout", type=float, default=60.0)

    p = sub.add_parser("stop", help="stop every server (idempotent)")
    p.add_argument("--dir", required=True)
    p.add_argument("--remove", action="store_true", help="also remove DIR")

    for name, what in (("kill", "SIGKILL"), ("pause", "SIGSTOP"), ("resume", "SIGCONT"),
                       ("restart", "start again and wait")):
        p = sub.add_parser(name, help="%s one server" % what)
        p.add_argument("--dir", required=True)
        p.add_argument("--id", type=int, required=True)
        p.add_argument("--timeout", type=float, default=60.0)

    p = sub.add_parser("leader", help="print the id of the leader (waits for one)")
    p.add_argument("--dir", required=True)
    p.add_argument("--timeout", type=float, default=30.0)

    p = sub.add_parser("status", help="print id, port, pid, mode and version of each server")
    p.add_argument("--dir", required=True)

    p = sub.add_parser("4lw", help="send a four-letter word to 127.0.0.1:PORT")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("cmd")

    p = sub.add_parser("_watchdog")  # internal: spawned by start --parent-pid
    p.add_argument("--dir", required=True)
    p.add_argument("--parent-pid", type=int, required=True)
    p.add_argument("--parent-start", required=True)
    p.add_argument("--cleanup", action="store_true")
    # argparse reads a value that starts with "-" as an option, so glue it on.
    glued, it = [], iter(argv)
    for arg in it:
        glued.append(arg + "=" + next(it, "") if arg == "--jvm-flag" else arg)
    a = ap.parse_args(glued)
    if getattr(a, "extra", None):
        a.extra = [kv for group in a.extra for kv in group]
    return a


def main(argv):
    a = parse_args(argv)
    handlers = {
        "start": cmd_start, "add": cmd_add, "stop": cmd_stop, "kill": cmd_kill,
        "pause": lambda a: cmd_signal(a, signal.SIGSTOP),
        "resume": lambda a: cmd_signal(a, signal.SIGCONT),
        "restart": cmd_restart, "leader": cmd_leader, "status": cmd_status,
        "4lw": cmd_4lw, "_watchdog": cmd_watchdog,
    }
    try:
        return handlers[a.command](a)
    except HarnessError as e:
        note("error: %s" % e)
        if e.detail:
            print(e.detail, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

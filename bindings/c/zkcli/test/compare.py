#!/usr/bin/env python3
"""zkcli's shell beside zkCli.sh, Debian's (the zookeeper package, 3.8): both read the
same commands from standard input, against the same real server ($ZK_HOSTS), and must
print the same: stdout, stderr, and the watch events (compared apart, since both print
those from another thread, whenever they come).

  compare.py ZKCLI [ZKCLI_SH]       (ZK_HOSTS names the server; prints "N passed, M failed")

With ZK_RECONFIG_HOSTS (a --reconfig ensemble of zkharness.py, one member) and
ZK_RECONFIG_JOINER (the config line of a server started with `zkharness.py add`), a third
script adds and removes that server with reconfig, and reads the config.

Two scripts. The first reads a tree made beforehand and fails in the usual ways (no node,
node exists, bad version, no auth, bad paths and flags): its output must match byte for
byte. The second writes, each tool below its own node, so the paths are made alike and
the zxids and times (which differ with each write) are masked before comparing.
"""
import base64
import difflib
import hashlib
import os
import re
import subprocess
import sys

ZKCLI = sys.argv[1]
ZKCLI_SH = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/zookeeper/bin/zkCli.sh"
HOSTS = os.environ["ZK_HOSTS"]
ROOT = "/zkcli-compare-%d" % os.getpid()
passed = failed = 0


def zkcli(*args, check=True):
    p = subprocess.run([ZKCLI, "-s", HOSTS] + list(args), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit("compare: zkcli %s failed: %s" % (" ".join(args), p.stderr))
    return p


def run(cmd, script):
    p = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=120)
    return p.stdout, p.stderr


# What only zkCli.sh prints: its banner, SLF4J's complaints, Java's exception class names.
BANNER = re.compile(r"^(Connecting to |Welcome to ZooKeeper!|JLine support is )")
SLF4J = re.compile(r"^SLF4J: ")
JAVA_EXC = re.compile(r"^org\.apache\.commons\.cli\.\w+: ")


def split_events(text):
    """The lines without the watch events (each "\\nWATCHER::" and "\\nWatchedEvent ..."
    println: the line and the empty one before it), and the events' lines."""
    out, events = [], []
    for line in text.split("\n"):
        if line == "WATCHER::" or line.startswith("WatchedEvent "):
            if out and out[-1] == "":
                out.pop()
            if line != "WATCHER::":
                events.append(line)
            continue
        out.append(line)
    return out, events


def clean(lines, mask):
    kept = []
    for line in lines:
        if BANNER.match(line) or SLF4J.match(line):
            continue
        line = JAVA_EXC.sub("", line)
        kept.append(mask(line))
    return kept


def check(name, java, ours):
    global passed, failed
    if java == ours:
        passed += 1
        print("ok   %s" % name)
        return
    failed += 1
    print("FAIL %s: zkCli.sh (-) and zkcli (+) differ:" % name)
    for line in difflib.unified_diff(java, ours, "zkCli.sh", "zkcli", lineterm="", n=2):
        print("    " + line)


def compare(name, java_script, ours_script, mask=lambda s: s, hosts=HOSTS):
    jout, jerr = run([ZKCLI_SH, "-server", hosts], java_script)
    oout, oerr = run([ZKCLI, "-s", hosts], ours_script)
    jlines, jevents = split_events(jout)
    olines, oevents = split_events(oout)
    check(name + ": stdout", clean(jlines, mask), clean(olines, mask))
    check(name + ": stderr", clean(jerr.split("\n"), mask), clean(oerr.split("\n"), mask))
    check(name + ": watch events", [mask(e) for e in jevents], [mask(e) for e in oevents])


def main():
    ro = ROOT + "/ro"
    zkcli("create", "-p", ro + "/a", "alpha")
    zkcli("create", ro + "/b", "beta")
    zkcli("create", ro + "/b/c", "gamma")
    zkcli("create", ro + "/b/d")
    zkcli("create", ro + "/b/c/e", "")
    zkcli("create", ro + "/f", "two words")
    # bob:pw's digest id (what `addauth digest bob:pw` authenticates as)
    digest = "digest:bob:%s:cdrwa" % base64.b64encode(
        hashlib.sha1(b"bob:pw").digest()).decode()
    zkcli("create", ro + "/acl", "secret", digest + ",world:anyone:r")
    zkcli("create", ro + "/locked", "x", digest)

    reads = """ls @R
ls -s @R
ls -R @R
ls -R @R/b
get @R/a
get -s @R/b
get @R/f
get @R/b/c/e
stat @R/b/c
getAcl @R
getAcl -s @R/acl
getAllChildrenNumber @R
sync @R
whoami
config
config -c
printwatches
printwatches off
printwatches
printwatches on
get @R/nope
ls @R/nope
stat @R/nope
getAcl @R/nope
getAllChildrenNumber @R/nope
deleteall @R/nope
create @R/a dup
create @R/nope/child
delete @R/b
set -v 99 @R/a x
delete -v 99 @R/a
set @R/acl y
get @R/locked
ls @R/locked
get nope
ls @R/
get
set @R/a
delete
stat -w
ls -x @R
create -e -t 100 @R/t
create -c -s @R/t
create -t 0 @R/t
create -c -t 10 @R/t
create -t abc @R/t
removewatches @R/a
addWatch -m FOO @R/a
getEphemerals @R
addauth digest bob:pw
whoami
get @R/locked
getAcl @R/locked
history
redo 0
redo 999
quit
""".replace("@R", ro)
    compare("reads and errors", reads, reads)

    writes = """create @X/w data
create -s @X/w/s- one
create -s @X/w/s- two
create -e @X/w/e
create @X/w/e/sub
create -c @X/w/box
create -t 60000 @X/w/ttl
create @X/w/acl x world:anyone:cdra
create @X/w/none x bad
getAcl @X/w/acl
set @X/w new
set -s @X/w newer
get -s @X/w
setAcl @X/w world:anyone:crwa
getAcl @X/w
setAcl -s @X/w world:anyone:cdrwa
setAcl -v 0 @X/w world:anyone:cdrwa
setAcl -R @X/w world:anyone:cdrwa
setAcl @X/w bad
setAcl @X/w/acl world:anyone:xyz
get -w @X/w
set @X/w trigger
ls -w @X/w
create @X/w/kid k0
get -w @X/w/kid
stat -w @X/w/kid
set @X/w/kid one
get -w @X/w/kid
set @X/w/kid two
stat -w @X/w/kid
set @X/w/kid three
stat -w @X/w/missing
create @X/w/missing
delete @X/w/missing
addWatch @X/w
set @X/w/kid k
create @X/w/kid/deep
addWatch -m PERSISTENT @X/w/kid
set @X/w/kid k2
removewatches @X/w
removewatches @X/w/kid -a
get -w @X/w/kid
removewatches @X/w/kid -d
ls -w @X/w/kid
removewatches @X/w/kid -c
stat -w @X/w/kid
delete @X/w/kid/deep
delete -v 1 @X/w/kid
getEphemerals @X
delete @X/w/acl
deleteall @X/w
ls @X
sync /
ls @X
quit
"""
    java, ours = ROOT + "/java", ROOT + "/c"
    zkcli("create", java)
    zkcli("create", ours)
    anon = re.compile(r"(%s|%s)" % (re.escape(java), re.escape(ours)))

    def mask(line):
        line = anon.sub("X", line)
        line = re.sub(r"^(cZxid|mZxid|pZxid|ephemeralOwner) = 0x[0-9a-f]+$", r"\1 = N", line)
        return re.sub(r"^(ctime|mtime) = .*", r"\1 = T", line)

    compare("writes and watches", writes.replace("@X", java), writes.replace("@X", ours), mask)

    if os.environ.get("ZK_RECONFIG_HOSTS"):
        # Each run leaves the ensemble as it found it, one member; only the version moves.
        # (config -c is left out: zkCli.sh lists the members in a hash table's order.)
        script = """config
reconfig -add @J
config
reconfig -s -remove 2
reconfig -v 1 -remove 2
reconfig -members server.9=127.0.0.1:1:2
reconfig
config
quit
""".replace("@J", os.environ["ZK_RECONFIG_JOINER"])

        def version(line):
            line = re.sub(r"^version=[0-9a-f]+$", "version=V", line)
            line = re.sub(r"^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$", r"\1 = N", line)
            line = re.sub(r"^(dataVersion|cversion) = \d+$", r"\1 = N", line)
            return re.sub(r"^(ctime|mtime) = .*", r"\1 = T", line)
        compare("reconfig and config", script, script, version, os.environ["ZK_RECONFIG_HOSTS"])

    zkcli("deleteall", ROOT, check=False)
    print("compare: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

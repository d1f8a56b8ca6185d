#!/usr/bin/env python3
"""zkcli's shell driven as a person would drive it: tmux runs it on a terminal,
send-keys types (Tab, the arrow keys, Ctrl-C, Ctrl-D), capture-pane reads the screen.
Against the real server $ZK_HOSTS; with $ZK_HARNESS_DIR (the zkharness.py directory of
that server, a single one) it also kills and restarts the server, to see the state
changes print, and must be the last user of that server.

  tmux_test.py ZKCLI [ZKCLI_SH]        prints "tmux: N passed, M failed"

What it checks: the prompt, completion of a command and of node paths (one candidate,
several, a node with children), history under the arrow keys and across runs, history
and redo, a watch event arriving while a line is half typed (the line stays, and runs),
Ctrl-C, a transaction typed line by line, a lock held by the shell (Ctrl-C ends a wait
for it; `locks`, `unlock`) and an election between two shells (one leader, handing over
on `resign` and on Ctrl-D), the output of the same commands beside Debian's zkCli.sh in
another tmux window, SUSPENDED (Disconnected), expiry and reconnection while a line is
half typed, with the lock's SUSPENDED and LOST, and Ctrl-D.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ZKCLI = os.path.abspath(sys.argv[1])
ZKCLI_SH = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/zookeeper/bin/zkCli.sh"
HOSTS = os.environ["ZK_HOSTS"]
HARNESS = os.environ.get("ZK_HARNESS_DIR")
HERE = os.path.dirname(os.path.abspath(__file__))
ZKHARNESS = os.path.join(HERE, "..", "..", "..", "..", "scripts", "zkharness.py")
ROOT = "/tmuxroot%d" % os.getpid()
LOCK = ROOT + "-lock"  # beside ROOT, whose listing the other tests check
ELECTION = ROOT + "-election"
WORK = tempfile.mkdtemp(prefix="zkcli-tmux.")
SOCK = os.path.join(WORK, "tmux.sock")
HIST = os.path.join(WORK, "history")
PROMPT = re.compile(r"^\[zk: (.*)\((\w+)\) (\d+)\] ?(.*)$")
passed = failed = 0


class Failed(Exception):
    pass


def tmux(*args):
    p = subprocess.run(["tmux", "-S", SOCK] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise Failed("tmux %s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def start(name, command, own_home=True):
    # The history file (and HOME, but for scripts/zkcli.sh, whose cargo needs the real
    # one) are the test's own; the pane's program stays on screen after it exits, with its
    # exit status.
    env = "env %sZKCLI_HISTFILE=%s TERM=screen" % ("HOME=%s " % WORK if own_home else "", HIST)
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "50",
         "%s %s; echo EXIT=$?; sleep 600" % (env, command))


def screen(name):
    lines = [l.rstrip() for l in tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name).split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def wait_for(name, pred, what, timeout=15):
    end = time.time() + timeout
    while True:
        lines = screen(name)
        if pred(lines):
            return lines
        if time.time() > end:
            raise Failed("%s; the screen:\n%s" % (what, "\n".join("    |" + l for l in lines[-25:])))
        time.sleep(0.05)


def typed(name, text):
    tmux("send-keys", "-t", name, "-l", text)


def keys(name, *k):
    tmux("send-keys", "-t", name, *k)


def prompt(n, state="CONNECTED"):
    return "[zk: %s(%s) %d]" % (HOSTS, state, n)


def last_is(text):
    return lambda lines: bool(lines) and lines[-1] == text


def zkcli(*args, want=0):
    p = subprocess.run([ZKCLI, "-s", HOSTS] + list(args), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if p.returncode != want:
        raise Failed("zkcli %s: exit %d (want %d): %s" % (" ".join(args), p.returncode, want,
                                                         p.stderr))
    return p.stdout


def news(kind, state, path):
    """The line of a lock's or an election's news in the shell (after "LOCK::")."""
    return "%s state:%s path:%s" % (kind, state, path)


def without_news(lines):
    """A command's output without the news that printed after it (an election's)."""
    return [l for l in lines if l not in ("", "LOCK::", "ELECTION::")
            and not l.startswith(("Lock state:", "Election state:"))]


class Shell:
    """Our shell in a tmux session; n is the number its prompt shows."""

    def __init__(self, name, args=()):
        self.name = name
        self.n = 0
        start(name, " ".join([ZKCLI, "-s", HOSTS] + list(args)))

    def line(self):
        return screen(self.name)[-1]

    def run(self, command):
        """Types command and Enter; returns the lines it printed."""
        typed(self.name, command)
        keys(self.name, "Enter")
        return self.finish(command)

    def finish(self, command):
        before = prompt(self.n) + " " + command
        self.n += 1
        lines = wait_for(self.name, last_is(prompt(self.n)),
                         "no prompt %d after '%s'" % (self.n, command))
        for i in range(len(lines) - 1, -1, -1):
            if lines[i] == before.rstrip():
                return lines[i + 1:-1]
        raise Failed("'%s' is not on the screen:\n%s" % (before, "\n".join(lines[-20:])))


def test(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print("ok   " + name)
    except Failed as e:
        failed += 1
        print("FAIL %s: %s" % (name, e))


def expect(got, want, what):
    if got != want:
        raise Failed("%s: got %r, want %r" % (what, got, want))


def main():
    zkcli("create", ROOT, "root")
    zkcli("create", ROOT + "/alpha", "first")
    zkcli("create", ROOT + "/beta", "b")
    zkcli("create", ROOT + "/bravo", "c")
    zkcli("create", ROOT + "/bravo/kid", "k")
    # zkCli.sh starts slowly (a JVM): it starts first, in a window of its own.
    start("java", "%s -server %s" % (ZKCLI_SH, HOSTS))
    sh = Shell("zkcli", ["-T", "2000"])

    def prompt_shows():
        wait_for(sh.name, last_is(prompt(0)), "no first prompt")
        lines = screen(sh.name)
        expect(lines[-2], "WatchedEvent state:SyncConnected type:None path:null",
               "the first state change")
    test("the prompt is zkCli.sh's: [zk: HOSTS(CONNECTED) 0]", prompt_shows)

    def complete_command():
        typed(sh.name, "getAllCh")
        keys(sh.name, "Tab")
        wait_for(sh.name, last_is(prompt(0) + " getAllChildrenNumber"), "command not completed")
        # then a space: the path goes right after it
        typed(sh.name, ROOT[:6])
        keys(sh.name, "Tab")
        wait_for(sh.name, last_is(prompt(0) + " getAllChildrenNumber " + ROOT),
                 "unique path not completed")
    test("Tab completes a command name, and a node path read from the server", complete_command)

    def complete_below():
        keys(sh.name, "Tab")  # ROOT is complete and has children: go below it
        wait_for(sh.name, last_is(prompt(0) + " getAllChildrenNumber " + ROOT + "/"),
                 "no '/' after a complete node with children")
        typed(sh.name, "b")
        keys(sh.name, "Tab")  # beta and bravo: nothing to add, so they are listed
        lines = wait_for(sh.name, lambda l: len(l) > 2 and l[-2].split() == ["beta", "bravo"],
                         "beta and bravo not listed")
        expect(lines[-1], prompt(0) + " getAllChildrenNumber " + ROOT + "/b",
               "the line after the list")
        typed(sh.name, "r")
        keys(sh.name, "Tab")
        wait_for(sh.name, last_is(prompt(0) + " getAllChildrenNumber " + ROOT + "/bravo"),
                 "bravo not completed")
        keys(sh.name, "Enter")
        expect(sh.finish("getAllChildrenNumber %s/bravo" % ROOT), ["1"], "its output")
    test("Tab lists several candidates, and goes below a node with children", complete_below)

    def complete_leaf():
        typed(sh.name, "get %s/al" % ROOT)
        keys(sh.name, "Tab")
        wait_for(sh.name, last_is(prompt(1) + " get %s/alpha" % ROOT), "leaf not completed")
        typed(sh.name, "X")  # a leaf gets a space after it
        wait_for(sh.name, last_is(prompt(1) + " get %s/alpha X" % ROOT), "no space after a leaf")
        keys(sh.name, "BSpace", "BSpace", "Enter")
        expect(sh.finish("get %s/alpha" % ROOT), ["first"], "its output")
    test("Tab completes a leaf node with a space after it", complete_leaf)

    def arrows():
        keys(sh.name, "Up")
        wait_for(sh.name, last_is(prompt(2) + " get %s/alpha" % ROOT), "Up: not the last command")
        keys(sh.name, "Up")
        wait_for(sh.name, last_is(prompt(2) + " getAllChildrenNumber %s/bravo" % ROOT),
                 "Up twice: not the one before")
        keys(sh.name, "Down")
        wait_for(sh.name, last_is(prompt(2) + " get %s/alpha" % ROOT), "Down: not the last one")
        keys(sh.name, "Enter")
        expect(sh.finish("get %s/alpha" % ROOT), ["first"], "its output")
    test("the arrow keys walk the history", arrows)

    def history_redo():
        expect(sh.run("history"), ["0 - getAllChildrenNumber %s/bravo" % ROOT,
                                   "1 - get %s/alpha" % ROOT, "2 - get %s/alpha" % ROOT,
                                   "3 - history"], "history")
        expect(sh.run("redo 0"), ["1"], "redo 0")
        expect(sh.run("history")[-2:], ["4 - getAllChildrenNumber %s/bravo" % ROOT,
                                        "5 - history"], "redo's place in the history")
    test("history and redo", history_redo)

    def event_mid_line():
        expect(sh.run("get -w %s/alpha" % ROOT), ["first"], "get -w")
        typed(sh.name, "ls " + ROOT)
        wait_for(sh.name, last_is(prompt(sh.n) + " ls " + ROOT), "the half-typed line")
        zkcli("set", ROOT + "/alpha", "second")
        event = "WatchedEvent state:SyncConnected type:NodeDataChanged path:%s/alpha" % ROOT
        lines = wait_for(sh.name, lambda l: event in l, "no watch event")
        expect(lines[-5:], ["", "WATCHER::", "", event, prompt(sh.n) + " ls " + ROOT],
               "the event above the line, the line drawn again")
        typed(sh.name, "/b")  # the line is still being edited, as it was
        keys(sh.name, "Enter")
        expect(sh.finish("ls %s/b" % ROOT), ["Node does not exist: %s/b" % ROOT], "the line ran")
    test("a watch event arrives while a line is half typed", event_mid_line)

    def ctrl_c():
        typed(sh.name, "delete %s/beta" % ROOT)
        keys(sh.name, "C-c")
        lines = wait_for(sh.name, last_is(prompt(sh.n)), "no new prompt after Ctrl-C")
        expect(lines[-2], prompt(sh.n) + " delete %s/beta^C" % ROOT, "the dropped line")
        expect(zkcli("get", ROOT + "/beta"), "b", "the node Ctrl-C kept")
    test("Ctrl-C drops the line", ctrl_c)

    def multi():
        typed(sh.name, "multi")
        keys(sh.name, "Enter")
        wait_for(sh.name, last_is("multi>"), "no multi> prompt")
        for op in ("create %s/m x" % ROOT, "set %s/alpha third" % ROOT):
            typed(sh.name, op)
            keys(sh.name, "Enter")
            wait_for(sh.name, last_is("multi>"), "no multi> prompt after " + op)
        typed(sh.name, "commit")
        keys(sh.name, "Enter")
        out = sh.finish("multi")
        expect(out[-2:], ["0 create %s/m: created %s/m" % (ROOT, ROOT),
                          "1 set %s/alpha: version 2" % ROOT], "the transaction's results")
    test("multi: a transaction typed line by line", multi)

    def lock_in_shell():
        # a one-shot zkcli holds it: the shell waits, and Ctrl-C ends the wait
        holder = subprocess.Popen([ZKCLI, "-s", HOSTS, "lock", "-i", "oneshot", LOCK],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        try:
            expect(holder.stdout.readline(), "HELD %s\n" % LOCK, "the one-shot holder")
            typed(sh.name, "lock -i shell " + LOCK)
            keys(sh.name, "Enter")
            end = time.time() + 10
            while zkcli("lock", "-l", LOCK).split() != ["oneshot", "shell"]:
                if time.time() > end:
                    raise Failed("the shell does not wait for the lock")
                time.sleep(0.05)
            keys(sh.name, "C-c")
            expect(sh.finish("lock -i shell " + LOCK)[-1:],
                   ["Lock not acquired: %s (interrupted)" % LOCK], "Ctrl-C while waiting")
            expect(zkcli("lock", "-l", LOCK).split(), ["oneshot"], "the contenders after it")
        finally:
            holder.stdin.close()
            holder.wait()
        # the shell holds it until unlock; a one-shot zkcli cannot have it meanwhile
        expect(sh.run("lock -i shell " + LOCK), [], "lock")
        held = sh.run("locks")
        if len(held) != 1 or not re.match(r"lock %s HELD %s/[0-9a-f]{32}__lock__\d{10}$"
                                          % (LOCK, LOCK), held[0]):
            raise Failed("locks: %r" % held)
        zkcli("lock", "-t", "100", LOCK, want=9)
        expect(sh.run("lock -l " + LOCK), ["[shell]"], "lock -l")
        expect(sh.run("unlock " + LOCK), [], "unlock")
        expect(sh.run("locks"), [], "locks after unlock")
        zkcli("lock", "-t", "0", LOCK)
        # held on, for the state changes of the test that stops the server
        expect(sh.run("lock " + LOCK), [], "lock again")
    test("lock in the shell: Ctrl-C ends a wait; held until unlock, excluding zkcli",
         lock_in_shell)

    def election():
        one, two = Shell("one"), Shell("two")
        for e in (one, two):
            wait_for(e.name, last_is(prompt(0)), "no first prompt")
        leader = news("Election", "LEADER", ELECTION)

        def leads(e, times):
            wait_for(e.name, lambda l: l.count(leader) == times and l[-1] == prompt(e.n),
                     "%s: not the leader (%d)" % (e.name, times))
        expect(without_news(one.run("election -i one " + ELECTION)), [], "election")
        leads(one, 1)
        expect(two.run("election -i two " + ELECTION), [], "a second contender")
        expect(two.run("election -l " + ELECTION), ["[one, two]"], "the contenders")
        expect(two.run("locks"), ["election %s WAITING" % ELECTION], "the one that waits")
        expect(one.run("locks"), ["election %s LEADER" % ELECTION], "the leader")
        expect(one.run("resign " + ELECTION), [], "resign")
        leads(two, 1)
        expect(without_news(one.run("election -i one " + ELECTION)), [], "election again")
        expect(one.run("election -l " + ELECTION), ["[two, one]"], "the contenders")
        if screen(one.name).count(leader) != 1:
            raise Failed("two leaders")
        keys(two.name, "C-d")  # the leader quits: the other leads
        wait_for(two.name, lambda l: l[-1].startswith("EXIT="), "Ctrl-D did not quit")
        leads(one, 2)
        expect(one.run("election -l " + ELECTION), ["[one]"], "the contenders")
    test("election: two shells, one leader, who hands over on resign and on quitting",
         election)

    def beside_zkcli_sh():
        commands = ["ls " + ROOT, "ls -s " + ROOT + "/bravo", "ls -R " + ROOT, "get " + ROOT,
                    "get -s " + ROOT + "/beta", "stat " + ROOT + "/bravo/kid", "getAcl " + ROOT,
                    "getAllChildrenNumber " + ROOT, "sync " + ROOT, "whoami",
                    "get " + ROOT + "/nope", "create " + ROOT + "/alpha dup",
                    "set -v 9 " + ROOT + "/alpha x", "delete " + ROOT + "/bravo", "get nope"]
        ours, ends = [], []  # what ours showed: each command, then its output
        for c in commands:
            ours += [c] + sh.run(c)
            ends.append(len(ours))
        wait_for("java", lambda l: any(x.startswith("WatchedEvent state:SyncConnected") for x in l),
                 "zkCli.sh did not connect", timeout=60)

        def transcript(lines):
            # Debian's zkCli.sh has no JLine, so no prompt: the terminal echoes what is
            # typed, and its output follows.
            for i, l in enumerate(lines):
                if l == commands[0]:
                    return lines[i:]
            return []
        for c, end in zip(commands, ends):
            typed("java", c)
            keys("java", "Enter")
            wait_for("java", lambda l: transcript(l) == ours[:end],
                     "zkCli.sh printed something else than zkcli (%s) for '%s'"
                     % (ours[:end][-3:], c), timeout=20)
    test("the same commands print the same as zkCli.sh's, side by side", beside_zkcli_sh)

    script = os.environ.get("ZKCLI_SCRIPT")
    if script:
        def readme_command():
            start("readme", "env ZK_HOSTS=%s bash %s" % (HOSTS, script), own_home=False)
            wait_for("readme", last_is(prompt(0)), "scripts/zkcli.sh: no prompt", timeout=120)
            typed("readme", "ls /zookeeper")
            keys("readme", "Enter")
            lines = wait_for("readme", last_is(prompt(1)), "scripts/zkcli.sh: no second prompt")
            expect(lines[-2], "[config, quota]", "the output of ls /zookeeper")
            keys("readme", "C-d")
            lines = wait_for("readme", lambda l: l[-1].startswith("EXIT="), "Ctrl-D did not quit")
            expect(lines[-1], "EXIT=0", "scripts/zkcli.sh's exit status")
        test("scripts/zkcli.sh with no arguments opens the shell", readme_command)

    if HARNESS:
        def states():
            typed(sh.name, "ls " + ROOT)
            wait_for(sh.name, last_is(prompt(sh.n) + " ls " + ROOT), "the half-typed line")
            subprocess.run([sys.executable, ZKHARNESS, "kill", "--dir", HARNESS, "--id", "1"],
                           check=True, capture_output=True)
            lost = "WatchedEvent state:Disconnected type:None path:null"
            lines = wait_for(sh.name, lambda l: lost in l, "no Disconnected")
            # the lock the shell holds: may be lost, then lost
            wait_for(sh.name, lambda l: news("Lock", "SUSPENDED", LOCK) in l, "no SUSPENDED")
            expired = "WatchedEvent state:Expired type:None path:null"
            lines = wait_for(sh.name, lambda l: expired in l, "no Expired (session timeout 2 s)")
            wait_for(sh.name, lambda l: news("Lock", "LOST", LOCK) in l, "no LOST")
            if not lines[-1].endswith("] ls " + ROOT):
                raise Failed("the half-typed line is gone: %r" % lines[-1])
            subprocess.run([sys.executable, ZKHARNESS, "restart", "--dir", HARNESS, "--id", "1"],
                           check=True, capture_output=True)
            back = "WatchedEvent state:SyncConnected type:None path:null"
            lines = wait_for(sh.name, lambda l: l[-1] == prompt(sh.n) + " ls " + ROOT and
                             back in l[l.index(expired):], "no SyncConnected after the restart",
                             timeout=30)
            keys(sh.name, "Enter")
            expect(sh.finish("ls " + ROOT), ["[alpha, beta, bravo, m]"], "ls on the new session")
        test("Disconnected, Expired and SyncConnected print while a line is half typed, "
             "and the lock's SUSPENDED and LOST", states)

    def ctrl_d():
        keys(sh.name, "C-d")
        lines = wait_for(sh.name, lambda l: l and l[-1].startswith("EXIT="), "Ctrl-D did not quit")
        expect(lines[-2], "WatchedEvent state:Closed type:None path:null", "the last event")
        # the last command that failed was `get nope` (a bad path): exit status 1
        expect(lines[-1], "EXIT=1", "the exit status")
    test("Ctrl-D quits, with the status of the last failure", ctrl_d)

    def history_kept():
        again = Shell("again")
        wait_for(again.name, last_is(prompt(0)), "no first prompt")
        keys(again.name, "Up")
        wait_for(again.name, last_is(prompt(0) + " " + ("ls " + ROOT if HARNESS else "get nope")),
                 "Up: not the last command of the run before")
    test("history is kept across runs", history_kept)


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["tmux", "-S", SOCK, "kill-server"], capture_output=True)
        for path in (ROOT, LOCK, ELECTION):
            subprocess.run([ZKCLI, "-s", HOSTS, "deleteall", path], capture_output=True)
        shutil.rmtree(WORK, ignore_errors=True)
    print("tmux: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)

#!/usr/bin/python3
"""zkcli's `lock` and `election` in one-shot mode, against the real server $ZK_HOSTS and
beside kazoo (Debian's python3-kazoo, hence /usr/bin/python3) on the same paths: a held
lock excludes a second zkcli (exit 9 once -t passes) and kazoo's Lock; both wait in
order (`lock -l` and kazoo's contenders() list them alike); the end of input releases,
handing the lock to kazoo, whose lock then excludes zkcli; SIGTERM ends a wait (9) and a
hold (0); a command runs under the lock with its own exit status; one election leader
among two zkcli, handing over when the leader's input ends; the usage errors.

  recipes_test.py ZKCLI        prints "recipes: N passed, M failed"
"""
import os
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout

ZKCLI = os.path.abspath(sys.argv[1])
HOSTS = os.environ["ZK_HOSTS"]
ROOT = "/zkcli-recipes-%d" % os.getpid()
LOCK = ROOT + "/lock"
ELECTION = ROOT + "/election"
passed = failed = 0
children = []  # the zkcli processes started, ended when the test ends


class Failed(Exception):
    pass


def zkcli(*args, want=0, out=None, err=None):
    """Runs one zkcli command: its exit status must be want, its stdout out (if given),
    and its stderr must contain err (if given). Returns (stdout, stderr)."""
    p = subprocess.run([ZKCLI, "-s", HOSTS] + list(args), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    if p.returncode != want or (out is not None and p.stdout != out) or \
            (err is not None and err not in p.stderr):
        raise Failed("zkcli %s: exit %d (want %d), stdout %r%s, stderr %r%s"
                     % (" ".join(args), p.returncode, want, p.stdout,
                        "" if out is None else " (want %r)" % out, p.stderr,
                        "" if err is None else " (want %r in it)" % err))
    return p.stdout, p.stderr


def start(*args):
    """A zkcli that holds (or waits), its standard input a pipe we hold."""
    p = subprocess.Popen([ZKCLI, "-s", HOSTS] + list(args), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children.append(p)
    return p


def first_line(p, want, timeout=10):
    """The first line p prints must be want (it is printed once p has the lock)."""
    got = []
    reader = threading.Thread(target=lambda: got.append(p.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not got:
        raise Failed("zkcli %s: no line in %d s" % (" ".join(p.args[3:]), timeout))
    if got[0].rstrip("\n") != want:
        raise Failed("first line %r, want %r; stderr %r" % (got[0], want, p.stderr.read()))


def ends(p, want):
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise Failed("zkcli %s did not end" % " ".join(p.args[3:]))
    if rc != want:
        raise Failed("zkcli %s: exit %d, want %d; stderr %r"
                     % (" ".join(p.args[3:]), rc, want, p.stderr.read()))


def until(fn, what, timeout=10):
    end = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > end:
            raise Failed(what)
        time.sleep(0.05)


def contenders(cmd, path):
    return zkcli(cmd, "-l", path)[0].splitlines()


def test(name, fn):
    global passed, failed
    start_t = time.time()
    try:
        fn()
        passed += 1
        print("ok   %s (%.1f s)" % (name, time.time() - start_t))
    except Failed as e:
        failed += 1
        print("FAIL %s: %s" % (name, e))
    except KeyError as e:  # a test that depends on one before it that failed
        failed += 1
        print("FAIL %s: nothing to go on (%s) after the failure before" % (name, e))


def main():
    kz = KazooClient(hosts=HOSTS)
    kz.start()
    kz.ensure_path(ROOT)
    state = {}

    def excludes_zkcli():
        holder = start("lock", "-i", "first", LOCK)
        first_line(holder, "HELD " + LOCK)
        t = time.time()
        zkcli("lock", "-t", "300", "-i", "second", LOCK, "create", ROOT + "/ran", want=9,
              out="", err="zkcli: lock: %s: not acquired (timed out after 300 ms)" % LOCK)
        if not 0.3 <= time.time() - t < 5:
            raise Failed("lock -t 300 took %.2f s" % (time.time() - t))
        zkcli("lock", "-t", "0", LOCK, want=9, err="not acquired (timed out after 0 ms)")
        zkcli("get", ROOT + "/ran", want=3)  # the command never ran
        if contenders("lock", LOCK) != ["first"]:
            raise Failed("contenders: %r: the timed-out waiters left their nodes" %
                         contenders("lock", LOCK))
        state["holder"] = holder
    test("a held lock excludes a second zkcli: exit 9 when -t passes, the command not run",
         excludes_zkcli)

    def excludes_kazoo():
        lock = kz.Lock(LOCK, "kazoo")
        try:
            if lock.acquire(timeout=0.3):
                lock.release()
                raise Failed("kazoo took the lock zkcli holds")
        except LockTimeout:
            pass
        got = {}
        waiter = threading.Thread(target=lambda: got.setdefault("lock", lock.acquire(timeout=20)))
        waiter.start()
        until(lambda: contenders("lock", LOCK) == ["first", "kazoo"],
              "lock -l does not list zkcli's holder, then kazoo's waiter: %r"
              % contenders("lock", LOCK))
        if lock.contenders() != ["first", "kazoo"]:
            raise Failed("kazoo's contenders(): %r" % lock.contenders())
        state.update(lock=lock, got=got, waiter=waiter)
    test("zkcli's lock excludes kazoo's; both wait in order, lock -l and kazoo list both",
         excludes_kazoo)

    def hands_over():
        holder, lock, got = state["holder"], state["lock"], state["got"]
        holder.stdin.close()  # the end of input releases
        ends(holder, 0)
        state["waiter"].join(timeout=10)
        if got.get("lock") is not True:
            raise Failed("kazoo did not get the lock zkcli released: %r" % got)
        zkcli("lock", "-t", "200", LOCK, want=9)
        if contenders("lock", LOCK) != ["kazoo"]:
            raise Failed("contenders: %r" % contenders("lock", LOCK))
        lock.release()
        zkcli("lock", "-t", "2000", LOCK, "create", ROOT + "/ran", "x", out=ROOT + "/ran\n")
        if contenders("lock", LOCK) != []:
            raise Failed("the lock is still taken after its command: %r"
                         % contenders("lock", LOCK))
    test("the end of input releases, to kazoo's waiter; kazoo's lock excludes zkcli; "
         "a command runs under the lock", hands_over)

    def signals():
        holder = start("lock", LOCK)
        first_line(holder, "HELD " + LOCK)
        waiter = start("lock", "-i", "waiter", LOCK)
        until(lambda: len(contenders("lock", LOCK)) == 2, "the waiter does not wait")
        waiter.terminate()
        ends(waiter, 9)
        holder.terminate()
        ends(holder, 0)
        if contenders("lock", LOCK) != []:
            raise Failed("nodes left: %r" % contenders("lock", LOCK))
        # the command's own status, the lock released all the same
        zkcli("lock", LOCK, "get", ROOT + "/nope", want=3)
        zkcli("lock", "-c", LOCK, "get", ROOT + "/ran", out="x")
        if kz.get_children(LOCK) != []:
            raise Failed("nodes left: %r" % kz.get_children(LOCK))
    test("SIGTERM ends a wait (9) and a hold (0); a command's exit status is zkcli's",
         signals)

    def election():
        a = start("election", "-i", "a", ELECTION)
        first_line(a, "LEADER " + ELECTION)
        zkcli("election", "-t", "200", "-i", "b", ELECTION, want=9,
              err="zkcli: election: %s: not elected (timed out after 200 ms)" % ELECTION)
        b = start("election", "-i", "b", ELECTION)
        until(lambda: contenders("election", ELECTION) == ["a", "b"],
              "election -l: %r" % contenders("election", ELECTION))
        if kz.Election(ELECTION).contenders() != ["a", "b"]:
            raise Failed("kazoo's contenders(): %r" % kz.Election(ELECTION).contenders())
        a.stdin.close()
        ends(a, 0)
        first_line(b, "LEADER " + ELECTION)
        b.stdin.close()
        ends(b, 0)
        zkcli("election", "-t", "0", ELECTION, "get", ROOT + "/ran", out="x")
    test("election: one leader among two zkcli, who hands over when its input ends",
         election)

    def usage():
        zkcli("lock", want=2)
        zkcli("lock", "-t", "soon", LOCK, want=2, err="bad timeout 'soon'")
        zkcli("lock", "-t", LOCK, want=2)
        zkcli("lock", "-x", LOCK, want=2, err="Unrecognized option: -x")
        zkcli("lock", "-l", LOCK, "ls", "/", want=2, err="-l takes no command")
        zkcli("lock", LOCK, "frobnicate", want=2, err="unknown command 'frobnicate'")
        zkcli("election", "relative", want=1, err="invalid path")
        zkcli("unlock", LOCK, want=1, err="not locked by this zkcli")
        zkcli("resign", ELECTION, want=1, err="not in an election")
        zkcli("locks", out="")
        zkcli("-s", "127.0.0.1:1", "lock", LOCK, want=8)
    test("usage errors (2), bad paths (1), nothing to unlock (1), no server (8)", usage)

    kz.delete(ROOT, recursive=True)
    kz.stop()


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in children:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run([ZKCLI, "-s", HOSTS, "deleteall", ROOT], capture_output=True)
    print("recipes: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)

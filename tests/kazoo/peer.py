# A kazoo client in a second process, driven by an integration test over stdin/stdout, so
# the tests can prove that our recipes and kazoo's share znodes (tests/kazoo/mod.rs is
# the Rust side).
#
# Usage: python3 peer.py HOSTS. One KazooClient is started on HOSTS as `zk`. Each request
# is "<byte length>\n<python code>"; the code runs with exec() in one namespace kept for
# the life of the process (so a test can keep a Lock in a variable and release it later),
# with its print() output captured. The reply is "OK <length>\n<output>" or, when the code
# raised, "ERR <length>\n<traceback>". The process ends at end of input, stopping `zk`.
import io
import sys
import threading
import traceback
import contextlib

from kazoo.client import KazooClient

def main():
    hosts = sys.argv[1]
    zk = KazooClient(hosts=hosts, timeout=10.0)
    zk.start(timeout=15)
    scope = {"zk": zk, "threading": threading, "KazooClient": KazooClient, "hosts": hosts}
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    while True:
        line = inp.readline()
        if not line:
            break
        n = int(line.strip())
        code = inp.read(n).decode("utf-8")
        buf = io.StringIO()
        status = "OK"
        try:
            with contextlib.redirect_stdout(buf):
                exec(code, scope)
            text = buf.getvalue()
        except BaseException:
            status = "ERR"
            text = buf.getvalue() + traceback.format_exc()
        data = text.encode("utf-8")
        out.write(b"%s %d\n" % (status.encode(), len(data)))
        out.write(data)
        out.flush()
    try:
        zk.stop()
        zk.close()
    except Exception:
        pass

if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""kazoo anchor: the same workloads and RESULT line as bench/zkbench.c, for kazoo.

Run with Debian's /usr/bin/python3 (python3-kazoo). Usage:
    kazoo_bench.py WORKLOAD hosts=H [seconds=S] [warmup=N] [inflight=N] [threads=N]
                   [clients=K] [watches=W] [ops=N] [root=/bench]
Workloads: sync_get sync_set create_delete rss async_get threads idle_clients watches
watch_latency, kazoo's Lock recipe: lock_uncontended lock_handoff lock_contended
(`clients` contenders), its Queue: queue_roundtrip, its DataWatch: datawatch_latency,
and its TreeCache: tree_cache_init (a cache of the `watches` nodes under /bench/w) and
tree_cache_latency. An unexpected error ends the process with status 2.
"""

import logging
import os
import resource
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError

PAYLOAD = b"x" * 100
P = {
    "hosts": os.environ.get("ZK_HOSTS", ""),
    "root": "/bench",
    "seconds": "2",
    "warmup": "500",
    "inflight": "16",
    "threads": "1",
    "clients": "50",
    "watches": "10000",
    "ops": "2000",
}


def die(msg):
    sys.stderr.write("kazoo_bench: error: %s\n" % msg)
    sys.stderr.flush()
    os._exit(2)


def cpu_us():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1e6


def maxrss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def vmrss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def result(workload, **kv):
    fields = " ".join("%s=%s" % (k, ("%.2f" % v) if isinstance(v, float) else v)
                      for k, v in kv.items())
    print("RESULT client=kazoo workload=%s %s maxrss_kb=%d" % (workload, fields, maxrss_kb()),
          flush=True)


def connect():
    zk = KazooClient(hosts=P["hosts"], timeout=10.0)
    zk.start(timeout=15)
    return zk


def pct_us(v, p):
    if not v:
        return 0.0
    i = min(len(v) - 1, int(p * len(v)))
    return v[i] / 1000.0


def path_data():
    return P["root"] + "/data"


def wl_sync(kind):
    zk = connect()
    pid = os.getpid()
    if kind == "sync_set":
        path = "%s/set-kazoo-%d" % (P["root"], pid)
        try:
            zk.create(path, PAYLOAD)
        except NodeExistsError:
            pass
    elif kind == "create_delete":
        path = "%s/cd/kazoo-%d" % (P["root"], pid)
    else:
        path = path_data()
    warmup, secs = int(P["warmup"]), float(P["seconds"])
    get, set_, create, delete = zk.get, zk.set, zk.create, zk.delete
    clock = time.perf_counter_ns
    lat = []
    i = 0
    t0 = end = cpu0 = 0
    while True:
        if i == warmup:
            t0 = clock()
            end = t0 + int(secs * 1e9)
            cpu0 = cpu_us()
        a = clock()
        if i >= warmup and a >= end:
            break
        if kind == "sync_get":
            data, _ = get(path)
            if len(data) != 100:
                die("get %s: %d bytes" % (path, len(data)))
        elif kind == "sync_set":
            set_(path, PAYLOAD)
        else:
            create(path, PAYLOAD)
            delete(path)
        if i >= warmup:
            lat.append(clock() - a)
        i += 1
    cpu = cpu_us() - cpu0
    secs = (clock() - t0) / 1e9
    if kind == "sync_set":
        zk.delete(path)
    zk.stop()
    zk.close()
    lat.sort()
    n = len(lat)
    result(kind, ops=n, seconds="%.3f" % secs, ops_s=n / secs, p50_us=pct_us(lat, 0.5),
           p99_us=pct_us(lat, 0.99), p999_us=pct_us(lat, 0.999), cpu_us_per_op=cpu / max(n, 1))


def wl_rss():
    """Peak RSS of a process with one client: connect, `ops` gets, close."""
    zk = connect()
    path, ops = path_data(), int(P["ops"])
    for _ in range(ops):
        zk.get(path)
    zk.stop()
    zk.close()
    result("rss", ops=ops)


def wl_async():
    zk = connect()
    inflight = int(P["inflight"])
    path = path_data()
    st = {"count": 0, "outstanding": inflight, "stop": False, "err": None}
    drained = threading.Event()

    # Completions run on kazoo's one callback thread, so the counters need no lock.
    def done(ar):
        try:
            ar.get_nowait()
        except Exception as e:  # noqa: BLE001 - any failure ends the run
            st["err"] = repr(e)
        st["count"] += 1
        if not st["stop"] and st["err"] is None:
            zk.get_async(path).rawlink(done)
            return
        st["outstanding"] -= 1
        if st["outstanding"] == 0:
            drained.set()

    for _ in range(inflight):
        zk.get_async(path).rawlink(done)
    wend = time.monotonic() + 1.0
    while st["count"] < int(P["warmup"]) and time.monotonic() < wend and st["err"] is None:
        time.sleep(0.005)
    c0, cpu0, t0 = st["count"], cpu_us(), time.perf_counter()
    time.sleep(float(P["seconds"]))
    c1, cpu1, t1 = st["count"], cpu_us(), time.perf_counter()
    st["stop"] = True
    if not drained.wait(60):
        die("async gets did not drain")
    if st["err"]:
        die("async get: %s" % st["err"])
    zk.stop()
    zk.close()
    ops = c1 - c0
    if ops <= 0:
        die("no async get completed in the measured window")
    result("async_get_%d" % inflight, inflight=inflight, ops=ops, seconds="%.3f" % (t1 - t0),
           ops_s=ops / (t1 - t0), cpu_us_per_op=(cpu1 - cpu0) / ops)


def wl_threads():
    zk = connect()
    n = int(P["threads"])
    path = path_data()
    counts = [0] * n
    stop = threading.Event()
    errors = []

    def work(i):
        try:
            while not stop.is_set():
                zk.get(path)
                counts[i] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ths = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
    for t in ths:
        t.start()
    wend = time.monotonic() + 1.0
    while sum(counts) < int(P["warmup"]) and time.monotonic() < wend:
        time.sleep(0.005)
    c0, cpu0, t0 = sum(counts), cpu_us(), time.perf_counter()
    time.sleep(float(P["seconds"]))
    c1, cpu1, t1 = sum(counts), cpu_us(), time.perf_counter()
    stop.set()
    for t in ths:
        t.join()
    if errors:
        die("get: %s" % errors[0])
    zk.stop()
    zk.close()
    ops = c1 - c0
    if ops <= 0:
        die("no get completed in the measured window")
    result("threads_%d" % n, threads=n, ops=ops, seconds="%.3f" % (t1 - t0),
           ops_s=ops / (t1 - t0), cpu_us_per_op=(cpu1 - cpu0) / ops)


def wl_idle():
    k = int(P["clients"])
    path = path_data()
    cs = [connect()]
    cs[0].get(path)
    time.sleep(0.2)
    r1 = vmrss_kb()
    for _ in range(k - 1):
        c = connect()
        c.get(path)
        cs.append(c)
    time.sleep(0.2)
    rk = vmrss_kb()
    for c in cs:
        c.stop()
        c.close()
    result("idle_clients", clients=k, rss1_kb=r1, rssk_kb=rk,
           rss_per_client_kb=(rk - r1) / (k - 1))


def window_exec(zk, total, window, watch=None):
    """`total` get_async calls on the watch nodes, at most `window` in flight."""
    base = P["root"] + "/w/n%06d"
    st = {"next": 0, "done": 0, "err": None}
    fin = threading.Event()

    lock = threading.Lock()  # issue() runs on this thread and on the callback thread

    def issue():
        with lock:
            i = st["next"]
            if i >= total:
                return
            st["next"] = i + 1
        zk.get_async(base % i, watch=watch).rawlink(done)

    def done(ar):
        try:
            ar.get_nowait()
        except Exception as e:  # noqa: BLE001
            st["err"] = repr(e)
        issue()
        st["done"] += 1  # only the callback thread writes it
        if st["done"] == total:
            fin.set()

    for _ in range(min(window, total)):
        issue()
    if total and not fin.wait(120):
        die("async batch timed out (%d of %d)" % (st["done"], total))
    if st["err"]:
        die("async get: %s" % st["err"])


def wl_watches():
    zk = connect()
    w = int(P["watches"])
    fired = []

    def on_watch(ev):
        fired.append(ev)

    window_exec(zk, w, 64)
    window_exec(zk, w, 64)
    time.sleep(0.2)
    r0 = vmrss_kb()
    cpu0 = cpu_us()
    window_exec(zk, w, 64, watch=on_watch)
    cpu = cpu_us() - cpu0
    time.sleep(0.2)
    r1 = vmrss_kb()
    zk.stop()
    zk.close()
    result("watches", watches=w, rss0_kb=r0, rss1_kb=r1, watch_mem_kb=r1 - r0,
           bytes_per_watch=(r1 - r0) * 1024.0 / w, cpu_us_per_op=cpu / w)


def wl_watch_latency():
    a, b = connect(), connect()
    path = "%s/wl/kazoo-%d" % (P["root"], os.getpid())
    try:
        a.create(path, PAYLOAD)
    except NodeExistsError:
        pass
    fired = threading.Event()
    rec = {"t": 0}
    clock = time.perf_counter_ns

    def on_watch(ev):
        rec["t"] = clock()
        fired.set()

    warm = max(20, int(P["warmup"]) // 10)
    secs = float(P["seconds"])
    lat = []
    end = 0
    i = 0
    while True:
        if i == warm:
            end = clock() + int(secs * 1e9)
        if i > warm and clock() >= end:
            break
        fired.clear()
        a.get(path, watch=on_watch)
        t = clock()
        b.set(path, PAYLOAD)
        if not fired.wait(10):
            die("watch on %s did not fire within 10 s" % path)
        if i >= warm:
            lat.append(rec["t"] - t)
        i += 1
    b.delete(path)
    for c in (a, b):
        c.stop()
        c.close()
    lat.sort()
    result("watch_latency", ops=len(lat), p50_us=pct_us(lat, 0.5), p99_us=pct_us(lat, 0.99))


def lock_path(workload):
    """The lock's node, /bench/locks/kazoo-PID-WORKLOAD: the Lock makes it on first use,
    the workload deletes it at the end."""
    return "%s/locks/kazoo-%d-%s" % (P["root"], os.getpid(), workload)


def wl_datawatch_latency():
    """set on client B -> zk.DataWatch's function on client A called with the new data"""
    a, b = connect(), connect()
    path = "%s/wl/kazoo-dw-%d" % (P["root"], os.getpid())
    try:
        a.create(path, PAYLOAD)
    except NodeExistsError:
        pass
    fired = threading.Event()
    rec = {"t": 0}
    clock = time.perf_counter_ns

    def on_data(data, stat):
        rec["t"] = clock()
        fired.set()

    a.DataWatch(path, on_data)
    if not fired.wait(10):
        die("data watch on %s: no first value in 10 s" % path)
    warm = max(20, int(P["warmup"]) // 10)
    secs = float(P["seconds"])
    lat = []
    end = 0
    i = 0
    while True:
        if i == warm:
            end = clock() + int(secs * 1e9)
        if i > warm and clock() >= end:
            break
        fired.clear()
        t = clock()
        b.set(path, PAYLOAD)
        if not fired.wait(10):
            die("data watch on %s: no value within 10 s" % path)
        if i >= warm:
            lat.append(rec["t"] - t)
        i += 1
    b.delete(path)
    for c in (a, b):
        c.stop()
        c.close()
    lat.sort()
    result("datawatch_latency", ops=len(lat), p50_us=pct_us(lat, 0.5),
           p99_us=pct_us(lat, 0.99))


def wl_lock_uncontended():
    """acquire + release of zk.Lock with nobody else there, one client"""
    zk = connect()
    path = lock_path("lock_uncontended")
    lock = zk.Lock(path)
    warmup, secs = int(P["warmup"]), float(P["seconds"])
    clock = time.perf_counter_ns
    lat, acq, rel = [], [], []
    i = 0
    t0 = end = cpu0 = 0
    while True:
        if i == warmup:
            t0 = clock()
            end = t0 + int(secs * 1e9)
            cpu0 = cpu_us()
        a = clock()
        if i >= warmup and a >= end:
            break
        if not lock.acquire(timeout=10):
            die("acquire %s: not acquired in 10 s" % path)
        b = clock()
        lock.release()
        if i >= warmup:
            e = clock()
            lat.append(e - a)
            acq.append(b - a)
            rel.append(e - b)
        i += 1
    cpu = cpu_us() - cpu0
    secs = (clock() - t0) / 1e9
    zk.delete(path)
    zk.stop()
    zk.close()
    for v in (lat, acq, rel):
        v.sort()
    n = len(lat)
    result("lock_uncontended", ops=n, seconds="%.3f" % secs, ops_s=n / secs,
           p50_us=pct_us(lat, 0.5), p99_us=pct_us(lat, 0.99), acquire_p50_us=pct_us(acq, 0.5),
           release_p50_us=pct_us(rel, 0.5), cpu_us_per_op=cpu / max(n, 1))


def wl_queue_roundtrip():
    """put + get of a 100-byte value on a zk.Queue nobody else uses, one client"""
    zk = connect()
    path = "%s/queues/kazoo-%d-queue_roundtrip" % (P["root"], os.getpid())
    q = zk.Queue(path)
    value = b"x" * 100
    warmup, secs = int(P["warmup"]), float(P["seconds"])
    clock = time.perf_counter_ns
    lat, put, get = [], [], []
    i = 0
    t0 = end = cpu0 = 0
    while True:
        if i == warmup:
            t0 = clock()
            end = t0 + int(secs * 1e9)
            cpu0 = cpu_us()
        a = clock()
        if i >= warmup and a >= end:
            break
        q.put(value)
        b = clock()
        if q.get() != value:
            die("get %s: no entry or a wrong one" % path)
        if i >= warmup:
            e = clock()
            lat.append(e - a)
            put.append(b - a)
            get.append(e - b)
        i += 1
    cpu = cpu_us() - cpu0
    secs = (clock() - t0) / 1e9
    zk.delete(path)
    zk.stop()
    zk.close()
    for v in (lat, put, get):
        v.sort()
    n = len(lat)
    result("queue_roundtrip", ops=n, seconds="%.3f" % secs, ops_s=n / secs,
           p50_us=pct_us(lat, 0.5), p99_us=pct_us(lat, 0.99), put_p50_us=pct_us(put, 0.5),
           get_p50_us=pct_us(get, 0.5), cpu_us_per_op=cpu / max(n, 1))


def watch_set(zk):
    """Whether kazoo holds a data watch for this client: it files one (in a private table)
    once the server has answered the get that sets it."""
    while True:
        try:
            return any(zk._data_watchers.values())
        except RuntimeError:  # the table changed size under us: look again
            pass


def wl_lock_handoff():
    """Two clients (threads of this process, a session each) on one lock: the holder waits
    until the waiter's watch on its node is set, then releases; from just before the
    release to the waiter's acquire returning."""
    a, b = connect(), connect()
    path = lock_path("lock_handoff")
    la, lb = a.Lock(path), b.Lock(path)
    clock = time.perf_counter_ns
    go, held = threading.Semaphore(0), threading.Semaphore(0)
    st = {"t": 0, "stop": False, "err": None}

    def waiter():
        try:
            while True:
                if not go.acquire(timeout=60):
                    raise RuntimeError("no word from the holder in 60 s")
                if st["stop"]:
                    return
                if not lb.acquire(timeout=10):
                    raise RuntimeError("not acquired in 10 s")
                st["t"] = clock()
                lb.release()
                held.release()
        except Exception as e:  # noqa: BLE001 - any failure ends the run
            st["err"] = repr(e)
            held.release()

    th = threading.Thread(target=waiter, daemon=True)
    th.start()
    warm = max(20, int(P["warmup"]) // 10)
    secs = float(P["seconds"])
    lat = []
    end = 0
    i = 0
    while True:
        if i == warm:
            end = clock() + int(secs * 1e9)
        if i > warm and clock() >= end:
            break
        if not la.acquire(timeout=10):
            die("acquire %s: not acquired in 10 s" % path)
        go.release()
        give_up = time.monotonic() + 10
        while not watch_set(b):
            if time.monotonic() > give_up or st["err"]:
                die("hand-off: the waiter set no watch within 10 s (%s)" % st["err"])
            time.sleep(20e-6)
        t0 = clock()
        la.release()
        if not held.acquire(timeout=10):
            die("hand-off: the waiter did not hold it in 10 s")
        if st["err"]:
            die("hand-off waiter: %s" % st["err"])
        if i >= warm:
            lat.append(st["t"] - t0)
        i += 1
    st["stop"] = True
    go.release()
    th.join()
    a.delete(path)
    for c in (a, b):
        c.stop()
        c.close()
    lat.sort()
    result("lock_handoff", ops=len(lat), p50_us=pct_us(lat, 0.5), p99_us=pct_us(lat, 0.99))


def wl_lock_contended():
    """`clients` contenders (threads, a KazooClient each) on one lock, acquiring and
    releasing in a loop: acquisitions per second"""
    n = int(P["clients"])
    if n < 2:
        die("clients must be >= 2")
    path = lock_path("lock_contended")
    zks = [connect() for _ in range(n)]
    locks = [zk.Lock(path) for zk in zks]
    counts = [0] * n
    stop = threading.Event()
    errors = []

    def work(i):
        try:
            lock = locks[i]
            while not stop.is_set():
                if not lock.acquire(timeout=30):
                    raise RuntimeError("not acquired in 30 s")
                counts[i] += 1
                lock.release()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ths = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
    for t in ths:
        t.start()
    wend = time.monotonic() + 1.0
    while sum(counts) < int(P["warmup"]) and time.monotonic() < wend and not errors:
        time.sleep(0.005)
    n0, cpu0, t0 = list(counts), cpu_us(), time.perf_counter()
    time.sleep(float(P["seconds"]))
    n1, cpu1, t1 = list(counts), cpu_us(), time.perf_counter()
    stop.set()
    for t in ths:
        t.join()
    if errors:
        die("lock: %s" % errors[0])
    zks[0].delete(path)
    for zk in zks:
        zk.stop()
        zk.close()
    per = [y - x for x, y in zip(n0, n1)]
    ops = sum(per)
    if ops <= 0:
        die("no acquisition in the measured window")
    result("lock_contended", clients=n, ops=ops, seconds="%.3f" % (t1 - t0),
           ops_s=ops / (t1 - t0), min_per_client=min(per), max_per_client=max(per),
           cpu_us_per_op=(cpu1 - cpu0) / ops)


def tree_cache(zk, path, on_event):
    from kazoo.recipe.cache import TreeCache
    tc = TreeCache(zk, path)
    tc.listen(on_event)
    tc.start()
    return tc


def wl_tree_cache_init():
    """Time to load kazoo's TreeCache of /bench/w (the `watches` nodes and their parent)
    and the memory it holds per node."""
    from kazoo.recipe.cache import TreeEvent
    zk = connect()
    done = threading.Event()

    def on_event(ev):
        if ev.event_type == TreeEvent.INITIALIZED:
            done.set()

    time.sleep(0.2)
    r0 = vmrss_kb()
    cpu0 = cpu_us()
    t0 = time.perf_counter_ns()
    tc = tree_cache(zk, P["root"] + "/w", on_event)
    if not done.wait(300):
        die("no INITIALIZED within 300 s")
    t1 = time.perf_counter_ns()
    cpu = cpu_us() - cpu0
    time.sleep(0.2)
    r1 = vmrss_kb()
    n = 0
    todo = [P["root"] + "/w"]
    while todo:
        p = todo.pop()
        if tc.get_data(p) is not None:
            n += 1
            todo.extend(p + "/" + k for k in (tc.get_children(p) or ()))
    tc.close()
    zk.stop()
    zk.close()
    result("tree_cache_init", nodes=n, init_ms=(t1 - t0) / 1e6, cpu_ms=cpu / 1000.0,
           rss0_kb=r0, rss1_kb=r1, bytes_per_node=(r1 - r0) * 1024.0 / max(n, 1))


def wl_tree_cache_latency():
    """A change (a set from another client) to the TreeCache's NODE_UPDATED event."""
    from kazoo.recipe.cache import TreeEvent
    a, b = connect(), connect()
    d = "%s/wl/tc-kazoo-%d" % (P["root"], os.getpid())
    node = d + "/node"
    a.ensure_path(d)
    try:
        a.create(node, PAYLOAD)
    except NodeExistsError:
        pass
    init = threading.Event()
    updated = threading.Event()
    rec = {"t": 0}
    clock = time.perf_counter_ns

    def on_event(ev):
        if ev.event_type == TreeEvent.INITIALIZED:
            init.set()
        elif ev.event_type == TreeEvent.NODE_UPDATED:
            rec["t"] = clock()
            updated.set()

    tc = tree_cache(a, d, on_event)
    if not init.wait(10):
        die("no INITIALIZED within 10 s")
    warm = max(20, int(P["warmup"]) // 10)
    secs = float(P["seconds"])
    lat = []
    end = 0
    i = 0
    while True:
        if i == warm:
            end = clock() + int(secs * 1e9)
        if i > warm and clock() >= end:
            break
        updated.clear()
        t = clock()
        b.set(node, PAYLOAD)
        if not updated.wait(10):
            die("no NODE_UPDATED within 10 s")
        if i >= warm:
            lat.append(rec["t"] - t)
        i += 1
    tc.close()
    b.delete(d, recursive=True)
    for c in (a, b):
        c.stop()
        c.close()
    lat.sort()
    result("tree_cache_latency", ops=len(lat), p50_us=pct_us(lat, 0.5), p99_us=pct_us(lat, 0.99))


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    for arg in sys.argv[2:]:
        k, eq, v = arg.partition("=")
        if not eq or k not in P:
            die("bad argument %s" % arg)
        P[k] = v
    if not P["hosts"]:
        die("no hosts (hosts=... or ZK_HOSTS)")
    logging.basicConfig(level=logging.ERROR)
    wl = sys.argv[1]
    table = {
        "sync_get": lambda: wl_sync("sync_get"),
        "sync_set": lambda: wl_sync("sync_set"),
        "create_delete": lambda: wl_sync("create_delete"),
        "rss": wl_rss,
        "async_get": wl_async,
        "threads": wl_threads,
        "idle_clients": wl_idle,
        "watches": wl_watches,
        "watch_latency": wl_watch_latency,
        "lock_uncontended": wl_lock_uncontended,
        "lock_handoff": wl_lock_handoff,
        "lock_contended": wl_lock_contended,
        "queue_roundtrip": wl_queue_roundtrip,
        "datawatch_latency": wl_datawatch_latency,
        "tree_cache_init": wl_tree_cache_init,
        "tree_cache_latency": wl_tree_cache_latency,
    }
    if wl not in table:
        die("unknown workload %s" % wl)
    try:
        table[wl]()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001
        die("%s: %r" % (wl, e))
    sys.stdout.flush()
    os._exit(0)  # kazoo's handler threads are daemons; do not wait on interpreter teardown


if __name__ == "__main__":
    sys.exit(main())

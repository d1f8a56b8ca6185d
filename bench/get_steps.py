#!/usr/bin/env python3
"""Where the time of one blocking get goes, step by step, from outside the library.

Runs `zkbench_zkclient sync_get` under `perf record` with uprobes on zk_get's entry and
return and the kernel's syscall and scheduler tracepoints, then cuts every get into:

  submit   zk_get entered -> the request's sendto (encode, queue, write)
  server   sendto -> the recvfrom that returned the reply (loopback and the server)
  handover the reply read -> zk_get returns (cut, match, decode, copy; and when another
           thread read it, that thread's wake-up of the caller and the caller's turn on a
           CPU)

and says who read each reply (the caller itself, or another thread: the I/O thread).
Percentiles of each step over all gets, then the same for the slowest 1 % of gets, so
a tail shows which step it comes from. Nothing in the library is built differently.

    bench/get_steps.py BENCH_BINARY LIBZKCLIENT_SO HOSTS [seconds]

Needs root (uprobes and tracepoints) and perf. The probes it adds are removed on exit.
"""
import os
import re
import subprocess
import sys
import tempfile


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


def pct(v, q):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bench, lib, hosts = argv[1], os.path.realpath(argv[2]), argv[3]
    seconds = argv[4] if len(argv) > 4 else "10"
    group = "zkgetsteps"
    sh("perf", "probe", "-q", "-d", f"{group}:*", check=False)
    try:
        sh("perf", "probe", "-q", "-x", lib, "-a", f"{group}:entry=zk_get")
        sh("perf", "probe", "-q", "-x", lib, "-a", f"{group}:exit=zk_get%return")
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "perf.data")
            events = [f"{group}:entry", f"{group}:exit__return", "syscalls:sys_enter_sendto",
                      "syscalls:sys_exit_recvfrom", "sched:sched_wakeup", "sched:sched_switch"]
            cmd = ["perf", "record", "-q", "-o", data]
            for e in events:
                cmd += ["-e", e]
            cmd += ["--", bench, "sync_get", f"hosts={hosts}", f"seconds={seconds}"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                print(r.stderr, file=sys.stderr)
                return 1
            print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "")
            out = sh("perf", "script", "-i", data, "-F", "tid,time,event,trace").stdout
    finally:
        sh("perf", "probe", "-q", "-d", f"{group}:*", check=False)

    line_re = re.compile(r"^\s*(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$")
    gets = []  # (entry, send, recv, recv_tid, exit, caller)
    open_get = {}
    last_send = None
    last_recv = None
    wakeups = 0
    for line in out.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        tid, t, ev, rest = int(m.group(1)), float(m.group(2)) * 1e6, m.group(3), m.group(4)
        if ev.endswith(":entry"):
            open_get[tid] = {"entry": t, "send": None, "recv": None, "reader": None}
            last_send = last_recv = None
        elif ev == "syscalls:sys_enter_sendto":
            for g in open_get.values():
                if g["send"] is None:
                    g["send"] = t
        elif ev == "syscalls:sys_exit_recvfrom":
            ret = re.search(r"0x([0-9a-f]+)", rest)
            n = int(ret.group(1), 16) if ret else 0
            if n and n < 1 << 62:
                for g in open_get.values():
                    if g["send"] is not None and g["recv"] is None:
                        g["recv"] = t
                        g["reader"] = tid
        elif ev.endswith(":exit__return"):
            g = open_get.pop(tid, None)
            if g and g["send"] is not None and g["recv"] is not None:
                gets.append((g["entry"], g["send"], g["recv"], g["reader"], t, tid))
        elif ev == "sched:sched_wakeup":
            wakeups += 1
    if not gets:
        print("no complete get traced", file=sys.stderr)
        return 1
    # the warm-up's gets are traced too; they are few beside a run of seconds
    total = [e - a for a, s, r, rt, e, c in gets]
    cut = pct(total, 0.99)
    rows = [("all gets", gets), ("slowest 1 %", [g for g in gets if g[4] - g[0] >= cut])]
    print(f"{len(gets)} gets traced; uprobes and tracepoints add a few µs to each")
    hdr = "step (µs)".ljust(34) + "".join(s.rjust(9) for s in ["p50", "p90", "p99", "p99.9", "max"])
    for title, gs in rows:
        print()
        own = sum(1 for g in gs if g[3] == g[5])
        print(f"{title}: {len(gs)} gets; reply read by the caller itself in {own}"
              f" ({100.0 * own / len(gs):.1f} %), by another thread in {len(gs) - own}")
        print(hdr)
        for name, f in [
            ("total (zk_get in -> out)", lambda g: g[4] - g[0]),
            ("submit (in -> sendto)", lambda g: g[1] - g[0]),
            ("server (sendto -> reply read)", lambda g: g[2] - g[1]),
            ("handover (reply read -> out)", lambda g: g[4] - g[2]),
            ("  of which read by the caller", lambda g: g[4] - g[2] if g[3] == g[5] else None),
            ("  of which read by another", lambda g: g[4] - g[2] if g[3] != g[5] else None),
        ]:
            v = [x for x in (f(g) for g in gs) if x is not None]
            if not v:
                continue
            print(name.ljust(34) + "".join(f"{pct(v, q):9.0f}" for q in [0.5, 0.9, 0.99, 0.999, 1.0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

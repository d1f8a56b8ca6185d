#!/usr/bin/python3
"""Summarises the RESULT lines of scripts/bench.sh: medians over the repeats, a table with
our ratios to the anchors, and the bar (PASS/MISS); then the recipes' table, ours and
kazoo's as multiples of the raw requests' floor (reported, no bar). Never fails on a MISS.

    report.py RESULTS_FILE [--watches N] [--clients K] [--lock-clients N]
"""

import statistics
import sys

CLIENTS = ("raw", "cclient", "kazoo", "zkclient")
HEAD = ("raw", "C (tuned)", "kazoo", "zkclient", "zk/C", "zk/raw", "zk ±%")


def parse(path):
    runs = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("RESULT "):
                continue
            kv = dict(tok.split("=", 1) for tok in line.split()[1:] if "=" in tok)
            wl = kv.get("workload")
            if kv.get("server") == "pinned":  # scripts/bench.sh's tag
                wl = "%s_pinned" % wl
            runs.setdefault((kv.get("client"), wl), []).append(kv)
    return runs


def values(runs, client, workload, metric):
    vals = []
    for kv in runs.get((client, workload), []):
        try:
            vals.append(float(kv[metric]))
        except (KeyError, ValueError):
            pass
    return vals


def median(runs, client, workload, metric):
    vals = values(runs, client, workload, metric)
    return statistics.median(vals) if vals else None


def spread(runs, client, workload, metric):
    """half the range of the runs, in % of their median: how noisy the cell is"""
    vals = values(runs, client, workload, metric)
    if len(vals) < 2 or statistics.median(vals) == 0:
        return "–"
    return "%.0f" % (50.0 * (max(vals) - min(vals)) / abs(statistics.median(vals)))


def fmt(v, unit):
    if v is None:
        return "–"
    if unit == "ops":
        return "%.1fk" % (v / 1000) if v >= 1000 else "%.0f" % v
    if unit == "mb":
        return "%.2f" % (v / 1024)
    if v >= 100:
        return "%.0f" % v
    return "%.1f" % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return "%.2f×" % (a / b)


def main():
    args = sys.argv[1:]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    path = args[0]
    opts = dict(zip(args[1::2], args[2::2]))
    watches = opts.get("--watches", "10000")
    idle_k = opts.get("--clients", "50")
    lock_k = opts.get("--lock-clients", "8")
    runs = parse(path)
    # runs per cell: the noisy workloads run more often per repeat (scripts/bench.sh)
    counts = {wl: len(v) for (c, wl), v in runs.items() if c == "zkclient"}
    n = statistics.mode(counts.values()) if counts else 0
    more = {}
    for wl, k in sorted(counts.items()):
        if k != n:
            more.setdefault(k, []).append(wl)
    more = "".join("; %s: %d" % (", ".join(wls), k) for k, wls in sorted(more.items()))

    rows = [
        ("sync get p50 µs", "sync_get", "p50_us", "us"),
        ("sync get p99 µs", "sync_get", "p99_us", "us"),
        ("sync get p99.9 µs", "sync_get", "p999_us", "us"),
        ("sync get CPU µs/op", "sync_get", "cpu_us_per_op", "us"),
        ("sync set p50 µs", "sync_set", "p50_us", "us"),
        ("sync set p99 µs", "sync_set", "p99_us", "us"),
        ("sync set p99.9 µs", "sync_set", "p999_us", "us"),
        ("sync set CPU µs/op", "sync_set", "cpu_us_per_op", "us"),
        ("create+delete pair p50 µs", "create_delete", "p50_us", "us"),
        ("create+delete pair p99 µs", "create_delete", "p99_us", "us"),
        ("create+delete CPU µs/pair", "create_delete", "cpu_us_per_op", "us"),
    ]
    for k in (1, 16, 256):
        rows += [("async get, %d in flight, ops/s" % k, "async_get_%d" % k, "ops_s", "ops"),
                 ("async get, %d in flight, CPU µs/op" % k, "async_get_%d" % k,
                  "cpu_us_per_op", "us")]
    rows += [("  server pinned to one core, ops/s", "async_get_256_pinned", "ops_s", "ops"),
             ("  server pinned to one core, CPU µs/op", "async_get_256_pinned",
              "cpu_us_per_op", "us")]
    for t in (1, 2, 8, 32):
        rows += [("sync get, %d thread%s, ops/s" % (t, "s" if t > 1 else ""), "threads_%d" % t,
                  "ops_s", "ops"),
                 ("sync get, %d thread%s, CPU µs/op" % (t, "s" if t > 1 else ""),
                  "threads_%d" % t, "cpu_us_per_op", "us")]
    rows += [
        ("peak RSS, 32 threads on one client MB", "threads_32", "maxrss_kb", "mb"),
        ("peak RSS, one client (2,000 gets), .so MB", "rss", "maxrss_kb", "mb"),
        ("  static library MB", "rss", "maxrss_kb", "mb", "zkclient-static"),
        ("  .so built without TLS MB", "rss", "maxrss_kb", "mb", "zkclient-notls"),
        ("RSS per extra idle client KB (K=%s)" % idle_k, "idle_clients", "rss_per_client_kb",
         "us"),
        ("memory for %s watches KB" % watches, "watches", "watch_mem_kb", "us"),
        ("  = bytes per watch", "watches", "bytes_per_watch", "us"),
        ("watch delivery (set → callback) p50 µs", "watch_latency", "p50_us", "us"),
        ("watch delivery (set → callback) p99 µs", "watch_latency", "p99_us", "us"),
    ]

    print("Medians of %d run%s per cell%s (– = not run or not applicable; zk ±%% = half the"
          " range of zkclient's runs, in %% of the median)" % (n, "s" * (n != 1), more))
    # A run of the recipe workloads alone (BENCH_WORKLOADS) has no client table to show.
    if any(median(runs, c, r[1], r[2]) is not None for r in rows for c in CLIENTS):
        client_table(runs, rows)
    recipe_table(runs, lock_k)
    tree_table(runs)
    compat_table(runs)
    return 0


def client_table(runs, rows):
    width = max(len(r[0]) for r in rows) + 2
    print("%-*s" % (width, "workload") + "".join("%11s" % h for h in HEAD))
    print("-" * (width + 11 * len(HEAD)))
    for label, wl, metric, unit, *ours in rows:
        # A row may put another build of ours in the zkclient column.
        ours = ours[0] if ours else "zkclient"
        v = {c: median(runs, ours if c == "zkclient" else c, wl, metric) for c in CLIENTS}
        cells = [fmt(v[c], unit) for c in CLIENTS]
        cells.append(ratio(v["zkclient"], v["cclient"]))
        cells.append(ratio(v["zkclient"], v["raw"]) if unit != "mb" else "–")
        cells.append(spread(runs, ours, wl, metric))
        print("%-*s" % (width, label) + "".join("%11s" % c for c in cells))

    def m(c, wl, metric):
        return median(runs, c, wl, metric)

    print()
    print("The bar (ratios vs the tuned C client; reported, never enforced):")
    bars = []
    raw, c, z = (m(x, "sync_get", "p50_us") for x in ("raw", "cclient", "zkclient"))
    if None in (raw, c, z):
        bars.append(("sync get p50 overhead over raw ≤ 0.5× C's", None, "missing data"))
    else:
        zo, co = z - raw, c - raw
        ok = zo <= 0.5 * co if co > 0 else None
        bars.append(("sync get p50 overhead over raw ≤ 0.5× C's", ok,
                     "zkclient %+.1f µs, C %+.1f µs over raw %.1f µs%s" %
                     (zo, co, raw, "" if co > 0 else " (C shows no overhead: n/a)")))

    def cmp_bar(name, wl, metric, other, limit, higher_is_better=False, unit="us",
                ours="zkclient"):
        a, b = m(ours, wl, metric), m(other, wl, metric)
        if a is None or b is None or b == 0:
            bars.append((name, None, "missing data"))
            return
        r = a / b
        ok = r >= limit if higher_is_better else r <= limit
        bars.append((name, ok, "%.2f× (zkclient %s, %s %s)" % (
            r, fmt(a, unit), "C" if other == "cclient" else other, fmt(b, unit))))

    cmp_bar("sync get CPU/op ≤ 0.6× C", "sync_get", "cpu_us_per_op", "cclient", 0.6)
    cmp_bar("32-thread sync get CPU/op ≤ 0.6× C", "threads_32", "cpu_us_per_op", "cclient", 0.6)
    cmp_bar("async get (256 in flight) CPU/op ≤ 0.5× C", "async_get_256", "cpu_us_per_op",
            "cclient", 0.5)
    # Unpinned, the server's throughput is bimodal from run to run whichever client asks
    # (scripts/bench.sh says why), so the bar reads the pinned row when there is one.
    pinned = m("zkclient", "async_get_256_pinned", "ops_s") is not None
    cmp_bar("async get (256 in flight) ops/s ≥ 0.95× raw" + (", pinned" if pinned else ""),
            "async_get_256_pinned" if pinned else "async_get_256", "ops_s", "raw", 0.95,
            True, "ops")
    cmp_bar("32-thread sync get ops/s ≥ 1.0× C", "threads_32", "ops_s", "cclient", 1.0, True, "ops")
    # Both linked the way C users link them: the shared libraries.
    cmp_bar("peak RSS, one client (.so) ≤ 1.10× C", "rss", "maxrss_kb", "cclient", 1.10,
            unit="mb")
    cmp_bar("  the same, built without TLS", "rss", "maxrss_kb", "cclient", 1.10,
            unit="mb", ours="zkclient-notls")
    # The tail and the raw floor: a blocking get's p99 at the raw client's, its p50 near
    # it, CPU per get near raw's whether blocking or pipelined, and the 32-thread client
    # lean beside the C client.
    cmp_bar("sync get p99 ≤ 1.1× raw", "sync_get", "p99_us", "raw", 1.1)
    cmp_bar("sync get p99 ≤ 1.0× C", "sync_get", "p99_us", "cclient", 1.0)
    cmp_bar("sync get p50 ≤ 1.1× raw", "sync_get", "p50_us", "raw", 1.1)
    cmp_bar("sync get CPU/op ≤ 1.3× raw", "sync_get", "cpu_us_per_op", "raw", 1.3)
    for k in (1, 16, 256):
        cmp_bar("async get (%d in flight) CPU/op ≤ 1.3× raw" % k, "async_get_%d" % k,
                "cpu_us_per_op", "raw", 1.3)
    cmp_bar("32-thread peak RSS ≤ 1.1× C", "threads_32", "maxrss_kb", "cclient", 1.1,
            unit="mb")
    bw = max(len(b[0]) for b in bars)
    for name, ok, detail in bars:
        verdict = "n/a " if ok is None else ("PASS" if ok else "MISS")
        print("  %s  %-*s %s" % (verdict, bw, name, detail))


# The lock recipe beside kazoo's. raw (bench/rawbench.c) sends the recipe's requests and no
# more, so its figure is the floor: acquire = create + getChildren, release = delete,
# hand-off = the notification of the delete + getChildren. Ours and kazoo's are given as
# multiples of it. The official C client has no lock recipe (its column stays "–").
def recipe_rows(lock_k):
    return [
        # label, workload, metric, unit, 1/x (a rate shown as time per operation)
        ("lock acquire+release p50 µs", "lock_uncontended", "p50_us", "us", False),
        ("lock acquire+release p99 µs", "lock_uncontended", "p99_us", "us", False),
        ("  acquire alone p50 µs", "lock_uncontended", "acquire_p50_us", "us", False),
        ("  release alone p50 µs", "lock_uncontended", "release_p50_us", "us", False),
        ("lock acquire+release CPU µs/op", "lock_uncontended", "cpu_us_per_op", "us", False),
        ("lock hand-off (release → next holds) p50 µs", "lock_handoff", "p50_us", "us", False),
        ("lock hand-off (release → next holds) p99 µs", "lock_handoff", "p99_us", "us", False),
        ("%s contenders, acquisitions/s" % lock_k, "lock_contended", "ops_s", "ops", False),
        ("  = µs per acquisition", "lock_contended", "ops_s", "us", True),
        ("%s contenders, CPU µs/acquisition" % lock_k, "lock_contended", "cpu_us_per_op", "us",
         False),
        # the queue beside kazoo's zk.Queue (no raw floor: compare the two columns)
        ("queue put+get p50 µs", "queue_roundtrip", "p50_us", "us", False),
        ("queue put+get p99 µs", "queue_roundtrip", "p99_us", "us", False),
        ("  put alone p50 µs", "queue_roundtrip", "put_p50_us", "us", False),
        ("  get alone p50 µs", "queue_roundtrip", "get_p50_us", "us", False),
        ("queue put+get CPU µs/op", "queue_roundtrip", "cpu_us_per_op", "us", False),
        # no raw floor: a watch's own delivery is watch_latency's row above
        ("DataWatch delivery (set → callback) p50 µs", "datawatch_latency", "p50_us", "us",
         False),
        ("DataWatch delivery (set → callback) p99 µs", "datawatch_latency", "p99_us", "us",
         False),
    ]


def recipe_table(runs, lock_k):
    if not any(wl.startswith(("lock_", "queue_", "datawatch_")) for _, wl in runs):
        return
    rows = recipe_rows(lock_k)
    head = ("raw", "C", "kazoo", "zkclient", "zk/raw", "kazoo/raw", "zk ±%")
    print()
    print("Recipes: the lock beside kazoo's zk.Lock, the queue beside its zk.Queue, DataWatch"
          " beside its zk.DataWatch (C = the official C client, which has no recipes).")
    print("raw is the floor, the recipe's requests sent by hand: acquire = create +"
          " getChildren, release = delete,")
    print("hand-off = the delete's notification + getChildren. zk/raw and kazoo/raw are"
          " multiples of it.")
    width = max(len(r[0]) for r in rows) + 2
    print("%-*s" % (width, "workload") + "".join("%11s" % h for h in head))
    print("-" * (width + 11 * len(head)))
    for label, wl, metric, unit, inverse in rows:
        v = {c: median(runs, c, wl, metric) for c in CLIENTS}
        if inverse:
            v = {c: (1e6 / x if x else None) for c, x in v.items()}
        cells = [fmt(v[c], unit) for c in CLIENTS]
        cells += [ratio(v["zkclient"], v["raw"]), ratio(v["kazoo"], v["raw"]),
                  spread(runs, "zkclient", wl, metric)]
        print("%-*s" % (width, label) + "".join("%11s" % c for c in cells))


# The tree cache beside kazoo's TreeCache (the official C client has none): a cache of the
# `watches` nodes under /bench/w, and a set's way to the cache's NODE_UPDATED event.
TREE_ROWS = [
    ("tree cache: nodes loaded", "tree_cache_init", "nodes"),
    ("tree cache: time to INITIALIZED ms", "tree_cache_init", "init_ms"),
    ("tree cache: CPU for the load ms", "tree_cache_init", "cpu_ms"),
    ("tree cache: RSS per cached node bytes", "tree_cache_init", "bytes_per_node"),
    ("tree cache: change → event p50 µs", "tree_cache_latency", "p50_us"),
    ("tree cache: change → event p99 µs", "tree_cache_latency", "p99_us"),
]


def tree_table(runs):
    if not any(wl.startswith("tree_cache") for _, wl in runs):
        return
    print()
    print("The tree cache beside kazoo's TreeCache (the official C client has none).")
    head = ("kazoo", "zkclient", "zk/kazoo", "zk ±%")
    width = max(len(r[0]) for r in TREE_ROWS) + 2
    print("%-*s" % (width, "workload") + "".join("%11s" % h for h in head))
    print("-" * (width + 11 * len(head)))
    for label, wl, metric in TREE_ROWS:
        k, z = (median(runs, x, wl, metric) for x in ("kazoo", "zkclient"))
        cells = ["–" if k is None else "%.1f" % k, "–" if z is None else "%.1f" % z,
                 ratio(z, k), spread(runs, "zkclient", wl, metric)]
        print("%-*s" % (width, label) + "".join("%11s" % x for x in cells))


# The official client's program, the same binary, on its own library and on ours
# (libzookeeper_mt from compat/, through LD_LIBRARY_PATH), beside libzkclient's own API.
COMPAT_ROWS = [
    ("sync get p50 µs", "sync_get", "p50_us"),
    ("sync get p99 µs", "sync_get", "p99_us"),
    ("sync get CPU µs/op", "sync_get", "cpu_us_per_op"),
    ("sync set p50 µs", "sync_set", "p50_us"),
    ("sync set p99 µs", "sync_set", "p99_us"),
    ("create+delete p50 µs", "create_delete", "p50_us"),
    ("async get, 1 in flight, CPU µs/op", "async_get_1", "cpu_us_per_op"),
    ("async get, 16 in flight, ops/s", "async_get_16", "ops_s"),
    ("async get, 16 in flight, CPU µs/op", "async_get_16", "cpu_us_per_op"),
    ("async get, 256 in flight, ops/s", "async_get_256", "ops_s"),
    ("async get, 256 in flight, CPU µs/op", "async_get_256", "cpu_us_per_op"),
    ("sync get, 8 threads, ops/s", "threads_8", "ops_s"),
    ("sync get, 8 threads, CPU µs/op", "threads_8", "cpu_us_per_op"),
    ("sync get, 32 threads, ops/s", "threads_32", "ops_s"),
    ("sync get, 32 threads, CPU µs/op", "threads_32", "cpu_us_per_op"),
    ("peak RSS, one client MB", "rss", "maxrss_kb"),
    ("RSS per extra idle client KB", "idle_clients", "rss_per_client_kb"),
    ("watch delivery p50 µs", "watch_latency", "p50_us"),
    ("watch delivery p99 µs", "watch_latency", "p99_us"),
]


def compat_table(runs):
    if not any(c == "cclient-on-zkclient" for c, _ in runs):
        return
    print()
    print("The official client's program relinked: C = zkbench_cclient on Debian's"
          " libzookeeper_mt; C-on-zk = the same binary on ours (compat/); zk = libzkclient's"
          " own API (zkbench_zkclient)")
    head = ("C", "C-on-zk", "zk", "C-on-zk/C", "zk/C", "C-on-zk/zk")
    width = max(len(r[0]) for r in COMPAT_ROWS) + 2
    print("%-*s" % (width, "workload") + "".join("%11s" % h for h in head))
    print("-" * (width + 11 * len(head)))
    for label, wl, metric in COMPAT_ROWS:
        c, on, z = (median(runs, x, wl, metric) for x in ("cclient", "cclient-on-zkclient", "zkclient"))
        if c is None and on is None:
            continue
        unit = "ops" if metric == "ops_s" else ("mb" if metric == "maxrss_kb" else "us")
        cells = [fmt(c, unit), fmt(on, unit), fmt(z, unit), ratio(on, c), ratio(z, c), ratio(on, z)]
        print("%-*s" % (width, label) + "".join("%11s" % x for x in cells))


if __name__ == "__main__":
    sys.exit(main())

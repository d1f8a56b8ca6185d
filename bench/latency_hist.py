#!/usr/bin/env python3
"""Latency histograms of the sync workloads, side by side.

Reads the files that `zkbench ... lat_out=FILE` and `rawbench ... lat_out=FILE` write (one
latency in nanoseconds a line) and prints, for each label, the percentiles and the share of
calls in each latency bucket (buckets a quarter of a doubling wide, in microseconds), so
where a client's tail comes from shows beside the raw protocol's.

    bench/latency_hist.py raw=raw1.txt,raw2.txt C=c1.txt zkclient=zk1.txt,zk2.txt

A label may name several files (repetitions of one workload): their samples are pooled.
"""
import math
import sys


def load(paths):
    v = []
    for p in paths.split(","):
        with open(p) as f:
            v.extend(int(line) for line in f if line.strip())
    v.sort()
    return v


def pct(v, q):
    i = min(len(v) - 1, int(q * len(v)))
    return v[i] / 1000.0


def main(argv):
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    series = [(a.split("=", 1)[0], load(a.split("=", 1)[1])) for a in argv[1:]]
    series = [(n, v) for n, v in series if v]
    if not series:
        print("no latencies in the files given")
        return 0
    names = [n for n, _ in series]
    w = max(12, *(len(n) + 2 for n in names))
    print("percentiles (µs)".ljust(22) + "".join(n.rjust(w) for n in names))
    for label, q in [("calls", None), ("p50", 0.5), ("p90", 0.9), ("p99", 0.99),
                     ("p99.9", 0.999), ("p99.99", 0.9999), ("max", 1.0)]:
        cells = []
        for _, v in series:
            if q is None:
                cells.append(str(len(v)))
            else:
                cells.append(f"{pct(v, q):.0f}")
        print(label.ljust(22) + "".join(c.rjust(w) for c in cells))
    lo = min(v[0] for _, v in series) / 1000.0
    hi = max(v[-1] for _, v in series) / 1000.0
    # bucket edges 2^(k/4) µs from below the fastest call to above the slowest
    k0 = math.floor(4 * math.log2(max(lo, 1.0)))
    k1 = math.ceil(4 * math.log2(max(hi, 1.0))) + 1
    edges = [2 ** (k / 4) for k in range(k0, k1 + 1)]
    print()
    print("share of calls (%)".ljust(22) + "".join(n.rjust(w) for n in names))
    for a, b in zip(edges, edges[1:]):
        cells = []
        shown = False
        for _, v in series:
            n = sum(1 for x in v if a <= x / 1000.0 < b)
            share = 100.0 * n / len(v)
            shown |= n > 0
            cells.append("" if n == 0 else f"{share:.3f}" if share < 0.1 else f"{share:.1f}")
        if shown:
            print(f"{a:8.0f} – {b:<8.0f}µs  ".ljust(22) + "".join(c.rjust(w) for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

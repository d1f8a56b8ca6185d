#!/usr/bin/env python3
"""Hot/cold code layout for libzkclient's installed libraries.

Why: the library is ~1-2 MB of machine code (Rust's standard library, rustls and ring
included), but a process that connects and reads runs ~130 KB of it. The kernel maps file
pages in 64 KB windows around each fault, and the linker interleaves the hot functions with
cold ones, so about 900 KB ends up resident. Putting the hot functions next to each other
shrinks what a process holds and what the instruction cache and TLB have to cover.

How: rustc gives every function its own section (.text.NAME, or .text.unlikely.NAME for
those LLVM thinks cold). In the static library this tool renames the sections of the
functions in scripts/hot-functions.txt to .text.hot.NAME; the GNU linkers' default scripts
gather .text.hot.* into one run, and lld does with -z keep-text-section-prefix. The shared
library is linked by lld with a --symbol-ordering-file (symbol_order(), used by
scripts/releaselink.py).

The static library's other .text.unlikely.NAME sections (~30 KB of code that never ran)
become .text.cold.NAME. GNU ld puts .text.unlikely.* at the start of the program's text,
between _init (which runs at load) and main and our hot run, so a program touched those
pages' windows too; as .text.cold.* they go with the rest of the cold code, after the
program's own. Peak RSS of the bench's one-client process: 2003 -> 1924 KB (means of 42
interleaved runs; the C client's 1916).

  hotlayout.py record BINARY CALLGRIND.OUT... > scripts/hot-functions.txt
      the functions of BINARY that ran in the given `valgrind --tool=callgrind
      --dump-instr=yes` profiles, by demangled name without hashes, so the list survives
      rebuilds and feature changes (scripts/hot-profile.sh runs this). `make install`
      builds with v0 mangling, whose names carry generic type arguments, so an entry is
      one instantiation, not all of a generic function's
  hotlayout.py archive LIB.a [LIST]
      renames the listed functions' sections in LIB.a, in place; prints how many matched
  hotlayout.py cover BINARY FRESH [LIST]
      how much of the code that ran in a fresh profile (FRESH, a list made by record) the
      committed LIST names, by size in BINARY; exit status 1 below 90 %, when the list
      needs making again (scripts/hot-profile.sh --check runs this)
  hotlayout.py span BINARY [LIST]
      prints how many KB of BINARY's text the listed functions spread over; exit status 1
      when they are not packed (more than twice their size), so a stale list is noticed
"""
import bisect
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from toolrun import die, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIST = os.path.join(HERE, "hot-functions.txt")


def demangle_all(names):
    """Demangled names without hashes or LTO suffixes, in the order given."""
    stripped = [re.sub(r"\.llvm\.\d+$", "", n) for n in names]
    out = run(["c++filt"], input="\n".join(stripped) + "\n").split("\n")[: len(names)]
    keys = []
    for d in out:
        d = re.sub(r"::h[0-9a-f]{16}$", "", d)  # legacy mangling's hash
        d = re.sub(r"\[[0-9a-f]+\]", "", d)  # v0 mangling's crate disambiguators
        keys.append(d)
    return keys


def read_list(path):
    try:
        with open(path) as f:
            return {l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")}
    except OSError as e:
        die(f"cannot read {path}: {e}")


def functions(binary):
    """(start, size, mangled name) of the binary's defined functions, by address."""
    fs = []
    for line in run(["nm", "-S", "--defined-only", binary]).splitlines():
        p = line.split()
        if len(p) == 4 and p[2] in "tTwW" and int(p[1], 16) > 0:
            fs.append((int(p[0], 16), int(p[1], 16), p[3]))
    fs.sort()
    return fs


def callgrind_addresses(path, binary):
    """Instruction addresses executed inside `binary`, from a --dump-instr=yes profile."""
    names, cur, last, addrs = {}, None, 0, set()
    base = os.path.realpath(binary)
    with open(path) as f:
        for line in f:
            m = re.match(r"c?ob=\((\d+)\)\s*(.*)", line.strip())
            if m:  # an object's id is named where it first appears, as ob= or cob=
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("ob="):
                    cur = names.get(m.group(1))
                continue
            if line.startswith("calls="):
                continue  # the call's target; the next line is the call site itself
            c = line[:1]
            if not (line.startswith("0x") or c in "+-*"):
                continue
            t = line.split()[0]
            a = int(t, 16) if t.startswith("0x") else last if t == "*" else last + int(t)
            last = a
            if cur and os.path.realpath(cur) == base:
                addrs.add(a)
    return addrs


def cmd_record(binary, profiles):
    fs = functions(binary)
    starts = [f[0] for f in fs]
    hit = set()
    for p in profiles:
        for a in callgrind_addresses(p, binary):
            k = bisect.bisect_right(starts, a) - 1
            if k >= 0 and a < fs[k][0] + fs[k][1]:
                hit.add(fs[k][0])
    # every name at a hit address: merged functions are aliases of one section, named after
    # any of them
    hit = {f[2] for f in fs if f[0] in hit}
    if not hit:
        die("no function of the binary ran in those profiles")
    names = sorted(hit)
    keys = sorted(set(demangle_all(names)))
    print("# functions that ran in scripts/hot-profile.sh's workloads; made by hotlayout.py")
    print("\n".join(keys))


def archive_sections(lib):
    """Function sections of the archive's members: {section name: symbol name}."""
    secs = {}
    for line in run(["readelf", "-SW", lib]).splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+\.text\.(unlikely\.|hot\.|cold\.)?(\S+)\s+PROGBITS",
                     line)
        if m:
            secs[f".text.{m.group(1) or ''}{m.group(2)}"] = m.group(2)
    return secs


def cmd_archive(lib, listpath):
    want = read_list(listpath)
    secs = archive_sections(lib)
    names = list(secs.items())
    keys = demangle_all([sym for _, sym in names])
    renames, cold = [], 0
    for (sec, sym), key in zip(names, keys):
        if key in want and not sec.startswith(".text.hot."):
            renames += ["--rename-section", f"{sec}=.text.hot.{sym}"]
        elif key not in want and sec.startswith(".text.unlikely."):
            renames += ["--rename-section", f"{sec}=.text.cold.{sym}"]
            cold += 1
    already = sum(1 for s in secs if s.startswith(".text.hot."))
    if renames:
        tmp = lib + ".hot.tmp"
        run(["objcopy"] + renames + [lib, tmp])
        os.replace(tmp, lib)
    print(f"hotlayout: {lib}: {len(renames) // 2 - cold} function sections moved to .text.hot "
          f"({already} were already there; {len(want)} names listed), {cold} from "
          ".text.unlikely to .text.cold")


def cmd_span(binary, listpath):
    want = read_list(listpath)
    fs = functions(binary)
    keys = demangle_all([f[2] for f in fs])
    hot = [f for f, k in zip(fs, keys) if k in want]
    if not hot:
        die(f"none of the listed functions is in {binary}")
    size = sum(f[1] for f in hot)
    span = max(f[0] + f[1] for f in hot) - min(f[0] for f in hot)
    print(f"hotlayout: {binary}: {len(hot)} hot functions, {size // 1024} KB, "
          f"spread over {span // 1024} KB of text")
    return 0 if span <= 2 * size + 65536 else 1


def cmd_cover(binary, freshpath, listpath):
    fresh, listed = read_list(freshpath), read_list(listpath)
    fs = functions(binary)
    keys = demangle_all([f[2] for f in fs])
    sizes = {}
    for f, k in zip(fs, keys):
        if k in fresh:
            sizes[f[0]] = (f[1], k in listed)
    total = sum(s for s, _ in sizes.values())
    covered = sum(s for s, ok in sizes.values() if ok)
    if not total:
        die(f"none of the freshly profiled functions is in {binary}")
    missing = sorted(fresh - listed)
    print(f"hotlayout: the list covers {100 * covered / total:.1f} % of the "
          f"{total // 1024} KB that ran ({len(missing)} names missing)")
    for m in missing[:20]:
        print(f"  not listed: {m}")
    return 0 if covered >= 0.9 * total else 1


def symbol_order(objs):
    """The listed functions' symbols defined in objs, for lld's --symbol-ordering-file."""
    want = read_list(DEFAULT_LIST)
    syms = []
    for o in objs:
        for line in run(["nm", "--defined-only", o]).splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "tTwW":
                syms.append(p[2])
    return [s for s, k in zip(syms, demangle_all(syms)) if k in want]


def main(argv):
    if len(argv) < 2 or argv[0] not in ("record", "archive", "cover", "span"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "record":
        if len(args) < 2:
            die("record BINARY CALLGRIND.OUT...")
        cmd_record(args[0], args[1:])
        return 0
    if cmd == "cover":
        if len(args) < 2:
            die("cover BINARY FRESH [LIST]")
        return cmd_cover(args[0], args[1], args[2] if len(args) > 2 else DEFAULT_LIST)
    listpath = args[1] if len(args) > 1 else DEFAULT_LIST
    if cmd == "archive":
        cmd_archive(args[0], listpath)
        return 0
    return cmd_span(args[0], listpath)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""A private copy of GCC's unwinder inside libzkclient's installed libraries.

Why: Rust unwinds a panic with the _Unwind_* functions of libgcc_s.so.1, so every program
that links libzkclient loads that library (~100 KB resident) although only a panic, which
our FFI guard turns into ZK_RESULT_PANIC, ever calls it. C programs that use the official
C client never load it. GCC ships the same unwinder as a static archive, libgcc_eh.a
(under the GCC Runtime Library Exception; gcc's -static-libgcc links it). We link its two
objects into our libraries with every symbol renamed to __zkclient_<name>, and rename our
code's references to match: the unwinder is then ours alone, lies untouched until a
panic, and cannot clash with the host's own (a C++ program keeps its libgcc_s).

  unwinder.py archive LIB.a
      adds the renamed unwinder to LIB.a and points its references at it, in place
  unwinder.py objects DIR
      writes the renamed unwinder objects to DIR and prints their paths and the symbol
      map's path (for the linker wrapper, scripts/cc-release)
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from toolrun import die, run  # noqa: E402

PREFIX = "__zkclient_"
# unwind-dw2.o: the unwinder; unwind-dw2-fde-dip.o: finds a frame's unwind table through
# _dl_find_object / dl_iterate_phdr
OBJECTS = ("unwind-dw2.o", "unwind-dw2-fde-dip.o")


def libgcc_eh():
    cc = os.environ.get("CC", "cc")
    path = run([cc, "-print-file-name=libgcc_eh.a"]).strip()
    if not os.path.isabs(path) or not os.path.isfile(path):
        die(f"{cc} has no libgcc_eh.a")
    return path


def objects(outdir):
    """Extracts the unwinder's objects into outdir, renamed; returns (objects, map file)."""
    lib = libgcc_eh()
    run(["ar", "x", lib] + list(OBJECTS), cwd=outdir)
    names = set()
    for o in OBJECTS:
        for line in run(["nm", "--defined-only", "-g", os.path.join(outdir, o)]).splitlines():
            p = line.split()
            if len(p) == 3:
                names.add(p[2])
    if "_Unwind_RaiseException" not in names:
        die(f"{lib} does not define _Unwind_RaiseException")
    mapfile = os.path.join(outdir, "unwinder.map")
    with open(mapfile, "w") as f:
        f.writelines(f"{n} {PREFIX}{n}\n" for n in sorted(names))
    out = []
    for o in OBJECTS:
        renamed = os.path.join(outdir, PREFIX + o)
        run(["objcopy", f"--redefine-syms={mapfile}", os.path.join(outdir, o), renamed])
        os.unlink(os.path.join(outdir, o))
        out.append(renamed)
    return out, mapfile


def cmd_archive(lib):
    members = run(["ar", "t", lib]).split()
    if any(m.startswith(PREFIX) for m in members):
        print(f"unwinder: {lib}: already has its own unwinder")
        return
    with tempfile.TemporaryDirectory() as tmp:
        objs, mapfile = objects(tmp)
        tmplib = lib + ".unwind.tmp"
        run(["objcopy", f"--redefine-syms={mapfile}", lib, tmplib])
        # ar's LTO plugin cannot read rustc's bitcode and says so for every member; the
        # archive is fine, so only a failure is reported
        run(["ar", "rs", tmplib] + objs)
        left = [l for l in run(["nm", "-u", tmplib]).splitlines()
                if re.search(r"\bU _Unwind_", l)]
        if left:
            os.unlink(tmplib)
            die(f"{lib}: references to the system unwinder are left: {left[:3]}")
        os.replace(tmplib, lib)
    print(f"unwinder: {lib}: links its own unwinder ({', '.join(OBJECTS)} from libgcc_eh.a)")


def main(argv):
    if len(argv) == 2 and argv[0] == "archive":
        cmd_archive(argv[1])
        return 0
    if len(argv) == 2 and argv[0] == "objects":
        objs, mapfile = objects(argv[1])
        print("\n".join(objs + [mapfile]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

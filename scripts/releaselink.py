#!/usr/bin/env python3
"""rustc's linker for `make install` (through scripts/cc-release): runs CC ARGS, and when
ARGS link a shared library with lld, first
  - adds a --symbol-ordering-file that packs the hot functions together
    (scripts/hotlayout.py says why), and
  - renames the unwinder references in its objects and adds our private copy of GCC's
    unwinder, so that libgcc_s.so.1 is no longer needed (scripts/unwinder.py says why).
Any other link runs unchanged; rustc's own objects are never changed.

  releaselink.py CC ARGS...
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotlayout  # noqa: E402
import toolrun  # noqa: E402
import unwinder  # noqa: E402


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cc, args = argv[0], argv[1:]
    out = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-o"), "")
    lld = any(a in ("-fuse-ld=lld", "-fuse-ld=rust-lld") for a in args)
    objs = [a for a in args if a.endswith(".o") and os.path.isfile(a)]
    if out.endswith(".so") and lld and objs:
        order = out + ".hot-order"
        with open(order, "w") as f:
            f.write("\n".join(hotlayout.symbol_order(objs)) + "\n")
        args += [f"-Wl,--symbol-ordering-file={order}", "-Wl,--no-warn-symbol-ordering"]
        udir = out + ".unwinder"
        shutil.rmtree(udir, ignore_errors=True)
        os.makedirs(udir)
        uobjs, mapfile = unwinder.objects(udir)
        # Renamed copies: rustc puts the same objects in the static library it builds in
        # the same run, which must stay as they are (`make install` gives it its own
        # unwinder later).
        for i, a in enumerate(args):
            if a in objs:
                copy = os.path.join(udir, f"{i}-{os.path.basename(a)}")
                toolrun.run(["objcopy", f"--redefine-syms={mapfile}", a, copy])
                args[i] = copy
        args += uobjs
    os.execvp(cc, [cc] + args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

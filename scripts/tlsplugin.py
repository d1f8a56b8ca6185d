#!/usr/bin/env python3
"""Merges the TLS member into libzkclient's installed static library.

Why: the static library's core is built without TLS code (cargo feature `tls-plugin`),
and rustls and ring come as separate archive members that define zk_options_set_tls. A
linker takes archive members only for the symbols a program uses, so a program that never
calls zk_options_set_tls links no TLS at all: 1.3 MB less code, and none of the ~50 KB of
relocations and tables that every start of such a process would otherwise touch (the
dynamic loader applies every relocation at load). tls/src/lib.rs has the design.

The member is the zkclient-tls crate built as a static library (feature `plugin`): one
LTO object with its own copy of Rust's standard library, plus ring's C and assembly
objects. Merging it:
  - every global symbol the Rust object defines except zk_options_set_tls becomes local,
    so its standard library never meets the core's (rust_eh_personality, and statics
    such as std's argv hook, would otherwise be defined twice);
  - its .text.unlikely.* sections become .text.cold.*, as scripts/hotlayout.py does for
    the core (none of it is hot for a program that links it only to use TLS);
  - its compiler_builtins members are left out: the core has the same ones (by the same
    names, which carry the hash of the toolchain's build of that crate).
It checks that no global symbol is then defined by both the core and the TLS member.

  tlsplugin.py merge CORE.a PLUGIN.a
      appends PLUGIN.a's TLS member to CORE.a, in place
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotlayout  # noqa: E402
from toolrun import die, run  # noqa: E402

EXPORTS = ("zk_options_set_tls",)


def globals_defined(path):
    """{symbol: type} of the global (non-weak) symbols path defines."""
    out = {}
    for line in run(["nm", "-g", "--defined-only", path]).splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRCGSI":
            out[p[2]] = p[1]
    return out


def cmd_merge(core, plugin):
    members = run(["ar", "t", plugin]).split()
    rust = [m for m in members if m.startswith("zkclient_tls") and m.endswith(".o")]
    if len(rust) != 1:
        die(f"{plugin}: expected one zkclient_tls object, found {rust}")
    core_members = set(run(["ar", "t", core]).split())
    if rust[0] in core_members:
        print(f"tlsplugin: {core}: already has the TLS member")
        return
    # compiler_builtins, the toolchain's prebuilt objects: the core has them, by the same
    # names (each carries the hash of the crate's build)
    shared = [m for m in members if m in core_members]
    if not all(m.startswith("compiler_builtins-") or re.match(r"[0-9a-f]{16}-", m)
               for m in shared):
        die(f"{core} has other members of the same names: {shared[:3]}")
    native = [m for m in members if m not in rust and m not in shared and m.endswith(".o")]
    with tempfile.TemporaryDirectory() as tmp:
        run(["ar", "x", os.path.abspath(plugin)] + rust + native, cwd=tmp)
        obj = os.path.join(tmp, rust[0])
        run(["objcopy"] + [f"--keep-global-symbol={s}" for s in EXPORTS] + [obj])
        left = globals_defined(obj)
        if sorted(left) != sorted(EXPORTS):
            die(f"{rust[0]}: global symbols after localizing: {sorted(left)[:5]}")
        # the cold-section renames of hotlayout.py, with an empty hot list
        one = os.path.join(tmp, "member.a")
        run(["ar", "rc", one, obj])
        hotlayout.cmd_archive(one, os.devnull)
        os.unlink(obj)
        run(["ar", "x", "member.a", rust[0]], cwd=tmp)
        ours = {}
        for m in [rust[0]] + native:
            for s in globals_defined(os.path.join(tmp, m)):
                ours[s] = m
        theirs = globals_defined(core)
        both = sorted(set(ours) & set(theirs))
        if both:
            die(f"defined by both {core} and the TLS member: {both[:5]}")
        tmplib = core + ".tls.tmp"
        shutil.copyfile(core, tmplib)
        # ar's LTO plugin cannot read rustc's bitcode and says so; only a failure counts
        run(["ar", "rs", os.path.abspath(tmplib)] + [rust[0]] + native, cwd=tmp)
        os.replace(tmplib, core)
    print(f"tlsplugin: {core}: TLS member added ({rust[0]} with only "
          f"{', '.join(EXPORTS)} global, and {len(native)} objects of ring)")


def main(argv):
    if len(argv) == 3 and argv[0] == "merge":
        cmd_merge(argv[1], argv[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

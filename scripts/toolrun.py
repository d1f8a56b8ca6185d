"""What the build scripts in this folder share: running a binutils command and failing
with the script's name."""
import os
import subprocess
import sys


def die(msg):
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    print(f"{name}: error: {msg}", file=sys.stderr)
    sys.exit(2)


def run(args, **kw):
    """The command's standard output; dies with its error output when it fails."""
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        die(f"{' '.join(args[:3])} ... failed: {r.stderr.strip()[-600:]}")
    return r.stdout

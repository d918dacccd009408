#!/usr/bin/env python3
"""The injection bound of the benchmarks: no retrieval at all.

    inject.py N SENDER RECIPIENT 'SENDMAIL [ARG...]' FILE...

Hands each FILE, in order, to SENDMAIL -i -f SENDER -- RECIPIENT on its
standard input, as a collector does (argv, no shell), with up to N of
them running at once; exits 1 if any of them failed. What it costs
itself is a posix_spawn and a wait per message.
"""

import os
import shlex
import sys


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: inject.py N SENDER RECIPIENT 'SENDMAIL [ARG...]' FILE...")
    in_flight = int(sys.argv[1])
    if in_flight < 1:
        sys.exit("inject.py: N must be 1 or more")
    sender, recipient = sys.argv[2], sys.argv[3]
    argv = shlex.split(sys.argv[4]) + ["-i", "-f", sender, "--", recipient]
    files = list(reversed(sys.argv[5:]))
    running = {}
    failed = 0
    while files or running:
        while files and len(running) < in_flight:
            path = files.pop()
            pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, path, os.O_RDONLY, 0)])
            running[pid] = path
        pid, status = os.wait()
        path = running.pop(pid, None)
        if path is not None and status != 0:
            print(f"inject.py: {path}: {argv[0]} failed ({status:#x})",
                  file=sys.stderr)
            failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

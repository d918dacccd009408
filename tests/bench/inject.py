#!/usr/bin/env python3
"""The injection bound of the benchmarks: no retrieval at all.

    inject.py [-bs] N SENDER RECIPIENT 'SENDMAIL [ARG...]' FILE...

Hands each FILE, in order, to SENDMAIL as a collector does (argv, no
shell), with up to N at once; exits 1 if any of them failed.

Without -bs: one SENDMAIL -i -f SENDER -- RECIPIENT per file, the file as
its standard input; what this costs itself is a posix_spawn and a wait
per message. With -bs: N long-lived SENDMAIL -bs sessions, as postfetch's
sendmail_mode = session does, each file sent as MAIL, RCPT, DATA (CR LF
line ends, dots stuffed) and its final reply awaited while the other
sessions work.
"""

import os
import selectors
import shlex
import subprocess
import sys


def spawned(in_flight, argv, sender, recipient, files):
    """One sendmail -i per file; returns the number that failed."""
    argv = argv + ["-i", "-f", sender, "--", recipient]
    files = list(reversed(files))
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
    return failed


class Session:
    """One sendmail -bs process."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv + ["-bs"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.path = None
        self.reply()
        self.command(b"EHLO localhost")

    def reply(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit("inject.py: sendmail -bs went away")
            if line[3:4] != b"-":
                return line

    def command(self, line):
        self.proc.stdin.write(line + b"\r\n")
        self.proc.stdin.flush()
        return self.reply()

    def send(self, path, sender, recipient):
        with open(path, "rb") as f:
            lines = f.read().replace(b"\r\n", b"\n").split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for line in (b"MAIL FROM:<%s>" % sender, b"RCPT TO:<%s>" % recipient,
                     b"DATA"):
            reply = self.command(line)
        if not reply.startswith(b"354"):
            sys.exit(f"inject.py: {path}: {reply!r}")
        self.proc.stdin.write(b"".join(
            (b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
            + b".\r\n")
        self.proc.stdin.flush()
        self.path = path

    def done(self):
        reply, path, self.path = self.reply(), self.path, None
        if reply.startswith(b"250"):
            return 0
        print(f"inject.py: {path}: {reply!r}", file=sys.stderr)
        return 1

    def quit(self):
        self.command(b"QUIT")
        self.proc.wait()


def sessions(in_flight, argv, sender, recipient, files):
    """N sendmail -bs sessions; returns the number that failed."""
    sender, recipient = sender.encode(), recipient.encode()
    files = list(reversed(files))
    pool = [Session(argv) for _ in range(in_flight)]
    selector = selectors.DefaultSelector()
    for session in pool:
        selector.register(session.proc.stdout, selectors.EVENT_READ, session)
        if files:
            session.send(files.pop(), sender, recipient)
    failed = 0
    while any(session.path for session in pool):
        for key, _ in selector.select():
            session = key.data
            if session.path is None:
                continue
            failed += session.done()
            if files:
                session.send(files.pop(), sender, recipient)
    for session in pool:
        session.quit()
    return failed


def main():
    args = sys.argv[1:]
    mode = spawned
    if args[:1] == ["-bs"]:
        mode = sessions
        args = args[1:]
    if len(args) < 4:
        sys.exit("usage: inject.py [-bs] N SENDER RECIPIENT "
                 "'SENDMAIL [ARG...]' FILE...")
    in_flight = int(args[0])
    if in_flight < 1:
        sys.exit("inject.py: N must be 1 or more")
    failed = mode(in_flight, shlex.split(args[3]), args[1], args[2], args[4:])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

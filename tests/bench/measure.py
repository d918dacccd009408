#!/usr/bin/env python3
"""Run one benchmarked command and measure it (used by tests/bench/lib.sh).

    measure.py [-t SECONDS] FIGURES COLLECTOR COMMAND [ARG...]

Runs COMMAND (stdin, stdout and stderr as given to us; after SECONDS it
gets SIGTERM, 5 s later SIGKILL) and writes to the file FIGURES one
"name value" line each:

    start     when it started (seconds since the epoch, like $EPOCHREALTIME)
    rc        its exit status (128 + signal if a signal ended it)
    wall      seconds from start to exit (found within INTERVAL)
    tree      CPU seconds (user + system) of COMMAND and of every process
              it waited for, from wait4(2): what bash's "times" counts
    collector CPU seconds of the processes named COLLECTOR alone (the
              fetcher without the sh, sendmail and postdrop it runs)
    rss_kb    the largest VmHWM (peak resident set) of those processes

COMMAND's own CPU is exact: it is read once it has exited, before it is
reaped (waitid WNOWAIT). Other COLLECTOR processes under it (fdm forks
one per account) are read every INTERVAL seconds while they run, as is
every peak RSS, so what a process does in its last INTERVAL can be
missed. Nothing of ours runs in COMMAND's process tree: our own cost
shows only in the machine's CPU.
"""

import os
import signal
import sys
import time

INTERVAL = 0.02
TICK = os.sysconf("SC_CLK_TCK")


class Process:
    """What was seen of one COLLECTOR process."""

    def __init__(self):
        self.cpu = 0.0
        self.threads = 1
        self.peak_kb = 0

    def read(self, pid):
        """Update from /proc/PID (nothing if it is gone)."""
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii",
                      errors="replace") as f:
                stat = f.read()
            self.threads = max(self.threads,
                               len(os.listdir(f"/proc/{pid}/task")))
        except OSError:
            return
        fields = stat[stat.rindex(")") + 2:].split()
        # utime + stime, fields 14 and 15 of proc(5), in clock ticks; the
        # nanoseconds of schedstat are exact but count one thread only.
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        if self.threads == 1:
            try:
                with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
                    cpu = int(f.read().split()[0]) / 1e9
            except (OSError, ValueError, IndexError):
                pass
        self.cpu = max(self.cpu, cpu)
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
        except OSError:
            pass


def name_of(pid):
    """The command name (comm) of PID, None if it is gone."""
    try:
        with open(f"/proc/{pid}/comm", encoding="ascii",
                  errors="replace") as f:
            return f.read().rstrip("\n")
    except OSError:
        return None


def descendants(pid):
    """PID and every process below it, through /proc/*/task/*/children."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children",
                          encoding="ascii") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return found


def sample(root, collector, seen):
    """Read every COLLECTOR process under ROOT now."""
    for pid in descendants(root):
        if name_of(pid) == collector:
            seen.setdefault(pid, Process()).read(pid)


def main():
    args = sys.argv[1:]
    timeout = None
    if args[:1] == ["-t"] and len(args) > 1:
        timeout, args = float(args[1]), args[2:]
    if len(args) < 3:
        sys.exit("usage: measure.py [-t SECONDS] FIGURES COLLECTOR "
                 "COMMAND [ARG...]")
    figures, collector, command = args[0], args[1], args[2:]
    seen = {}
    epoch, start = time.time(), time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        except OSError as e:
            print(f"measure.py: {command[0]}: {e.strerror}", file=sys.stderr)
        os._exit(127)
    deadline = None if timeout is None else start + timeout
    stop = signal.SIGTERM
    while os.waitid(os.P_PID, pid,
                    os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        sample(pid, collector, seen)
        time.sleep(INTERVAL)
        if deadline is not None and time.monotonic() > deadline:
            print(f"measure.py: {command[0]} still runs after {timeout:g} s:"
                  f" {signal.Signals(stop).name}", file=sys.stderr)
            os.kill(pid, stop)
            stop, deadline = signal.SIGKILL, deadline + 5
    wall = time.monotonic() - start
    # A zombie now: its own CPU is final and still readable.
    if name_of(pid) == collector:
        seen.setdefault(pid, Process()).read(pid)
    _, status, usage = os.wait4(pid, 0)
    if os.WIFSIGNALED(status):
        rc = 128 + os.WTERMSIG(status)
    else:
        rc = os.WEXITSTATUS(status)
    with open(figures, "w", encoding="ascii") as f:
        f.write(f"start {epoch:.6f}\n")
        f.write(f"rc {rc}\n")
        f.write(f"wall {wall:.3f}\n")
        f.write(f"tree {usage.ru_utime + usage.ru_stime:.4f}\n")
        f.write(f"collector {sum(p.cpu for p in seen.values()):.4f}\n")
        f.write(f"rss_kb {max((p.peak_kb for p in seen.values()), default=0)}\n")


if __name__ == "__main__":
    main()

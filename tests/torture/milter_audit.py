#!/usr/bin/python3
"""Compare what tests/torture/milter_load.t sent with what was delivered,
against the alias states that were in force (tests/torture/milter_load.t
flips them by SQL while the mail flows).

  milter_audit.py --mail DIR --states FILE --flips FILE [--slack S]
                  SENT_LOG...

--states: lines "PARITY|REMOTE|LOCALPART". In state N the aliases are the
rows of parity N % 2, each REMOTE to LOCALPART+gN@example.com; a row of
parity "*" is a recipient that no state aliases and that always goes to
LOCALPART (a fallback, the postmaster). --flips: lines "N|BEGUN|DONE",
state N made in a transaction begun at BEGUN and committed before DONE
(epoch seconds; DONE may be empty). SENT_LOG: milter_send.py's logs.

A message is right when its copies (DIR/LOCALPART/{new,cur}/*, matched by
Message-ID, the state read from the +gN of X-Original-To) are exactly the
expansion of one state N, plus its fixed targets, and state N was in force
at some moment between --slack seconds (default 1: the NOTIFY that tells
the milter of a change takes a moment) before the message's first attempt
and its delivery. A second complete expansion is a duplicate; a copy that
no state names, copies of two states mixed or a partial expansion is a
mis-rewrite; no copy at all is a loss.

Prints one line "messages=N lost=N misrewritten=N duplicates=N retries=N
maxlag=S" (maxlag: how long before its first attempt the oldest state used
for a message had ended) and, to stderr, one line per wrong message.
Exit status 0 if nothing was lost or mis-rewritten.
"""

import argparse
import collections
import os
import re
import sys

GEN = re.compile(r"^([^+@]+)\+g(\d+)@", re.I)


def read_states(path):
    aliased = collections.defaultdict(lambda: ([], []))
    fixed = {}
    with open(path) as f:
        for line in f:
            parity, remote, local = line.strip().split("|")
            if parity == "*":
                fixed[remote.lower()] = local
            else:
                aliased[remote.lower()][int(parity)].append(local)
    return aliased, fixed


def read_flips(path):
    flips = {}
    with open(path) as f:
        for line in f:
            n, begun, done = line.strip().split("|")
            flips[int(n)] = (float(begun), float(done) if done else None)
    return flips


def state_end(flips, n):
    """The latest moment state n may have been in force (its successor's
    commit), or None while it still is."""
    if n + 1 not in flips:
        return None
    done = flips[n + 1][1]
    if done is None and n + 2 in flips:
        done = flips[n + 2][0]
    return done if done is not None else float("inf")


def read_copies(top):
    """{message-id: [(localpart, state or None, mtime)]}"""
    copies = collections.defaultdict(list)
    for box in os.listdir(top):
        for sub in ("new", "cur"):
            d = os.path.join(top, box, sub)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                path = os.path.join(d, name)
                mid, to = None, None
                with open(path, errors="replace") as f:
                    for line in f:
                        if line in ("\n", "\r\n"):
                            break
                        low = line.lower()
                        if low.startswith("message-id:") and mid is None:
                            mid = line.split(":", 1)[1].strip().strip("<>")
                        elif low.startswith("x-original-to:") and to is None:
                            to = line.split(":", 1)[1].strip()
                m = GEN.match(to or "")
                copies[mid].append((box, int(m.group(2)) if m else None,
                                    os.path.getmtime(path)))
    return copies


def audit(mid, first, rcpts, copies, aliased, fixed, flips, slack):
    """(lost, misrewritten, duplicates, lag, why) of one message."""
    if not copies:
        return 1, 0, 0, 0.0, "no copy delivered"
    constant = collections.Counter(fixed[r] for r in rcpts if r in fixed)
    states = sorted({s for _, s, _ in copies if s is not None})
    if any(r in aliased for r in rcpts) and not states:
        return 0, 1, 0, 0.0, "no aliased copy: %s" % sorted(
            b for b, _, _ in copies)
    lag, one = 0.0, sum(constant.values())
    for n in states:
        group = collections.Counter(b for b, s, _ in copies if s == n)
        want = collections.Counter(
            local for r in rcpts if r in aliased
            for local in set(aliased[r][n % 2]))
        if set(group) != set(want):
            return 0, 1, 0, lag, "state %d: got %s, want %s" % (
                n, sorted(group), sorted(want))
        if n == states[0]:
            one += sum(want.values())
        delivered = max(t for _, s, t in copies if s == n)
        if n not in flips or flips[n][0] > delivered:
            return 0, 1, 0, lag, "state %d was made after the delivery" % n
        end = state_end(flips, n)
        if end is not None and end < first:
            lag = max(lag, first - end)
            if first - end > slack:
                return 0, 1, 0, lag, ("state %d had ended %.2f s before "
                                      "the first attempt" % (n, first - end))
    others = collections.Counter(b for b, s, _ in copies if s is None)
    for box in others:
        if box not in constant:
            return 0, 1, 0, lag, "a copy to %s, which no state names" % box
    for box in constant:
        if others[box] < constant[box]:
            return 0, 1, 0, lag, "no copy to %s" % box
    # Anything beyond one complete delivery is a duplicate.
    return 0, 0, len(copies) - one, lag, None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mail", required=True)
    parser.add_argument("--states", required=True)
    parser.add_argument("--flips", required=True)
    parser.add_argument("--slack", type=float, default=1.0)
    parser.add_argument("sent", nargs="+")
    args = parser.parse_args()
    aliased, fixed = read_states(args.states)
    flips = read_flips(args.flips)
    copies = read_copies(args.mail)
    totals = collections.Counter()
    maxlag = 0.0
    for path in args.sent:
        with open(path) as f:
            for line in f:
                mid, first, _, tries, _, rcpts = line.rstrip("\n").split("\t")
                rcpts = [r.lower() for r in rcpts.split(",")]
                lost, wrong, dups, lag, why = audit(
                    mid, float(first), rcpts, copies.get(mid, []), aliased,
                    fixed, flips, args.slack)
                totals.update(messages=1, lost=lost, misrewritten=wrong,
                              duplicates=dups, retries=int(tries) - 1)
                maxlag = max(maxlag, lag)
                if why is not None:
                    print("%s: %s" % (mid, why), file=sys.stderr)
    print("messages=%d lost=%d misrewritten=%d duplicates=%d retries=%d "
          "maxlag=%.2f" % (totals["messages"], totals["lost"],
                           totals["misrewritten"], totals["duplicates"],
                           totals["retries"], maxlag))
    return 1 if totals["lost"] or totals["misrewritten"] else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Mailboxes of many accounts at once (tests/bench/accounts.sh).

    accounts.py users N               passwd-file lines of users a0001..,
                                      password "secret" (dovecot.sh's form)
    accounts.py fill MAILROOT N M TAG MANIFEST UID GID
                                      empty the Maildirs of users 1..N under
                                      MAILROOT (USER/Maildir) and put M
                                      messages into each one's new/

Each message is about 4 KB of text with a unique body and the Message-ID
<TAG.USER.I@bench.example>; MANIFEST gets verify.py's line for each
("MESSAGE-ID SHA256-OF-BODY BYTES"). Files are written as UID:GID, mode
600, under tmp/ and renamed into new/, as a delivery agent does, in
one process: mailbox_fill forks several programs per file, too slow for
a thousand mailboxes.
"""

import hashlib
import os
import random
import sys


def user(i):
    return f"a{i:04d}"


def message(tag, name, i, rng):
    """One message: its Message-ID, its bytes and the SHA-256 of its body."""
    message_id = f"<{tag}.{name}.{i}@bench.example>"
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                     for _ in range(rng.randint(2, 9))) for _ in range(600)]
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > 72:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    body = ("\n".join(lines) + "\n").encode("ascii")
    head = (f"From: sender@example.org\nTo: {name}@example.net\n"
            f"Subject: {tag} {name} {i}\nMessage-ID: {message_id}\n"
            f"Date: Sun, 01 Nov 2026 00:00:00 +0000\n\n").encode("ascii")
    return message_id, head + body, hashlib.sha256(body).hexdigest()


def fill(root, count, per, tag, manifest, uid, gid):
    rng = random.Random(tag)
    with open(manifest, "w", encoding="ascii") as out:
        for n in range(1, count + 1):
            name = user(n)
            maildir = os.path.join(root, name, "Maildir")
            for sub in ("new", "cur", "tmp"):
                d = os.path.join(maildir, sub)
                os.makedirs(d, mode=0o700, exist_ok=True)
                for f in os.listdir(d):
                    os.unlink(os.path.join(d, f))
            for path in (os.path.join(root, name), maildir,
                         *(os.path.join(maildir, s)
                           for s in ("new", "cur", "tmp"))):
                os.chown(path, uid, gid)
                os.chmod(path, 0o700)
            for i in range(1, per + 1):
                message_id, data, digest = message(tag, name, i, rng)
                base = f"1793520000.M{i:06d}P{n}.{tag}"
                tmp = os.path.join(maildir, "tmp", base)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.write(fd, data)
                os.fchown(fd, uid, gid)
                os.close(fd)
                os.rename(tmp, os.path.join(maildir, "new", base))
                out.write(f"{message_id} {digest} {len(data)}\n")


def main():
    args = sys.argv[1:]
    if args[:1] == ["users"] and len(args) == 2:
        for n in range(1, int(args[1]) + 1):
            print(f"{user(n)}:{{PLAIN}}secret::::::")
    elif args[:1] == ["fill"] and len(args) == 8:
        fill(args[1], int(args[2]), int(args[3]), args[4], args[5],
             int(args[6]), int(args[7]))
    else:
        sys.exit("usage: accounts.py users N | "
                 "fill MAILROOT N M TAG MANIFEST UID GID")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What landed, against what was sent (tests/bench/bench.sh).

    verify.py MANIFEST MAILDIR [LOST_FILE]

MANIFEST is corpus.py's: "MESSAGE-ID SHA256-OF-BODY BYTES" per message.
Every file in MAILDIR/new and MAILDIR/cur is matched by its Message-ID
and the SHA-256 of its body (all after the first empty line: headers are
added on the way, the body must come through untouched). Prints one line:

    delivered D duplicated U lost L altered A foreign F

delivered: messages of the manifest with at least one intact copy;
duplicated: intact copies beyond the first; lost: messages with no intact
copy (altered ones included); altered: copies whose body differs;
foreign: files with a Message-ID not in the manifest (or none).
LOST_FILE, if given, gets the Message-IDs of the lost messages.
"""

import hashlib
import os
import re
import sys

MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^>\r\n]*>)",
                        re.IGNORECASE | re.MULTILINE)


def split(raw):
    """The header section and the body of one stored message."""
    for separator in (b"\n\n", b"\r\n\r\n"):
        at = raw.find(separator)
        if at >= 0:
            return raw[:at + 1], raw[at + len(separator):]
    return raw, b""


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: verify.py MANIFEST MAILDIR [LOST_FILE]")
    expected = {}
    with open(sys.argv[1], encoding="ascii") as f:
        for line in f:
            message_id, digest, _ = line.split()
            expected[message_id] = digest
    copies = dict.fromkeys(expected, 0)
    altered = foreign = 0
    for sub in ("new", "cur"):
        directory = os.path.join(sys.argv[2], sub)
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            continue
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                head, body = split(f.read())
            found = MESSAGE_ID.search(head)
            message_id = found.group(1).decode("ascii", "replace") \
                if found else None
            if message_id not in expected:
                foreign += 1
            elif hashlib.sha256(body).hexdigest() != expected[message_id]:
                altered += 1
            else:
                copies[message_id] += 1
    lost = [m for m, n in copies.items() if n == 0]
    delivered = len(expected) - len(lost)
    duplicated = sum(n - 1 for n in copies.values() if n > 1)
    if len(sys.argv) == 4:
        with open(sys.argv[3], "w", encoding="ascii") as f:
            f.writelines(m + "\n" for m in lost)
    print(f"delivered {delivered} duplicated {duplicated} lost {len(lost)} "
          f"altered {altered} foreign {foreign}")


if __name__ == "__main__":
    main()

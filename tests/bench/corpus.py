#!/usr/bin/env python3
"""The deterministic mail corpus of make bench (tests/bench/bench.sh).

    corpus.py DIR COUNT [SEED]        COUNT mixed messages
    corpus.py --big DIR BYTES [SEED]  one message of about BYTES bytes

Writes DIR/000001.eml ... (LF line ends, as Dovecot stores them) and
DIR/manifest: one line per message, "MESSAGE-ID SHA256-OF-BODY BYTES", from
which verify.py tells what landed intact. The same COUNT and SEED give the
same bytes on any machine (Python's random.Random is stable across
versions for these calls); nothing is fetched from anywhere.

The mix: about 95% text/plain, sizes log-normal around a median of ~8 KB
(1.2 KB to 95 KB); 5% multipart with a base64 attachment, 100 KB to 1 MB
(log-uniform); and one of 2 to 7 MB per 500 messages (at least one).
Every message has a unique Message-ID and a unique body.
"""

import base64
import email.utils
import hashlib
import math
import os
import random
import sys

START = 1793520000  # 2026-11-01 00:00 UTC: the Date of message 1


def word_lines(rng, count):
    """COUNT lines of lower-case pseudo-words, 50 to 76 characters each."""
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                     for _ in range(rng.randint(2, 10))) for _ in range(3000)]
    lines = []
    for _ in range(count):
        line = rng.choice(words)
        target = rng.randint(50, 76)
        while True:
            word = rng.choice(words)
            if len(line) + 1 + len(word) > target:
                break
            line += " " + word
        lines.append(line + "\n")
    return lines


def sizes(rng, count):
    """The size in bytes of each of COUNT messages, in mailbox order."""
    huge = max(1, round(count / 500))
    large = round(count * 0.05)
    kinds = ["huge"] * huge + ["large"] * large
    kinds += ["text"] * (count - len(kinds))
    rng.shuffle(kinds)
    result = []
    for kind in kinds:
        if kind == "huge":
            result.append(rng.randint(2 << 20, 7 << 20))
        elif kind == "large":
            result.append(int(math.exp(rng.uniform(math.log(100 << 10),
                                                   math.log(1 << 20)))))
        else:
            size = int(rng.lognormvariate(math.log(7800), 0.6))
            result.append(min(max(size, 1200), 95000))
    return result


def headers(number, count, seed, token, multipart):
    """The header section of message NUMBER (ends with the empty line)."""
    k = number % 37
    date = email.utils.formatdate(START + 37 * number, usegmt=True)
    lines = [
        f"Return-Path: <sender-{k}@example.org>",
        "Received: from mail.example.org (mail.example.org [192.0.2.1])",
        f"\tby pop.example.net with ESMTPS id {token[:12]}",
        f"\tfor <bench@example.net>; {date}",
        f"From: Sender {k} <sender-{k}@example.org>",
        "To: Bench <bench@example.net>",
        f"Subject: benchmark message {number} of {count}",
        f"Date: {date}",
        f"Message-ID: <{seed}.{number}.{token}@bench.example.org>",
        "MIME-Version: 1.0",
    ]
    if multipart:
        lines.append(f'Content-Type: multipart/mixed; boundary="b{token}"')
    else:
        lines.append("Content-Type: text/plain; charset=us-ascii")
    return "\n".join(lines) + "\n\n"


def text_body(rng, pool, number, token, size):
    """A text body of about SIZE bytes that no other message has."""
    parts = [f"Message {number}, {token}.\n\n"]
    length = len(parts[0])
    while length < size:
        line = rng.choice(pool)
        parts.append(line)
        length += len(line)
    return "".join(parts)


def attachment_body(rng, pool, number, token, size):
    """A multipart body: some text, then base64 data, about SIZE bytes."""
    text = text_body(rng, pool, number, token, 2000)
    # base64: 4 characters per 3 bytes, and a newline per 76 characters.
    raw = max(size - 2500, 0) * 3 // 4 * 76 // 77
    data = base64.encodebytes(rng.randbytes(raw)).decode("ascii")
    return (f"This is a MIME message.\n\n--b{token}\n"
            "Content-Type: text/plain; charset=us-ascii\n\n"
            f"{text}\n--b{token}\n"
            "Content-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\n"
            f'Content-Disposition: attachment; filename="data-{number}.bin"\n\n'
            f"{data}--b{token}--\n")


def write(directory, number, head, body, manifest):
    """Write one message file and its manifest line."""
    raw_body = body.encode("ascii")
    raw = head.encode("ascii") + raw_body
    with open(os.path.join(directory, f"{number:06d}.eml"), "wb") as f:
        f.write(raw)
    message_id = head.split("Message-ID: ", 1)[1].split("\n", 1)[0]
    manifest.write(f"{message_id} {hashlib.sha256(raw_body).hexdigest()} "
                   f"{len(raw)}\n")


def main():
    args = sys.argv[1:]
    big = args[:1] == ["--big"]
    if big:
        args = args[1:]
    if len(args) not in (2, 3) or not args[1].isdigit():
        sys.exit("usage: corpus.py [--big] DIR COUNT|BYTES [SEED]")
    directory, number = args[0], int(args[1])
    seed = int(args[2]) if len(args) == 3 else 1
    rng = random.Random(seed)
    pool = word_lines(rng, 5000)
    plan = [number] if big else sizes(rng, number)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "manifest"), "w",
              encoding="ascii") as manifest:
        for i, size in enumerate(plan, 1):
            token = f"{rng.getrandbits(64):016x}"
            multipart = size >= 100 << 10
            head = headers(i, len(plan), seed, token, multipart)
            if multipart:
                body = attachment_body(rng, pool, i, token, size - len(head))
            else:
                body = text_body(rng, pool, i, token, size - len(head))
            write(directory, i, head, body, manifest)


if __name__ == "__main__":
    main()

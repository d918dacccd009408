#!/usr/bin/env python3
"""A sendmail stand-in that only reads messages, for postfetch's own CPU.

    sink.py COUNTFILE [-C DIR] -i ...   read one message, count it
    sink.py COUNTFILE [-C DIR] -bs      an SMTP session: answer every
                                        command, read each message's data,
                                        count it, answer 250

A line is appended to COUNTFILE for each message read.
"""

import sys


def session(count):
    out, data = sys.stdout.buffer, sys.stdin.buffer
    out.write(b"220 sink ESMTP\r\n")
    out.flush()
    for line in data:
        verb = line[:4].upper()
        if verb == b"EHLO":
            out.write(b"250-sink\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            out.write(b"354 go ahead\r\n")
            out.flush()
            for body in data:
                if body == b".\r\n":
                    break
            count.write("\n")
            count.flush()
            out.write(b"250 2.0.0 Ok: read\r\n")
        elif verb == b"QUIT":
            out.write(b"221 bye\r\n")
            out.flush()
            return
        else:
            out.write(b"250 2.0.0 Ok\r\n")
        out.flush()


def main():
    with open(sys.argv[1], "a") as count:
        if "-bs" in sys.argv[2:]:
            session(count)
        else:
            sys.stdin.buffer.read()
            count.write("\n")


if __name__ == "__main__":
    main()

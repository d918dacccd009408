#!/usr/bin/env python3
"""A scripted, hostile SMTP server for ETRN tests (python3 stdlib only).

Answers EHLO (with STARTTLS when it has a certificate), HELO, STARTTLS,
ETRN (250 Queuing started), NOOP, RSET and QUIT, one connection at a
time; anything else is 502. Faults on demand:

  --silent           greet, then answer nothing
  --trickle          send the EHLO reply one byte a second
  --endless          an EHLO reply of "250-" lines that never ends (it
                     stops at 256 MB and waits: a client that did not
                     give up hangs)
  --long-line SIZE   an EHLO reply line of SIZE bytes
  --starttls-fails   advertise STARTTLS but answer it 454
  --tls-cert F --tls-key F   the certificate for STARTTLS (and for --tls)
  --tls              implicit TLS on connect (like port 465)
  --tls-garbage      after the TLS handshake, send bytes that are no SMTP
  --log FILE         append every client line to FILE

Prints "ready PORT" on stdout when listening (--port 0 picks a port) and
runs until killed.
"""
import argparse
import sys
import time

from peer_common import ENDLESS_MAX, GARBAGE, serve, tls_context, \
    tls_options


class Session:
    """One client connection."""

    def __init__(self, conn, opts, ctx, state):
        self.conn, self.opts, self.ctx, self.state = conn, opts, ctx, state
        self.file = conn.makefile("rb")
        self.tls = False

    def send(self, data):
        self.conn.sendall(data)

    def hold(self):
        while self.conn.recv(4096):
            pass

    def tls_start(self):
        self.conn = self.ctx.wrap_socket(self.conn, server_side=True)
        self.file = self.conn.makefile("rb")
        self.tls = True
        while self.opts.tls_garbage:
            self.send(GARBAGE)

    def ehlo(self):
        o = self.opts
        if o.trickle:
            for c in b"250-peer.example\r\n250 ETRN\r\n":
                self.send(bytes([c]))
                time.sleep(1)
            return
        if o.endless:
            line = b"250-X-NOISE " + b"n" * 80 + b"\r\n"
            for _ in range(ENDLESS_MAX // (64 * len(line))):
                self.send(line * 64)
            return self.hold()
        if o.long_line:
            self.send(b"250-")
            for _ in range(o.long_line // 65536):
                self.send(b"x" * 65536)
            self.send(b"\r\n")
        starttls = self.ctx is not None and not self.tls
        self.send(b"250-peer.example\r\n" +
                  (b"250-STARTTLS\r\n" if starttls else b"") +
                  b"250 ETRN\r\n")

    def run(self):
        if self.opts.tls:
            self.tls_start()
        self.send(b"220 peer.example ESMTP smtp_peer\r\n")
        if self.opts.silent:
            return self.hold()
        while True:
            line = self.file.readline()
            if not line:
                return
            if self.state["log"]:
                self.state["log"].write(line.decode("latin-1").rstrip()
                                        + "\n")
                self.state["log"].flush()
            cmd = line.decode("latin-1").strip().split(" ")[0].upper()
            if cmd == "EHLO":
                self.ehlo()
            elif cmd == "HELO":
                self.send(b"250 peer.example\r\n")
            elif cmd == "STARTTLS" and self.opts.starttls_fails:
                self.send(b"454 4.7.0 TLS not available\r\n")
            elif cmd == "STARTTLS" and self.ctx is not None and not self.tls:
                self.send(b"220 2.0.0 Ready to start TLS\r\n")
                self.tls_start()
            elif cmd == "ETRN":
                self.send(b"250 Queuing started\r\n")
            elif cmd in ("NOOP", "RSET"):
                self.send(b"250 2.0.0 Ok\r\n")
            elif cmd == "QUIT":
                self.send(b"221 2.0.0 Bye\r\n")
                return
            else:
                self.send(b"502 5.5.2 Error: command not recognized\r\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--silent", action="store_true")
    p.add_argument("--trickle", action="store_true")
    p.add_argument("--endless", action="store_true")
    p.add_argument("--long-line", type=int)
    p.add_argument("--starttls-fails", action="store_true")
    tls_options(p)
    opts = p.parse_args()

    ctx = tls_context(opts.tls_cert, opts.tls_key)
    state = {"log": open(opts.log, "a") if opts.log else None}
    serve(opts.port, lambda conn: Session(conn, opts, ctx, state).run())


if __name__ == "__main__":
    sys.exit(main())

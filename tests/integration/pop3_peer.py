#!/usr/bin/env python3
"""A scripted, sometimes hostile POP3 server for tests (python3 stdlib only).

Serves the files given with --message (one message each, LF or CRLF line
ends; UIDs peer-1, peer-2, ...) or the files of a --store directory to
user/password over plain TCP, one connection at a time, keeping DELE'd
messages until a clean QUIT like a real server. LIST announces each file's
size. Faults on demand:

  --drop-in-retr N   close the connection halfway through the first RETR N
  --err-retr N       answer every RETR N with -ERR
  --no-capa          answer CAPA with -ERR (an old server)
  --no-pipelining    leave PIPELINING out of CAPA
  --stls-refused     list STLS in CAPA but answer STLS with -ERR (a server
                     whose TLS is broken, or a man in the middle who
                     cannot strip the capability); without it no STLS
                     is offered at all (one who strips it)
  --apop             greet with an APOP timestamp and take APOP
  --sasl MECHS       list "SASL MECHS" in CAPA; AUTH is answered -ERR
  --stall-in-retr N  stop sending halfway through the first RETR N until
                     the client closes (its timeout must fire)
  --err-dele N       answer every DELE N with -ERR; the message stays
  --cut-at-dot N     RETR N ends halfway, at a lone "." (what an unstuffed
                     "." line of the message does), though LIST announced
                     all of it
  --lie-size N:SIZE  LIST and STAT announce SIZE octets for message N
  --store DIR        serve the files of DIR in name order, each file name
                     its UID; QUIT removes the deleted ones, so a peer
                     started again on DIR has the same messages and UIDs
                     (instead of --message; write a file to add a message)
  --uid N:UID        message N's UID is UID (duplicates, 80 characters
                     or control characters: a hostile server's)
  --silent           greet, then answer nothing
  --trickle-retr N   send RETR N's message one byte a second
  --endless-retr N   answer RETR N with 1000-byte lines that never end
  --endless-uidl     a UIDL listing that never ends (both stop at 256 MB
                     and wait: a client that did not give up hangs)
  --long-line SIZE   UIDL's first line is one line of SIZE bytes
  --tls-cert F --tls-key F   offer STLS with that certificate (or serve
                     implicit TLS with --tls)
  --tls              implicit TLS on connect (like port 995)
  --tls-garbage      after the TLS handshake, send bytes that are no
                     POP3 (and read nothing)
  --log FILE         append every client line to FILE (PASS shown as is:
                     test passwords only)

Prints "ready PORT" on stdout when listening (--port 0 picks a port) and
runs until killed.
"""
import argparse
import hashlib
import os
import sys
import time

from peer_common import ENDLESS_MAX, GARBAGE, serve, tls_context, \
    tls_options


def load(path):
    """A message as CRLF lines, dot-stuffed, ready to send after +OK."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                   for l in lines)
    return {"size": len(data), "listed": len(data), "wire": out,
            "path": path}


def cut_at_dot(wire):
    """The first half of a message's lines, ended as if a lone "." came."""
    lines = wire.split(b"\r\n")
    return b"".join(l + b"\r\n" for l in lines[:len(lines) // 2])


class Session:
    """One client connection."""

    def __init__(self, conn, opts, store, faults, log, ctx):
        self.conn = conn
        self.ctx = ctx
        self.file = conn.makefile("rb")
        self.opts = opts
        self.store = store
        self.faults = faults
        self.log = log
        self.deleted = set()

    def send(self, data):
        self.conn.sendall(data)

    def reply(self, text):
        self.send(text.encode() + b"\r\n")

    def trickle(self, data):
        """Send data one byte a second (until the client closes)."""
        for i in range(len(data)):
            self.conn.sendall(data[i:i + 1])
            time.sleep(1)

    def endless(self, line):
        """Send numbered lines of line until the client closes (or, that
        a broken client cannot fill the disk, 256 MB were sent: then say
        nothing more)."""
        n = 0
        while n * len(line) < ENDLESS_MAX:
            self.send(b"".join(b"%d %s\r\n" % (n + i, line)
                               for i in range(1, 65)))
            n += 64
        while self.conn.recv(4096):
            pass

    def starttls(self):
        """Wrap the connection in TLS; garbage after it if asked."""
        self.conn = self.ctx.wrap_socket(self.conn, server_side=True)
        self.file = self.conn.makefile("rb")
        if self.opts.tls_garbage:
            while True:
                self.send(GARBAGE)

    def run(self):
        stamp = "<%d.1@pop3_peer>" % os.getpid()
        if self.opts.tls:
            self.starttls()
        self.reply("+OK pop3_peer ready" +
                   (" " + stamp if self.opts.apop else ""))
        if self.opts.silent:
            while self.conn.recv(4096):
                pass
            return
        authed = False
        user = None
        while True:
            line = self.file.readline()
            if not line:
                return
            if self.log:
                self.log.write(line.decode("latin-1").rstrip("\r\n") + "\n")
                self.log.flush()
            words = line.decode("latin-1").strip().split(" ")
            cmd = words[0].upper()
            args = words[1:]
            if cmd == "CAPA":
                if self.opts.no_capa:
                    self.reply("-ERR unknown command")
                    continue
                caps = ["USER", "UIDL", "TOP"]
                if not self.opts.no_pipelining:
                    caps.append("PIPELINING")
                if self.opts.stls_refused or \
                        (self.ctx and not self.opts.tls):
                    caps.append("STLS")
                if self.opts.sasl:
                    caps.append("SASL " + self.opts.sasl)
                self.send(b"+OK\r\n" + "".join(c + "\r\n" for c in caps)
                          .encode() + b".\r\n")
            elif cmd == "STLS" and not authed and self.ctx and \
                    not self.opts.stls_refused and not self.opts.tls:
                self.reply("+OK begin TLS")
                self.starttls()
            elif cmd == "STLS" and not authed:
                self.reply("-ERR TLS not available")
            elif cmd == "AUTH" and not authed:
                self.reply("-ERR [AUTH] not here")
            elif cmd == "APOP" and not authed and self.opts.apop:
                digest = hashlib.md5((stamp + self.opts.password)
                                     .encode()).hexdigest()
                if args == [self.opts.user, digest]:
                    authed = True
                    self.reply("+OK logged in")
                else:
                    self.reply("-ERR [AUTH] Authentication failed.")
            elif cmd == "USER" and not authed:
                user = args[0] if args else ""
                self.reply("+OK")
            elif cmd == "PASS" and not authed:
                if user == self.opts.user and args and \
                        " ".join(args) == self.opts.password:
                    authed = True
                    self.reply("+OK logged in")
                else:
                    self.reply("-ERR [AUTH] Authentication failed.")
            elif cmd == "QUIT":
                for n in self.deleted:
                    if self.opts.store:
                        os.unlink(self.store[n - 1]["path"])
                    self.store[n - 1] = None
                self.reply("+OK bye")
                return
            elif not authed:
                self.reply("-ERR not logged in")
            elif not self.transaction(cmd, args):
                return

    def live(self):
        return [(n, m) for n, m in enumerate(self.store, 1)
                if m is not None and n not in self.deleted]

    def message(self, args):
        try:
            n = int(args[0])
        except (IndexError, ValueError):
            return None, None
        if n < 1 or n > len(self.store) or self.store[n - 1] is None \
                or n in self.deleted:
            return n, None
        return n, self.store[n - 1]

    def transaction(self, cmd, args):
        """One command after login; False to drop the connection."""
        if cmd == "STAT":
            live = self.live()
            self.reply("+OK %d %d" % (len(live),
                                      sum(m["listed"] for _, m in live)))
        elif cmd == "UIDL" and not args and self.opts.endless_uidl:
            self.send(b"+OK\r\n")
            self.endless(b"endless-uid")
        elif cmd == "UIDL" and not args and self.opts.long_line:
            self.send(b"+OK\r\n1 ")
            for _ in range(self.opts.long_line // 65536):
                self.send(b"u" * 65536)
            self.send(b"\r\n.\r\n")
        elif cmd == "UIDL" and not args:
            self.send(b"+OK\r\n" + b"".join(b"%d %s\r\n" % (n, m["uid"])
                      for n, m in self.live()) + b".\r\n")
        elif cmd == "LIST" and not args:
            self.send(b"+OK\r\n" + b"".join(b"%d %d\r\n" % (n, m["listed"])
                      for n, m in self.live()) + b".\r\n")
        elif cmd == "RETR":
            n, m = self.message(args)
            if m is None or n in self.opts.err_retr:
                self.reply("-ERR no such message")
            elif n in self.faults["drop"]:
                self.faults["drop"].discard(n)
                self.send(b"+OK\r\n" + m["wire"][:len(m["wire"]) // 2])
                return False
            elif n in self.faults["stall"]:
                self.faults["stall"].discard(n)
                self.send(b"+OK\r\n" + m["wire"][:len(m["wire"]) // 2])
                # Say nothing more until the client gives up and closes.
                while self.conn.recv(4096):
                    pass
                return False
            elif n in self.opts.trickle_retr:
                self.send(b"+OK\r\n")
                self.trickle(m["wire"] + b".\r\n")
            elif n in self.opts.endless_retr:
                self.send(b"+OK\r\n")
                self.endless(b"x" * 992)
            elif n in self.opts.cut_at_dot:
                self.send(b"+OK\r\n" + cut_at_dot(m["wire"]) + b".\r\n")
            else:
                self.send(b"+OK\r\n" + m["wire"] + b".\r\n")
        elif cmd == "DELE":
            n, m = self.message(args)
            if m is None:
                self.reply("-ERR no such message")
            elif n in self.opts.err_dele:
                self.reply("-ERR [IN-USE] message %d is locked" % n)
            else:
                self.deleted.add(n)
                self.reply("+OK deleted")
        elif cmd == "NOOP":
            self.reply("+OK")
        elif cmd == "RSET":
            self.deleted.clear()
            self.reply("+OK")
        else:
            self.reply("-ERR unknown command")
        return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user", default="user")
    p.add_argument("--password", default="secret")
    p.add_argument("--message", action="append", default=[])
    p.add_argument("--drop-in-retr", type=int, action="append", default=[])
    p.add_argument("--stall-in-retr", type=int, action="append", default=[])
    p.add_argument("--err-retr", type=int, action="append", default=[])
    p.add_argument("--err-dele", type=int, action="append", default=[])
    p.add_argument("--cut-at-dot", type=int, action="append", default=[])
    p.add_argument("--lie-size", action="append", default=[],
                   metavar="N:SIZE")
    p.add_argument("--store")
    p.add_argument("--no-capa", action="store_true")
    p.add_argument("--no-pipelining", action="store_true")
    p.add_argument("--stls-refused", action="store_true")
    p.add_argument("--apop", action="store_true")
    p.add_argument("--sasl")
    p.add_argument("--uid", action="append", default=[], metavar="N:UID")
    p.add_argument("--silent", action="store_true")
    p.add_argument("--trickle-retr", type=int, action="append", default=[])
    p.add_argument("--endless-retr", type=int, action="append", default=[])
    p.add_argument("--endless-uidl", action="store_true")
    p.add_argument("--long-line", type=int)
    tls_options(p)
    opts = p.parse_args()

    if opts.store and opts.message:
        p.error("--store and --message exclude each other")
    store = []
    if opts.store:
        for name in sorted(os.listdir(opts.store)):
            m = load(os.path.join(opts.store, name))
            m["uid"] = name.encode()
            store.append(m)
    for i, path in enumerate(opts.message, 1):
        m = load(path)
        m["uid"] = b"peer-%d" % i
        store.append(m)
    for lie in opts.lie_size:
        n, size = (int(x) for x in lie.split(":"))
        store[n - 1]["listed"] = size
    for given in opts.uid:
        n, _, uid = given.partition(":")
        store[int(n) - 1]["uid"] = os.fsencode(uid)
    ctx = tls_context(opts.tls_cert, opts.tls_key)
    faults = {"drop": set(opts.drop_in_retr),
              "stall": set(opts.stall_in_retr)}
    log = open(opts.log, "a") if opts.log else None
    serve(opts.port, lambda conn: Session(conn, opts, store, faults, log,
                                          ctx).run())


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A scripted, sometimes hostile IMAP4rev1 server for tests (python3 stdlib only).

Serves the files given with --message (one message each, LF or CRLF line
ends, sent with CRLF; UIDs 1, 2, ...) or the files of a --store directory
as INBOX to user/password, one connection at a time. LOGIN, AUTHENTICATE
PLAIN, LOGIN, CRAM-MD5 and XOAUTH2 (the token is the password), STARTTLS,
LIST, SELECT/EXAMINE, STATUS, [UID] SEARCH, [UID] FETCH (BODY[],
RFC822, BODY[HEADER.FIELDS (MESSAGE-ID)] and the attributes), [UID] STORE,
EXPUNGE, UID EXPUNGE, CLOSE, NOOP, LOGOUT; pipelined commands and client
literals are fine. INTERNALDATE is each file's mtime. BODY[] and RFC822
set \\Seen, BODY.PEEK[] does not; flags last as long as the process.

  --uidvalidity N    UIDVALIDITY (default 1)
  --flags UID:FLAGS  initial flags of a message, e.g. "2:\\Deleted \\Seen"
  --tls-cert F --tls-key F   certificate for STARTTLS (and for --tls)
  --tls              implicit TLS on connect (like port 993)
  --store DIR        serve the files of DIR, each named by its UID (a
                     decimal number), read again at each connection; an
                     expunge removes the file, so a peer started again on
                     DIR has the same messages and UIDs
Faults:
  --preauth          greet with "* PREAUTH" (STARTTLS still advertised,
                     and answered BAD: not allowed once authenticated)
  --starttls-fails [NO|BAD]  advertise STARTTLS but refuse it (default NO)
  --logindisabled    advertise LOGINDISABLED and no AUTH= in plain text;
                     LOGIN and AUTHENTICATE are refused there
  --no-uidplus       no UIDPLUS capability; UID EXPUNGE is answered BAD
  --xoauth2-expire-once  the first XOAUTH2 attempt fails as an expired
                     token (the base64 JSON challenge {"status":"401",...},
                     an empty client line, then NO); later ones succeed
  --drop-in-fetch UID  close the connection halfway through the literal
                     of that UID (the first time it is fetched)
  --lie-size UID:SIZE  RFC822.SIZE announces SIZE for that UID
  --huge-literal UID   announce a literal of 10 GB for that UID, send a
                     few bytes, then say nothing until the client closes
  --exists-in-fetch  once, after the first message of a FETCH, a new
                     message arrives: "* N EXISTS" in the FETCH responses
  --uidvalidity-per-session  UIDVALIDITY is N, N+1, ... per connection
  --silent           greet, then answer nothing
  --trickle-fetch UID  send that UID's literal one byte a second
  --endless-untagged answer SELECT/EXAMINE with untagged lines that never
                     end (they stop at 256 MB and wait: a client that did
                     not give up hangs)
  --long-line SIZE   a greeting of one line of SIZE bytes
  --say-uid UID:SHOWN  FETCH responses give SHOWN (any text: a duplicate,
                     80 digits, control characters) as that UID
  --tls-garbage      after the TLS handshake, send bytes that are no IMAP
  --capability-before-tls "X Y"  extra capabilities shown only before
                     STARTTLS (a client must forget them after it)
  --log FILE         append every client line to FILE (passwords as is:
                     test passwords only); plain text that followed
                     STARTTLS in the same packet is logged as
                     "DISCARDED: line" (command injection)

Prints "ready PORT" on stdout when listening (--port 0 picks a port) and
runs until killed.
"""
import argparse
import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import sys
import time

from peer_common import ENDLESS_MAX, GARBAGE

HUGE = 10 * 1024 ** 3
XOAUTH2_ERROR = base64.b64encode(
    b'{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}')
TOKEN = re.compile(rb'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|\{(\d+)\+?\}\r\n'
                   rb'|([^\s()"]+))')


def load(path, uid):
    with open(path, "rb") as f:
        data = f.read()
    wire = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return {"uid": uid, "wire": wire, "path": path,
            "date": os.stat(path).st_mtime}


def parse(raw):
    """Command bytes (literals inline) -> nested lists of byte strings."""
    stack, pos = [[]], 0
    while pos < len(raw):
        m = TOKEN.match(raw, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(1):
            stack.append([])
        elif m.group(2) and len(stack) > 1:
            inner = stack.pop()
            stack[-1].append(inner)
        elif m.group(3) is not None:
            stack[-1].append(re.sub(rb'\\(.)', rb'\1', m.group(3)))
        elif m.group(4):
            n = int(m.group(4))
            stack[-1].append(raw[pos:pos + n])
            pos += n
        elif m.group(5):
            stack[-1].append(m.group(5))
    return stack[0]


def uidset(text, values, largest):
    """The members of VALUES in the IMAP set TEXT ("*" is LARGEST)."""
    out = set()
    for part in text.decode().split(","):
        a, _, b = part.partition(":")
        lo = largest if a == "*" else int(a)
        hi = lo if not b else largest if b == "*" else int(b)
        lo, hi = min(lo, hi), max(lo, hi)
        out |= {v for v in values if lo <= v <= hi}
    return out


class Session:
    """One client connection."""

    def __init__(self, conn, opts, state, number):
        self.conn, self.opts, self.state = conn, opts, state
        self.buf = b""
        self.tls = False
        self.authed = False
        self.selected = None
        self.readonly = False
        self.uidvalidity = opts.uidvalidity + (
            number - 1 if opts.uidvalidity_per_session else 0)

    # --- input and output
    def send(self, data):
        self.conn.sendall(data)

    def reply(self, text):
        self.send(text.encode() + b"\r\n")

    def trickle(self, data):
        """Send data one byte a second (until the client closes)."""
        for i in range(len(data)):
            self.send(data[i:i + 1])
            time.sleep(1)

    def hold(self):
        """Say nothing more until the client closes."""
        while self.conn.recv(4096):
            pass

    def endless(self):
        """Untagged lines until the client closes (or 256 MB, then hold)."""
        line = b"* OK [ALERT] this line is one of many" + b"." * 60 + b"\r\n"
        for _ in range(ENDLESS_MAX // (64 * len(line))):
            self.send(line * 64)
        self.hold()

    def tls_start(self):
        self.conn = self.state["ssl"].wrap_socket(self.conn, server_side=True)
        self.tls = True
        while self.opts.tls_garbage:
            self.send(GARBAGE)

    def log(self, text):
        if self.state["log"]:
            self.state["log"].write(text + "\n")
            self.state["log"].flush()

    def fill(self):
        data = self.conn.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def readline(self):
        while b"\n" not in self.buf:
            self.fill()
        line, _, self.buf = self.buf.partition(b"\n")
        self.log(line.rstrip(b"\r").decode("latin-1"))
        return line + b"\n"

    def command(self):
        """One command with its literals: bytes."""
        raw = self.readline()
        while True:
            m = re.search(rb"\{(\d+)(\+?)\}\r?\n$", raw)
            if not m:
                return raw
            if not m.group(2):
                self.reply("+ go ahead")
            n = int(m.group(1))
            while len(self.buf) < n:
                self.fill()
            lit, self.buf = self.buf[:n], self.buf[n:]
            self.log(lit.decode("latin-1"))
            raw += lit + self.readline()

    # --- capabilities and authentication
    def capabilities(self):
        o = self.opts
        caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE",
                "NAMESPACE", "UNSELECT"]
        if not o.no_uidplus:
            caps.append("UIDPLUS")
        if not self.tls:
            if o.tls_cert or o.starttls_fails or o.preauth:
                caps.append("STARTTLS")
            caps += o.capability_before_tls.split()
            if o.logindisabled:
                return " ".join(caps + ["LOGINDISABLED"])
        caps += ["AUTH=PLAIN", "AUTH=LOGIN", "AUTH=CRAM-MD5", "AUTH=XOAUTH2"]
        return " ".join(caps)

    def check(self, tag, user, password):
        if user == self.opts.user and password == self.opts.password:
            self.authed = True
            self.reply("%s OK [CAPABILITY %s] Logged in"
                       % (tag, self.capabilities()))
        else:
            self.reply("%s NO [AUTHENTICATIONFAILED] Authentication failed."
                       % tag)

    def response(self, initial):
        """A SASL client response: the initial one or after "+ "."""
        if initial is not None:
            return initial
        self.reply("+ ")
        return self.readline().strip()

    def authenticate(self, tag, args):
        mech = args[0].decode().upper() if args else ""
        initial = args[1] if len(args) > 1 else None
        if initial == b"=":
            initial = b""
        try:
            if mech == "PLAIN":
                parts = base64.b64decode(self.response(initial)).split(b"\0")
                return self.check(tag, parts[1].decode(), parts[2].decode())
            if mech == "LOGIN":
                if initial is None:
                    self.reply("+ " + base64.b64encode(b"Username:").decode())
                    initial = self.readline().strip()
                user = base64.b64decode(initial).decode()
                self.reply("+ " + base64.b64encode(b"Password:").decode())
                pw = base64.b64decode(self.readline().strip()).decode()
                return self.check(tag, user, pw)
            if mech == "CRAM-MD5":
                chal = b"<%d.%d@imap_peer>" % (os.getpid(), time.time())
                self.reply("+ " + base64.b64encode(chal).decode())
                user, _, mac = base64.b64decode(
                    self.readline().strip()).decode().rpartition(" ")
                good = hmac.new(self.opts.password.encode(), chal,
                                "md5").hexdigest()
                return self.check(tag, user, self.opts.password
                                  if mac == good else None)
            if mech == "XOAUTH2":
                return self.xoauth2(tag, self.response(initial))
        except (ValueError, IndexError, UnicodeDecodeError):
            return self.reply("%s BAD invalid SASL response" % tag)
        self.reply("%s NO unsupported mechanism" % tag)

    def xoauth2(self, tag, resp):
        fields = dict(f.split(b"=", 1) for f in
                      base64.b64decode(resp).split(b"\x01") if b"=" in f)
        user = fields.get(b"user", b"").decode()
        token = fields.get(b"auth", b"").decode()
        expire = self.state["xoauth2_expire"]
        self.state["xoauth2_expire"] = False
        if not expire and user == self.opts.user and \
                token == "Bearer " + self.opts.password:
            return self.check(tag, user, self.opts.password)
        self.reply("+ " + XOAUTH2_ERROR.decode())
        if self.readline().strip() == b"*":
            return self.reply("%s BAD authentication cancelled" % tag)
        self.reply("%s NO [AUTHENTICATIONFAILED] Invalid credentials "
                   "(Failure)" % tag)

    def starttls(self, tag):
        if self.tls or self.authed:
            return self.reply("%s BAD STARTTLS not allowed now" % tag)
        if self.opts.starttls_fails:
            return self.reply("%s %s STARTTLS is not available"
                              % (tag, self.opts.starttls_fails))
        if not self.opts.tls_cert:
            return self.reply("%s BAD no certificate" % tag)
        for line in self.buf.split(b"\n"):
            if line:
                self.log("DISCARDED: " + line.rstrip(b"\r").decode("latin-1"))
        self.buf = b""
        self.reply("%s OK Begin TLS negotiation now" % tag)
        self.tls_start()

    # --- the mailbox
    def live(self):
        return [m for m in self.state["messages"] if not m.get("gone")]

    def flags(self, m):
        return self.state["flags"].setdefault(m["uid"], set())

    def select(self, tag, cmd, args):
        name = args[0].decode() if args else ""
        if name.upper() != "INBOX":
            return self.reply("%s NO [NONEXISTENT] Mailbox doesn't exist: %s"
                              % (tag, name))
        self.selected, self.readonly = "INBOX", cmd == "EXAMINE"
        live = self.live()
        self.reply("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self.reply("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Flags")
        self.reply("* %d EXISTS" % len(live))
        self.reply("* 0 RECENT")
        self.reply("* OK [UIDVALIDITY %d] UIDs valid" % self.uidvalidity)
        self.reply("* OK [UIDNEXT %d] Predicted next UID"
                   % self.state["uidnext"])
        self.reply("%s OK [%s] %s completed" % (
            tag, "READ-ONLY" if self.readonly else "READ-WRITE", cmd))

    def pick(self, use_uid, text):
        """The live messages in a UID or sequence set, in order."""
        live = self.live()
        if use_uid:
            wanted = uidset(text, [m["uid"] for m in live],
                            live[-1]["uid"] if live else 0)
            return [(n, m) for n, m in enumerate(live, 1)
                    if m["uid"] in wanted]
        wanted = uidset(text, range(1, len(live) + 1), len(live))
        return [(n, m) for n, m in enumerate(live, 1) if n in wanted]

    def search(self, tag, use_uid, keys):
        """ALL, UID set, sequence set, [UN]DELETED, [UN]SEEN, NOT: ANDed."""
        result, negate, i = list(enumerate(self.live(), 1)), False, 0
        while i < len(keys):
            word = keys[i].decode().upper() \
                if isinstance(keys[i], bytes) else ""
            i += 1
            if word == "NOT":
                negate = True
                continue
            if word == "UID" and i < len(keys) or re.match(r"^[\d*:,]+$",
                                                             word):
                text = keys[i] if word == "UID" else keys[i - 1]
                i += word == "UID"
                keep = {id(m) for _, m in self.pick(word == "UID", text)}
                test = (lambda m, keep=keep: id(m) in keep)
            elif word.replace("UN", "", 1) in ("DELETED", "SEEN"):
                flag = "\\" + word.replace("UN", "", 1).capitalize()
                test = (lambda m, flag=flag, want=not word.startswith("UN"):
                        (flag in self.flags(m)) == want)
            else:
                test = (lambda m: True)  # ALL and anything unknown
            result = [(n, m) for n, m in result if test(m) != negate]
            negate = False
        found = [m["uid"] if use_uid else n for n, m in result]
        self.reply("* SEARCH" + "".join(" %d" % v for v in found))
        self.reply("%s OK Search completed" % tag)

    def fetch(self, tag, use_uid, args):
        items = args[1] if len(args) > 1 and isinstance(args[1], list) \
            else args[1:]
        names = [i.decode().upper() for i in items if isinstance(i, bytes)]
        if use_uid and "UID" not in names:
            names.insert(0, "UID")
        for n, m in self.pick(use_uid, args[0]):
            if self.fetch_one(n, m, names) is False:
                return False
            if self.opts.exists_in_fetch and self.state["arrive"]:
                self.state["arrive"] = False
                self.arrive()
                self.reply("* %d EXISTS" % len(self.live()))
        self.reply("%s OK Fetch completed" % tag)

    def fetch_one(self, n, m, names):
        uid, wire, out, body = m["uid"], m["wire"], [], None
        if any(x in ("BODY[]", "RFC822") for x in names) and \
                not self.readonly and "\\Seen" not in self.flags(m):
            self.flags(m).add("\\Seen")
            names = names + ["FLAGS"] if "FLAGS" not in names else names
        for name in names:
            if name == "UID":
                out.append("UID %s" % self.state["shown"].get(uid, uid))
            elif name == "RFC822.SIZE":
                out.append("RFC822.SIZE %d" % self.state["sizes"].get(
                    uid, len(wire)))
            elif name == "INTERNALDATE":
                out.append(time.strftime('INTERNALDATE "%d-%b-%Y %H:%M:%S '
                                         '+0000"', time.gmtime(m["date"])))
            elif name in ("BODY[]", "BODY.PEEK[]", "RFC822"):
                body = "RFC822" if name == "RFC822" else "BODY[]"
            elif name == "FLAGS":
                out.append("FLAGS (%s)" % " ".join(sorted(self.flags(m))))
        head = ("* %d FETCH (%s" % (n, " ".join(out))).encode()
        if any(x.startswith(("BODY[HEADER.FIELDS", "BODY.PEEK[HEADER.FIELDS"))
               for x in names):
            ids = b"".join(l + b"\r\n" for l in wire.split(b"\r\n")
                           if l.lower().startswith(b"message-id:")) + b"\r\n"
            return self.send(head + b" BODY[HEADER.FIELDS (MESSAGE-ID)] "
                             b"{%d}\r\n%s)\r\n" % (len(ids), ids))
        if body is None:
            return self.send(head + b")\r\n")
        head += b"%s%s " % (b" " if out else b"", body.encode())
        if uid in self.opts.trickle_fetch:
            self.send(head + b"{%d}\r\n" % len(wire))
            self.trickle(wire + b")\r\n")
            return False
        if uid in self.opts.huge_literal:
            self.send(head + b"{%d}\r\n" % HUGE + wire[:64])
            while self.conn.recv(4096):
                pass
            return False
        if uid in self.state["drop"]:
            self.state["drop"].discard(uid)
            self.send(head + b"{%d}\r\n" % len(wire) + wire[:len(wire) // 2])
            return False
        self.send(head + b"{%d}\r\n" % len(wire) + wire + b")\r\n")

    def arrive(self):
        uid = self.state["uidnext"]
        self.state["uidnext"] += 1
        data = (b"From: peer@example.org\r\nMessage-ID: <arrived-%d@imap-peer>"
                b"\r\nSubject: arrived during a FETCH\r\n\r\nNew.\r\n" % uid)
        path = os.path.join(self.opts.store or "", str(uid))
        if self.opts.store:
            with open(path, "wb") as f:
                f.write(data)
        self.state["messages"].append({"uid": uid, "wire": data,
                                       "path": path, "date": time.time()})

    def store(self, tag, use_uid, args):
        op = args[1].decode().upper()
        new = {f.decode() for f in (args[2] if isinstance(args[2], list)
                                    else args[2:])}
        for n, m in self.pick(use_uid, args[0]):
            f = self.flags(m)
            if op.startswith("+"):
                f |= new
            elif op.startswith("-"):
                f -= new
            else:
                f.clear()
                f |= new
            if not op.endswith(".SILENT"):
                self.reply("* %d FETCH (%sFLAGS (%s))" % (
                    n, "UID %d " % m["uid"] if use_uid else "",
                    " ".join(sorted(f))))
        self.reply("%s OK Store completed" % tag)

    def expunge(self, uids=None, quiet=False):
        live = self.live()
        for n in range(len(live), 0, -1):
            m = live[n - 1]
            if "\\Deleted" in self.flags(m) and (uids is None or
                                                m["uid"] in uids):
                m["gone"] = True
                if self.opts.store:
                    os.unlink(m["path"])
                if not quiet:
                    self.reply("* %d EXPUNGE" % n)

    # --- the command loop
    def run(self):
        if self.opts.tls:
            self.tls_start()
        if self.opts.long_line:
            self.send(b"* OK ")
            for _ in range(self.opts.long_line // 65536):
                self.send(b"x" * 65536)
            self.send(b"\r\n")
        if self.opts.preauth:
            self.authed = True
            self.reply("* PREAUTH [CAPABILITY %s] imap_peer ready, logged in "
                       "as %s" % (self.capabilities(), self.opts.user))
        else:
            self.reply("* OK [CAPABILITY %s] imap_peer ready"
                       % self.capabilities())
        if self.opts.silent:
            return self.hold()
        while True:
            words = parse(self.command())
            if len(words) < 2 or not all(isinstance(w, bytes)
                                         for w in words[:2]):
                tag = words[0] if words and isinstance(words[0], bytes) \
                    else b"*"
                self.reply("%s BAD Error in IMAP command" % tag.decode())
                continue
            tag, cmd, args = words[0].decode(), words[1].decode().upper(), \
                words[2:]
            use_uid = cmd == "UID" and args
            if use_uid:
                cmd, args = args[0].decode().upper(), args[1:]
            if self.dispatch(tag, cmd, args, use_uid) is False:
                return

    def dispatch(self, tag, cmd, args, use_uid):
        """One command; False to close the connection."""
        o, plain_refused = self.opts, self.opts.logindisabled and not self.tls
        if cmd == "CAPABILITY":
            self.reply("* CAPABILITY " + self.capabilities())
        elif cmd == "NOOP" or cmd == "CHECK":
            pass
        elif cmd == "LOGOUT":
            self.reply("* BYE Logging out")
            self.reply("%s OK Logout completed" % tag)
            return False
        elif cmd == "ID":
            self.reply('* ID ("name" "imap_peer")')
        elif cmd == "STARTTLS":
            return self.starttls(tag)
        elif cmd in ("LOGIN", "AUTHENTICATE") and self.authed:
            return self.reply("%s BAD already authenticated" % tag)
        elif cmd in ("LOGIN", "AUTHENTICATE") and plain_refused:
            return self.reply("%s NO [PRIVACYREQUIRED] Plaintext "
                              "authentication disallowed" % tag)
        elif cmd == "LOGIN" and len(args) == 2:
            return self.check(tag, args[0].decode(), args[1].decode())
        elif cmd == "AUTHENTICATE":
            return self.authenticate(tag, args)
        elif not self.authed:
            return self.reply("%s BAD Please log in first" % tag)
        elif cmd == "ENABLE":
            self.reply("* ENABLED")
        elif cmd == "NAMESPACE":
            self.reply('* NAMESPACE (("" "/")) NIL NIL')
        elif cmd in ("LIST", "LSUB"):
            self.reply('* %s (\\HasNoChildren) "/" INBOX' % cmd)
        elif cmd in ("SELECT", "EXAMINE") and o.endless_untagged:
            self.endless()
            return False
        elif cmd in ("SELECT", "EXAMINE"):
            return self.select(tag, cmd, args)
        elif cmd == "STATUS" and args and args[0].upper() == b"INBOX":
            live = self.live()
            self.reply("* STATUS INBOX (MESSAGES %d UIDNEXT %d UIDVALIDITY %d)"
                       % (len(live), self.state["uidnext"], self.uidvalidity))
        elif not self.selected:
            return self.reply("%s BAD No mailbox selected" % tag)
        elif cmd == "SEARCH":
            return self.search(tag, use_uid, args)
        elif cmd == "FETCH" and len(args) >= 2:
            return self.fetch(tag, use_uid, args)
        elif cmd == "STORE" and len(args) >= 3 and not self.readonly:
            return self.store(tag, use_uid, args)
        elif cmd == "EXPUNGE" and use_uid and o.no_uidplus:
            return self.reply("%s BAD Unknown command UID EXPUNGE" % tag)
        elif cmd == "EXPUNGE" and not self.readonly:
            uids = None
            if use_uid and args:
                uids = {m["uid"] for _, m in self.pick(True, args[0])}
            self.expunge(uids)
        elif cmd in ("CLOSE", "UNSELECT"):
            if cmd == "CLOSE" and not self.readonly:
                self.expunge(quiet=True)
            self.selected = None
        else:
            return self.reply("%s BAD Error in IMAP command %s" % (tag, cmd))
        self.reply("%s OK %s completed" % (tag, cmd))


def scan_store(state, opts):
    """Read the --store directory again: its files, by UID."""
    old = {m["uid"]: m for m in state["messages"]}
    msgs = []
    for name in sorted(os.listdir(opts.store), key=lambda n: int(n)):
        uid = int(name)
        msgs.append(old.get(uid) if uid in old and not old[uid].get("gone")
                    else load(os.path.join(opts.store, name), uid))
    state["messages"] = msgs
    state["uidnext"] = max([state["uidnext"]] + [m["uid"] + 1 for m in msgs])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user", default="user")
    p.add_argument("--password", default="secret")
    p.add_argument("--message", action="append", default=[])
    p.add_argument("--store")
    p.add_argument("--uidvalidity", type=int, default=1)
    p.add_argument("--flags", action="append", default=[], metavar="UID:F")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--preauth", action="store_true")
    p.add_argument("--starttls-fails", nargs="?", const="NO",
                   choices=("NO", "BAD"))
    p.add_argument("--logindisabled", action="store_true")
    p.add_argument("--no-uidplus", action="store_true")
    p.add_argument("--xoauth2-expire-once", action="store_true")
    p.add_argument("--drop-in-fetch", type=int, action="append", default=[])
    p.add_argument("--lie-size", action="append", default=[],
                   metavar="UID:SIZE")
    p.add_argument("--huge-literal", type=int, action="append", default=[])
    p.add_argument("--exists-in-fetch", action="store_true")
    p.add_argument("--uidvalidity-per-session", action="store_true")
    p.add_argument("--capability-before-tls", default="")
    p.add_argument("--silent", action="store_true")
    p.add_argument("--trickle-fetch", type=int, action="append", default=[])
    p.add_argument("--endless-untagged", action="store_true")
    p.add_argument("--long-line", type=int)
    p.add_argument("--say-uid", action="append", default=[],
                   metavar="UID:SHOWN")
    p.add_argument("--tls-garbage", action="store_true")
    p.add_argument("--log")
    opts = p.parse_args()

    if opts.store and opts.message:
        p.error("--store and --message exclude each other")
    if opts.tls and not opts.tls_cert:
        p.error("--tls needs --tls-cert and --tls-key")
    if opts.store and not all(n.isdigit() for n in os.listdir(opts.store)):
        p.error("--store: every file name must be its UID")
    state = {"messages": [load(path, uid) for uid, path in
                          enumerate(opts.message, 1)],
             "uidnext": len(opts.message) + 1,
             "flags": {}, "sizes": {}, "drop": set(opts.drop_in_fetch),
             "xoauth2_expire": opts.xoauth2_expire_once, "arrive": True,
             "log": open(opts.log, "a") if opts.log else None, "ssl": None,
             "shown": {}}
    for spec in opts.say_uid:
        uid, _, shown = spec.partition(":")
        state["shown"][int(uid)] = shown
    for spec in opts.flags:
        uid, _, flags = spec.partition(":")
        state["flags"][int(uid)] = set(flags.split())
    for lie in opts.lie_size:
        uid, size = (int(x) for x in lie.split(":"))
        state["sizes"][uid] = size
    if opts.tls_cert:
        state["ssl"] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        state["ssl"].load_cert_chain(opts.tls_cert, opts.tls_key)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", opts.port))
    server.listen(8)
    print("ready %d" % server.getsockname()[1], flush=True)
    number = 0
    while True:
        conn, _ = server.accept()
        number += 1
        if opts.store:
            scan_store(state, opts)
        session = Session(conn, opts, state, number)
        try:
            session.run()
        except (EOFError, OSError, ssl.SSLError):
            pass
        finally:
            session.conn.close()


if __name__ == "__main__":
    sys.exit(main())

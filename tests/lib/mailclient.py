#!/usr/bin/python3
"""Tiny POP3/IMAP test client for the harness's Dovecot.

mailclient.py [--tls | --starttls] [--ca FILE | --noverify] [--name HOST]
              [--user USER --password PASS] [--timeout SECONDS]
              pop3|imap PORT COMMAND...

Connects to 127.0.0.1:PORT (implicit TLS with --tls; STLS/STARTTLS first
with --starttls), verifies the certificate against --ca for --name
(default localhost), sends each COMMAND and prints every server line as
"S: line". IMAP commands get tags (a1, a2...) added; an IMAP literal
{n} is read as n octets (its lines printed as "S: " lines too), so a
message line never passes for a tagged reply. --user/--password log in
first (USER/PASS, or LOGIN with quoted strings), its lines printed too;
--timeout is the socket time-out (default 20 s). Pseudo-commands:
  APOP USER PASS   APOP with the digest of the greeting's timestamp
  CRAM USER PASS   AUTH CRAM-MD5 (POP3) / AUTHENTICATE CRAM-MD5 (IMAP)
  SLEEP SECONDS    pause (e.g. while a test kills the server process)
  RAW [TEXT]       send TEXT (maybe empty) as is, without a tag: the
                   answer to a "+" continuation, or a hand-tagged command;
                   then read up to the next "+" or tagged line
Exits 0 if every reply was positive (+OK / tagged OK), 1 if one was not,
2 on a connection or TLS failure.
"""
import base64
import hashlib
import hmac
import re
import socket
import ssl
import sys
import time

MULTI = ("CAPA", "UIDL", "LIST", "RETR", "TOP")


def main():
    args = sys.argv[1:]
    mode, ca, verify, name = None, None, True, "localhost"
    user, password, timeout = None, None, 20.0
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt in ("--tls", "--starttls"):
            mode = opt[2:]
        elif opt == "--ca":
            ca = args.pop(0)
        elif opt == "--noverify":
            verify = False
        elif opt == "--name":
            name = args.pop(0)
        elif opt == "--user":
            user = args.pop(0)
        elif opt == "--password":
            password = args.pop(0)
        elif opt == "--timeout":
            timeout = float(args.pop(0))
    proto, port, commands = args[0], int(args[1]), args[2:]

    ctx = ssl.create_default_context(cafile=ca)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        sock = socket.create_connection(("127.0.0.1", port),
                                        timeout=timeout)
        if mode == "tls":
            sock = ctx.wrap_socket(sock, server_hostname=name)
        conn = sock.makefile("rwb")
        greeting = readline(conn)
        if mode == "starttls":
            reply = command(conn, proto, "STLS" if proto == "pop3"
                            else "STARTTLS", 0)
            if not positive(proto, reply):
                return 1
            conn.close()
            sock = ctx.wrap_socket(sock, server_hostname=name)
            conn = sock.makefile("rwb")
    except (OSError, ssl.SSLError) as e:
        print("E: %s" % e)
        return 2

    if user is not None:
        if proto == "pop3":
            commands[:0] = ["USER " + user, "PASS " + (password or "")]
        else:
            commands.insert(0, "LOGIN %s %s" % (quote(user),
                                                quote(password or "")))
    status = 0
    for n, cmd in enumerate(commands, 1):
        try:
            reply = run(conn, proto, cmd, n, greeting)
        except (OSError, ssl.SSLError, EOFError) as e:
            print("E: %s" % e)
            return 2
        if not positive(proto, reply):
            status = 1
    return status


def readline(conn, proto="pop3"):
    """Read and print one server line (IMAP: with its literals); return
    its text outside the literals."""
    line = conn.readline()
    if not line:
        raise EOFError("connection closed by server")
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    print("S: " + text, flush=True)
    whole = text
    while proto == "imap" and re.search(r"\{\d+\}$", text):
        left = int(re.search(r"\{(\d+)\}$", text).group(1))
        pending = b""
        while left > 0:
            chunk = conn.readline(min(left, 65536))
            if not chunk:
                if pending:
                    print("S: " + pending.decode("utf-8", "replace"))
                raise EOFError("connection closed by server")
            left -= len(chunk)
            pending += chunk
            if pending.endswith(b"\n"):
                print("S: " + pending.decode("utf-8", "replace")
                      .rstrip("\r\n"), flush=True)
                pending = b""
        rest = conn.readline()
        if not rest:
            raise EOFError("connection closed by server")
        text = (pending + rest).decode("utf-8", "replace").rstrip("\r\n")
        print("S: " + text, flush=True)
        whole += " " + text
    return whole


def quote(text):
    """An IMAP quoted string."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def send(conn, text):
    conn.write(text.encode() + b"\r\n")
    conn.flush()


def command(conn, proto, cmd, n):
    """Send one command and read its whole reply; return the final line."""
    if proto == "imap":
        tag = "a%d" % n
        send(conn, "%s %s" % (tag, cmd))
        while True:
            line = readline(conn, proto)
            if line.startswith(tag + " ") or line.startswith("+"):
                return line
    send(conn, cmd)
    line = readline(conn)
    words = cmd.split()
    multi = words and words[0].upper() in MULTI and (
        len(words) == 1 or words[0].upper() in ("RETR", "TOP"))
    if line.startswith("+OK") and multi:
        while readline(conn) != ".":
            pass
    return line


def run(conn, proto, cmd, n, greeting):
    """Run a command or pseudo-command."""
    words = cmd.split(None, 2)
    if words and words[0] == "SLEEP":
        time.sleep(float(words[1]))
        return "+OK" if proto == "pop3" else "a%d OK" % n
    if words and words[0] == "RAW":
        send(conn, cmd[4:])
        while True:
            line = readline(conn, proto)
            if proto == "pop3" or re.match(r"^(\+|\S+ (OK|NO|BAD))", line) \
                    and not line.startswith("* "):
                return line
    if words and words[0] == "APOP":
        stamp = re.search(r"<[^>]*>", greeting).group(0)
        digest = hashlib.md5((stamp + words[2]).encode()).hexdigest()
        return command(conn, proto, "APOP %s %s" % (words[1], digest), n)
    if words and words[0] == "CRAM":
        verb = "AUTH" if proto == "pop3" else "AUTHENTICATE"
        line = command(conn, proto, verb + " CRAM-MD5", n)
        if not line.startswith("+ "):
            return line
        challenge = base64.b64decode(line[2:])
        mac = hmac.new(words[2].encode(), challenge, "md5").hexdigest()
        send(conn, base64.b64encode(
            ("%s %s" % (words[1], mac)).encode()).decode())
        while True:
            line = readline(conn, proto)
            if proto == "pop3" or line.startswith("a%d " % n):
                return line
    return command(conn, proto, cmd, n)


def positive(proto, line):
    if proto == "pop3":
        return line.startswith("+OK")
    return bool(re.match(r"^a\d+ OK", line))


if __name__ == "__main__":
    sys.exit(main())

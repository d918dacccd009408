#!/usr/bin/python3
"""The senders of tests/torture/milter_load.t: numbered messages into
Postfix, each tried again until it is accepted, as the real senders do.

  --smtp PORT: the provider's MTA flushing an ETRN domain to the private
    smtpd. A 4xx reply at any step, a refused or broken connection: the
    message is kept and tried again, as an MTA does; a 5xx is a permanent
    failure.
  --sendmail "PROGRAM ARG...": the fetcher's hand-over, fetched mail
    signed as fetcher/message.c signs it (tag.h: "NAME; t=T; b=BINDING;
    mac=HEX", bound to the Message-ID and the remote recipients, which
    travel in X-Postfetch-Recipients) and given to "PROGRAM -i -f SENDER --
    PLACEHOLDER", or with --session to a "PROGRAM -bs" session per worker
    (MAIL FROM, RCPT TO:<PLACEHOLDER>, DATA); a non-zero exit or a refusal
    is tried again (the fetcher keeps such a message on the server and
    polls again). Needs --account, --key (the secret file) and
    --placeholder.

  milter_send.py (--smtp PORT | --sendmail CMD [--session] ...) --prefix P
                 --count N --rcpts a@d,b@d,... --log FILE [--workers 2]
                 [--seed S]

Message I (0-based) is <P-I@torture.example> to a subset of --rcpts
chosen by --seed. One line per message to --log once it is done, tab
separated: id, the time (epoch) of the first attempt, the time it was
accepted (or "-"), tries, the outcome ("250", "0" or the failure), the
recipients (comma separated). A line "retry ID WHY" per refused try goes
to stderr. Exit status: 0 if every message was accepted.
"""

import argparse
import hashlib
import hmac
import random
import shlex
import socket
import subprocess
import sys
import threading
import time

BACKOFF_FIRST = 0.25    # seconds before the first retry of a message
BACKOFF_MAX = 2.0
TIMEOUT = 60            # seconds for one SMTP reply or one sendmail


class Refused(Exception):
    """Not accepted: permanent (5xx) or not."""

    def __init__(self, why, permanent=False):
        super().__init__(why)
        self.why = why
        self.permanent = permanent


class Session:
    """One SMTP session, reused for message after message: over a socket
    to smtpd, or over the pipes of "sendmail -bs" (the process)."""

    def __init__(self, port=None, process=None):
        self.sock, self.process = None, process
        if process is None:
            self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
            self.file = self.sock.makefile("rb")
        else:
            self.file = process.stdout
        self.expect(220)
        self.command("EHLO mx.provider.example", 250)

    def write(self, data):
        if self.sock is not None:
            self.sock.sendall(data)
        else:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def expect(self, code):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise Refused("connection closed")
            lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                break
        reply = " / ".join(lines)
        if not reply.startswith(str(code)):
            raise Refused(reply, reply.startswith("5"))

    def command(self, line, code):
        self.write(line.encode() + b"\r\n")
        self.expect(code)

    def send(self, mid, envelope, lines):
        self.command("MAIL FROM:<sender@provider.example>", 250)
        for rcpt in envelope:
            self.command("RCPT TO:<%s>" % rcpt, 250)
        self.command("DATA", 354)
        self.write("\r\n".join(lines).encode() + b"\r\n.\r\n")
        self.expect(250)

    def close(self):
        try:
            self.write(b"QUIT\r\n")
        except OSError:
            pass
        if self.sock is not None:
            self.sock.close()
        else:
            self.process.stdin.close()
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def headers(mid, rcpts):
    return ["From: <sender@provider.example>",
            "To: " + ", ".join("<%s>" % r for r in rcpts),
            "Subject: torture %s" % mid,
            "Message-ID: <%s>" % mid]


class SMTP:
    """The --smtp transport: a session per worker, opened again on failure."""

    def __init__(self, args):
        self.port = args.smtp
        self.session = None

    def send(self, mid, rcpts):
        try:
            if self.session is None:
                self.session = Session(port=self.port)
            self.session.send(mid, rcpts, headers(mid, rcpts) +
                              ["", "Body of %s." % mid])
        except (Refused, OSError) as e:
            self.close()
            raise e if isinstance(e, Refused) else Refused(str(e))

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None


class Sendmail:
    """The --sendmail transport: the fetcher's signed hand-over, one
    "sendmail -i" per message or, with --session, a "sendmail -bs"
    session per worker (the fetcher's sendmail_mode = session)."""

    def __init__(self, args):
        self.argv = shlex.split(args.sendmail)
        self.account = args.account
        self.placeholder = args.placeholder
        self.sessions = args.session
        self.session = None
        with open(args.key) as f:
            self.key = bytes.fromhex(f.read().strip())

    def tag(self, mid, rcpts):
        binding = hashlib.sha256(("id=%s\n" % mid + "".join(
            r + "\n" for r in rcpts)).encode()).hexdigest()
        now = int(time.time())
        signed = "%s;t=%d;b=%s" % (self.account, now, binding)
        mac = hmac.new(self.key, signed.encode(), hashlib.sha256).hexdigest()
        return "%s; t=%d; b=%s; mac=%s" % (self.account, now, binding, mac)

    def send(self, mid, rcpts):
        lines = ["X-Postfetch-Account: " + self.tag(mid, rcpts),
                 "X-Postfetch-Recipients:" + ",".join(
                     "\n\t<%s>" % r for r in rcpts)]
        lines = "\n".join(lines + headers(mid, rcpts)).split("\n") + [
            "", "Body of %s." % mid]
        if self.sessions:
            self.send_session(mid, lines)
        else:
            self.send_one(lines)

    def send_session(self, mid, lines):
        try:
            if self.session is None:
                self.session = Session(process=subprocess.Popen(
                    self.argv + ["-bs"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
            self.session.send(mid, [self.placeholder], lines)
        except (Refused, OSError) as e:
            self.close()
            raise e if isinstance(e, Refused) else Refused(str(e))

    def send_one(self, lines):
        text = "\n".join(lines + [""])
        try:
            done = subprocess.run(self.argv + ["-i", "-f",
                                  "sender@provider.example", "--",
                                  self.placeholder], input=text.encode(),
                                  capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Refused("sendmail timed out")
        if done.returncode != 0:
            raise Refused("sendmail exit %d: %s" % (done.returncode,
                          done.stderr.decode("utf-8", "replace").strip()))

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None


def worker(args, queue, lock, log, failures):
    transport = SMTP(args) if args.smtp else Sendmail(args)
    while True:
        with lock:
            if not queue:
                break
            mid, rcpts = queue.pop(0)
        first, tries, backoff, outcome = time.time(), 0, BACKOFF_FIRST, None
        while outcome is None:
            tries += 1
            try:
                transport.send(mid, rcpts)
                outcome = "ok"
            except Refused as e:
                if e.permanent:
                    outcome = e.why
                    break
                print("retry %s %s" % (mid, e.why), file=sys.stderr,
                      flush=True)
                time.sleep(backoff)
                backoff = min(2 * backoff, BACKOFF_MAX)
        with lock:
            if outcome != "ok":
                failures.append(mid)
                transport.close()
            log.write("%s\t%.3f\t%s\t%d\t%s\t%s\n" % (
                mid, first, "%.3f" % time.time() if outcome == "ok"
                else "-", tries, outcome, ",".join(rcpts)))
            log.flush()
    transport.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp", type=int)
    parser.add_argument("--sendmail")
    parser.add_argument("--account")
    parser.add_argument("--key")
    parser.add_argument("--placeholder")
    parser.add_argument("--session", action="store_true")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rcpts", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", default="1")
    args = parser.parse_args()
    if not args.smtp and not (args.sendmail and args.account and args.key
                              and args.placeholder):
        parser.error("--smtp, or --sendmail with --account, --key and "
                     "--placeholder")
    pool = args.rcpts.split(",")
    chooser = random.Random(args.prefix + args.seed)
    queue = []
    for i in range(args.count):
        rcpts = [r for r in pool if chooser.random() < 0.5]
        queue.append(("%s-%d@torture.example" % (args.prefix, i),
                      rcpts or [chooser.choice(pool)]))
    lock, failures = threading.Lock(), []
    with open(args.log, "a") as log:
        threads = [threading.Thread(target=worker,
                                    args=(args, queue, lock, log, failures))
                   for _ in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""What the scripted peers (pop3_peer.py, imap_peer.py, smtp_peer.py)
share: the listening socket, the TLS context, the bytes of their faults."""
import socket
import ssl

GARBAGE = bytes(range(256)) * 64        # what follows a hostile handshake
ENDLESS_MAX = 256 * 1024 * 1024         # where "endless" stops and waits


def tls_options(p):
    """The TLS and --log options every peer takes, on parser p."""
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--tls-garbage", action="store_true")
    p.add_argument("--log")


def tls_context(cert, key):
    """A server TLS context for cert and key, or None without cert."""
    if not cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def serve(port, session):
    """Listen on 127.0.0.1:port, print "ready PORT", and run session(conn)
    for each connection in turn until killed; a client gone is no error."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(8)
    print("ready %d" % server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        try:
            session(conn)
        except OSError:
            pass
        finally:
            conn.close()

/*
 * The byte stream under a mail protocol: TCP with timeouts, an OpenSSL
 * TLS client, a bounded line reader and a chunked writer. Protocol code
 * (pop3.c) only calls these functions and never touches a socket, so it
 * runs the same over TLS, plain TCP, or a socketpair in a unit test.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>

struct transport;

/* The read buffer: a line longer than this arrives in pieces. */
#define TRANSPORT_BUFFER	65536

/* What the TLS handshake found. */
struct transport_tls {
	char	 version[32];		/* "TLSv1.3" */
	char	 cipher[64];
	char	 subject[256];		/* peer certificate subject, one line */
	char	 fingerprint[65];	/* SHA-256 of the DER cert, lowercase hex */
	int	 verified;		/* chain and host name checked and good */
	int	 pinned;		/* matched the fingerprint pin */
};

/*
 * Connect to host:port, trying every address getaddrinfo gives; timeout
 * (seconds) bounds each connect and, later, each read and write; the
 * reads that answer one command wait at most the timeout plus a second
 * per 1000 bytes they bring (transport.c, TRANSPORT_MIN_RATE). address
 * receives "host[ip]:port" of the address connected to; a failure's
 * cause names the last address tried.
 */
struct transport *transport_connect(const char *host, int port, int timeout,
		    char *address, size_t addresslen, char **cause);
/* A transport over existing descriptors (a socketpair, pipes; tests);
 * it owns them and closes them when freed. */
struct transport *transport_fds(int readfd, int writefd, int timeout);
/*
 * Build the TLS client context (and load the CA store) once for every
 * later connection of this process and of the processes it forks. Without
 * it each connection builds its own. 0, or -1 if it could not (then each
 * connection still tries, and says why).
 */
int		 transport_tls_init(void);
/*
 * Start TLS as a client. verify: check the chain against the system CA
 * store and the host name. fingerprint (or NULL): SHA-256 hex of the
 * certificate the peer must present; when it matches, the certificate is
 * accepted even if it does not verify (a pinned self-signed certificate).
 */
int		 transport_starttls(struct transport *, const char *host,
		    int verify, const char *fingerprint,
		    struct transport_tls *, char **cause);
int		 transport_is_tls(const struct transport *);
/*
 * Read one line: *line points into the buffer (valid until the next call),
 * *len is its length without CRLF or LF; NUL bytes are data. *partial is
 * set when the line is longer than the buffer and this is a piece that the
 * next call continues. Returns 0, or -1 with *cause (timeout, error, or
 * the connection closed).
 */
int		 transport_getline(struct transport *, const char **line,
		    size_t *len, int *partial, char **cause);
/*
 * Read raw bytes (an IMAP literal, whose count the protocol gave): *data
 * points into the buffer (valid until the next call) at between 1 and
 * max bytes, *len of them, line ends and NULs included. A caller wanting
 * exactly n bytes calls it until they have come. Returns 0, or -1 with
 * *cause (timeout, error, or the connection closed).
 */
int		 transport_getbytes(struct transport *, size_t max,
		    const char **data, size_t *len, char **cause);
/* Queue bytes for sending; written when the buffer fills or on flush. */
int		 transport_write(struct transport *, const void *, size_t,
		    char **cause);
/* Send everything queued, then wipe the buffer (it may hold a password). */
int		 transport_flush(struct transport *, char **cause);
/* Close and free (no TLS close_notify: the protocol said goodbye). */
void		 transport_free(struct transport *);

#endif

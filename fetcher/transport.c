/*
 * The byte stream under a mail protocol: TCP connect over every address
 * with a timeout, an OpenSSL TLS client (system CA store, SNI, host name
 * check, optional SHA-256 pin), a fixed-size line reader that hands out
 * over-long lines in pieces, a raw reader for counted bytes, and a
 * writer that sends in large chunks.
 * Every wait is a poll() bounded by the timeout of the operation, and
 * the reads that answer one command share a budget: the timeout plus one
 * second per TRANSPORT_MIN_RATE bytes they brought, so a server that
 * trickles a byte at a time cannot hold a poll for ever.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "log.h"
#include "transport.h"
#include "xmalloc.h"

#define TRANSPORT_OUT	16384
#define TRANSPORT_MIN_RATE	1000	/* bytes/s a server must keep up */

struct transport {
	int		 readfd;
	int		 writefd;
	int		 timeout;		/* seconds */
	long long	 waited;	/* ms waited for the server since the */
	unsigned long long got;		/* last command, and bytes read */
	SSL_CTX		*ctx;
	SSL		*ssl;
	size_t		 start;			/* unread data in in[] */
	size_t		 end;
	size_t		 outlen;
	char		 in[TRANSPORT_BUFFER];
	char		 out[TRANSPORT_OUT];
};

/*
 * Wait until fd is ready for events or the deadline passes. Returns 0
 * when ready, -1 with *cause on timeout or error; what (or NULL) says
 * what timed out: "timeout while <what>".
 */
static int
transport_wait(int fd, short events, long long deadline, const char *what,
    char **cause)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		left = deadline - clock_ms();
		if (left <= 0) {
			xasprintf(cause, "timeout%s%s", what != NULL ?
			    " while " : "", what != NULL ? what : "");
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 86400000 ? 86400000 : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			xasprintf(cause, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * After a read or write on fd failed with errno: wait until it may work
 * again (0), or -1 with *cause for a real error or the deadline.
 */
static int
transport_again(int fd, short events, long long deadline, const char *what,
    char **cause)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK) {
		xasprintf(cause, "%s: %s", what, strerror(errno));
		return -1;
	}
	return transport_wait(fd, events, deadline, what, cause);
}

/* The oldest OpenSSL error as a string, and clear the queue. */
static const char *
transport_ssl_error(char *buf, size_t len)
{
	unsigned long	 e;

	e = ERR_get_error();
	if (e == 0)
		strlcpy(buf, "unknown error", len);
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* Make fd non-blocking and close-on-exec. */
static void
transport_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if ((flags = fcntl(fd, F_GETFD)) != -1)
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

struct transport *
transport_fds(int readfd, int writefd, int timeout)
{
	struct transport	*t;

	t = xcalloc(1, sizeof(*t));
	t->readfd = readfd;
	t->writefd = writefd;
	t->timeout = timeout > 0 ? timeout : 1;
	transport_nonblock(readfd);
	if (writefd != readfd)
		transport_nonblock(writefd);
	return t;
}

/* One non-blocking connect to ai, bounded by timeout. Returns fd or -1. */
static int
transport_connect_one(const struct addrinfo *ai, int timeout,
    const char *address, char **cause)
{
	socklen_t	 len;
	int		 fd, error, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			xasprintf(cause, "connect to %s: %s", address,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (transport_wait(fd, POLLOUT, clock_ms() +
		    timeout * 1000LL, "connecting", cause) != 0) {
			char	*inner = *cause;

			xasprintf(cause, "connect to %s: %s", address, inner);
			free(inner);
			close(fd);
			return -1;
		}
		len = sizeof(error);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
			error = errno;
		if (error != 0) {
			xasprintf(cause, "connect to %s: %s", address,
			    strerror(error));
			close(fd);
			return -1;
		}
	}
	/* We write whole batches of commands: no reason to wait for ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

struct transport *
transport_connect(const char *host, int port, int timeout, char *address,
    size_t addresslen, char **cause)
{
	struct addrinfo		 hints, *res, *ai;
	char			 service[16], ip[NI_MAXHOST];
	char			 tried[NI_MAXHOST + 300];
	char			*last = NULL;
	int			 fd = -1, error;

	if (timeout <= 0)
		timeout = 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* No AI_ADDRCONFIG: it hides localhost where only lo is up; an
	 * unusable family just fails to connect and the next is tried. */
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	if ((error = getaddrinfo(host, service, &hints, &res)) != 0) {
		xasprintf(cause, "%s: %s", host, error == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(error));
		return NULL;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip),
		    NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(ip, "?", sizeof(ip));
		snprintf(tried, sizeof(tried), "%s[%s]:%d", host, ip, port);
		free(last);
		last = NULL;
		fd = transport_connect_one(ai, timeout, tried, &last);
		if (fd == -1)
			log_debug("%s", last);
	}
	freeaddrinfo(res);
	if (fd == -1) {
		*cause = last != NULL ? last : xprintf("%s: no address", host);
		return NULL;
	}
	free(last);
	if (addresslen > 0)
		strlcpy(address, tried, addresslen);
	return transport_fds(fd, fd, timeout);
}

int
transport_is_tls(const struct transport *t)
{
	return t->ssl != NULL;
}

/*
 * Drive one SSL call that wants to read or write: wait for the socket as
 * OpenSSL asks. Returns 1 to retry, 0 on a clean close, -1 on error.
 */
static int
transport_ssl_wait(struct transport *t, int rc, long long deadline,
    const char *what, char **cause)
{
	char	 buf[256];
	int	 error;

	error = SSL_get_error(t->ssl, rc);
	switch (error) {
	case SSL_ERROR_WANT_READ:
		return transport_wait(t->readfd, POLLIN, deadline, what,
		    cause) == 0 ? 1 : -1;
	case SSL_ERROR_WANT_WRITE:
		return transport_wait(t->writefd, POLLOUT, deadline, what,
		    cause) == 0 ? 1 : -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == 0 || errno == ECONNRESET)
				return 0;
			xasprintf(cause, "%s%s%s", what != NULL ? what : "",
			    what != NULL ? ": " : "", strerror(errno));
			return -1;
		}
		/* FALLTHROUGH */
	default:
		xasprintf(cause, "%s%s%s", what != NULL ? what : "",
		    what != NULL ? ": TLS: " : "",
		    transport_ssl_error(buf, sizeof(buf)));
		return -1;
	}
}

/* Lowercase hex of the SHA-256 digest of cert's DER encoding. */
static void
transport_fingerprint(X509 *cert, char *hex, size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	hex[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &n) != 1)
		return;
	for (i = 0; i < n && 2 * i + 2 < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Normalise a pin: drop colons, lowercase; -1 unless 64 hex digits. */
static int
transport_pin(const char *in, char *out, size_t len)
{
	size_t	 n = 0;

	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n + 1 >= len)
			return -1;
		out[n++] = tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return n == 64 ? 0 : -1;
}

/* The context of every connection, once transport_tls_init made it. */
static SSL_CTX	*transport_shared;

/* A client context: TLS 1.2 at least, the system's CA store. NULL if
 * the store does not load and verify is wanted. */
static SSL_CTX *
transport_ctx_new(int verify)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (SSL_CTX_set_default_verify_paths(ctx) != 1 && verify)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
transport_tls_init(void)
{
	ERR_clear_error();
	if (transport_shared == NULL)
		transport_shared = transport_ctx_new(1);
	ERR_clear_error();
	return transport_shared != NULL ? 0 : -1;
}

/* Set up the SSL object: SNI and the name the certificate must carry. */
static int
transport_ssl_new(struct transport *t, const char *host, int verify,
    char **cause)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	char		 buf[256];
	int		 ip;

	ERR_clear_error();
	if (transport_shared != NULL && SSL_CTX_up_ref(transport_shared) == 1)
		t->ctx = transport_shared;
	else if ((t->ctx = transport_ctx_new(verify)) == NULL)
		goto fail;
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_rfd(t->ssl, t->readfd) != 1 ||
	    SSL_set_wfd(t->ssl, t->writefd) != 1)
		goto fail;
	/* Always check the name, so "verified" is true also when not
	 * enforced; verify only decides whether a failure stops us. */
	ip = inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
	if (ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    host) != 1)
			goto fail;
	} else {
		if (SSL_set_tlsext_host_name(t->ssl, host) != 1 ||
		    SSL_set1_host(t->ssl, host) != 1)
			goto fail;
	}
	SSL_set_verify(t->ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	return 0;
fail:
	xasprintf(cause, "TLS setup: %s", transport_ssl_error(buf,
	    sizeof(buf)));
	return -1;
}

/* Fill info from the finished handshake. */
static void
transport_tls_info(struct transport *t, X509 *cert,
    struct transport_tls *info)
{
	BIO	*bio;
	int	 n;

	strlcpy(info->version, SSL_get_version(t->ssl),
	    sizeof(info->version));
	strlcpy(info->cipher, SSL_get_cipher_name(t->ssl),
	    sizeof(info->cipher));
	info->subject[0] = '\0';
	info->fingerprint[0] = '\0';
	info->verified = 0;
	if (cert == NULL)
		return;
	if ((bio = BIO_new(BIO_s_mem())) != NULL) {
		X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
		    XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
		n = BIO_read(bio, info->subject, sizeof(info->subject) - 1);
		info->subject[n > 0 ? n : 0] = '\0';
		BIO_free(bio);
	}
	transport_fingerprint(cert, info->fingerprint,
	    sizeof(info->fingerprint));
	info->verified = SSL_get_verify_result(t->ssl) == X509_V_OK;
}

int
transport_starttls(struct transport *t, const char *host, int verify,
    const char *fingerprint, struct transport_tls *info, char **cause)
{
	char		 pin[65], *inner = NULL;
	X509		*cert;
	long long	 deadline;
	long		 result;
	int		 rc;

	memset(info, 0, sizeof(*info));
	if (t->ssl != NULL) {
		*cause = xstrdup("TLS already active");
		return -1;
	}
	if (fingerprint != NULL && *fingerprint != '\0' &&
	    transport_pin(fingerprint, pin, sizeof(pin)) != 0) {
		xasprintf(cause, "bad tls_fingerprint (want the SHA-256 of "
		    "the certificate, 64 hex digits): %s", fingerprint);
		return -1;
	}
	if (fingerprint != NULL && *fingerprint == '\0')
		fingerprint = NULL;
	/* With a pin, the pin decides: check it after the handshake. */
	if (transport_ssl_new(t, host, verify && fingerprint == NULL,
	    cause) != 0)
		return -1;
	/* Bytes read before STLS belong to the plain session. */
	t->start = t->end = 0;
	deadline = clock_ms() + t->timeout * 1000LL;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_connect(t->ssl)) == 1)
			break;
		rc = transport_ssl_wait(t, rc, deadline, NULL, &inner);
		if (rc == 1)
			continue;
		result = SSL_get_verify_result(t->ssl);
		if (result != X509_V_OK && verify && fingerprint == NULL)
			xasprintf(cause, "TLS handshake with %s failed: "
			    "certificate verification failed: %s", host,
			    X509_verify_cert_error_string(result));
		else
			xasprintf(cause, "TLS handshake with %s failed: %s",
			    host, inner != NULL ? inner :
			    "connection closed by server");
		free(inner);
		return -1;
	}
	cert = SSL_get1_peer_certificate(t->ssl);
	transport_tls_info(t, cert, info);
	X509_free(cert);
	if (fingerprint != NULL) {
		if (strcmp(info->fingerprint, pin) != 0) {
			xasprintf(cause, "TLS certificate of %s does not match "
			    "the pinned fingerprint: it is %s", host,
			    info->fingerprint[0] != '\0' ? info->fingerprint :
			    "(no certificate)");
			return -1;
		}
		info->pinned = 1;
	}
	return 0;
}

/*
 * A read that failed at the deadline the budget set: say the server was
 * too slow rather than silent. Returns -1.
 */
static int
transport_slow(struct transport *t, long long start, long long deadline,
    int slow, char **cause)
{
	long long	 now;

	now = clock_ms();
	t->waited += now - start;
	if (!slow || now < deadline)
		return -1;
	free(*cause);
	xasprintf(cause, "timeout: server too slow (%llu bytes in %lld s "
	    "since the last command, under %d bytes/s)", t->got,
	    t->waited / 1000, TRANSPORT_MIN_RATE);
	return -1;
}

/*
 * The deadline of the next wait for the server: the read's own, or
 * sooner when the budget of the command (timeout plus a second per
 * TRANSPORT_MIN_RATE bytes read since it was sent, less the time already
 * waited) runs out first; then *slow is set.
 */
static long long
transport_budget(const struct transport *t, long long now,
    long long deadline, int *slow)
{
	long long	 left;

	left = t->timeout * 1000LL + (long long)(t->got * 1000 /
	    TRANSPORT_MIN_RATE) - t->waited;
	*slow = now + left < deadline;
	return *slow ? now + left : deadline;
}

/* Read more into the buffer. Returns 0, or -1 with *cause. */
static int
transport_fill(struct transport *t, long long deadline, char **cause)
{
	ssize_t		 n;
	size_t		 space;
	long long	 start;
	int		 rc, slow;

	if (t->start > 0) {
		memmove(t->in, t->in + t->start, t->end - t->start);
		t->end -= t->start;
		t->start = 0;
	}
	space = sizeof(t->in) - t->end;
	start = clock_ms();
	deadline = transport_budget(t, start, deadline, &slow);
	for (;;) {
		if (t->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			rc = SSL_read(t->ssl, t->in + t->end, space > INT_MAX ?
			    INT_MAX : (int)space);
			if (rc > 0) {
				n = rc;
				break;
			}
			rc = transport_ssl_wait(t, rc, deadline,
			    "reading from server", cause);
			if (rc == 1)
				continue;
			if (rc == 0)
				*cause = xstrdup("connection closed by server");
			return transport_slow(t, start, deadline, slow, cause);
		}
		n = read(t->readfd, t->in + t->end, space);
		if (n > 0)
			break;
		if (n == 0) {
			*cause = xstrdup("connection closed by server");
			return -1;
		}
		if (transport_again(t->readfd, POLLIN, deadline,
		    "reading from server", cause) != 0)
			return transport_slow(t, start, deadline, slow, cause);
	}
	t->end += n;
	t->got += n;
	t->waited += clock_ms() - start;
	return 0;
}

int
transport_getline(struct transport *t, const char **line, size_t *len,
    int *partial, char **cause)
{
	long long	 deadline;
	char		*nl;
	size_t		 n;

	deadline = clock_ms() + t->timeout * 1000LL;
	for (;;) {
		n = t->end - t->start;
		nl = memchr(t->in + t->start, '\n', n);
		if (nl != NULL) {
			*line = t->in + t->start;
			*len = nl - *line;
			if (*len > 0 && (*line)[*len - 1] == '\r')
				(*len)--;
			*partial = 0;
			t->start = nl + 1 - t->in;
			return 0;
		}
		if (n == sizeof(t->in)) {
			/* A piece of a long line; keep a final CR back in
			 * case its LF comes next. */
			*line = t->in + t->start;
			*len = n;
			if (t->in[t->end - 1] == '\r')
				(*len)--;
			*partial = 1;
			t->start += *len;
			return 0;
		}
		if (transport_fill(t, deadline, cause) != 0)
			return -1;
	}
}

int
transport_getbytes(struct transport *t, size_t max, const char **data,
    size_t *len, char **cause)
{
	long long	 deadline;

	deadline = clock_ms() + t->timeout * 1000LL;
	while (t->end == t->start) {
		if (transport_fill(t, deadline, cause) != 0)
			return -1;
	}
	*data = t->in + t->start;
	*len = t->end - t->start;
	if (*len > max)
		*len = max;
	t->start += *len;
	return 0;
}

/* Write len bytes from buf, waiting as needed. */
static int
transport_send(struct transport *t, const char *buf, size_t len,
    char **cause)
{
	long long	 deadline;
	ssize_t		 n;
	int		 rc;

	deadline = clock_ms() + t->timeout * 1000LL;
	/* A command: the reads of its answer start a new budget. */
	t->waited = 0;
	t->got = 0;
	while (len > 0) {
		if (t->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			rc = SSL_write(t->ssl, buf, len > INT_MAX ? INT_MAX :
			    (int)len);
			if (rc > 0) {
				buf += rc;
				len -= rc;
				continue;
			}
			rc = transport_ssl_wait(t, rc, deadline,
			    "writing to server", cause);
			if (rc == 1)
				continue;
			if (rc == 0)
				*cause = xstrdup("connection closed by server");
			return -1;
		}
		n = send(t->writefd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == ENOTSOCK)
			n = write(t->writefd, buf, len);
		if (n >= 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (transport_again(t->writefd, POLLOUT, deadline,
		    "writing to server", cause) != 0)
			return -1;
	}
	return 0;
}

int
transport_flush(struct transport *t, char **cause)
{
	int	 rc;

	if (t->outlen == 0)
		return 0;
	rc = transport_send(t, t->out, t->outlen, cause);
	explicit_bzero(t->out, t->outlen);
	t->outlen = 0;
	return rc;
}

int
transport_write(struct transport *t, const void *data, size_t len,
    char **cause)
{
	const char	*p = data;
	size_t		 n;

	while (len > 0) {
		if (t->outlen == sizeof(t->out) &&
		    transport_flush(t, cause) != 0)
			return -1;
		n = sizeof(t->out) - t->outlen;
		if (n > len)
			n = len;
		memcpy(t->out + t->outlen, p, n);
		t->outlen += n;
		p += n;
		len -= n;
	}
	return 0;
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	if (t->readfd != -1)
		close(t->readfd);
	if (t->writefd != -1 && t->writefd != t->readfd)
		close(t->writefd);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

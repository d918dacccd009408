/*
 * Unit tests for fetcher/transport.c: the line reader (CRLF, LF, NUL
 * bytes, over-long lines in pieces), the raw byte reader, the chunked
 * writer, the budget of a command's answer against a server that
 * trickles, connect errors, and the TLS client against a child TLS server
 * with a certificate made here: verification, host names, fingerprint
 * pins.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../../fetcher/transport.h"
#include "clock.h"
#include "tap.h"
#include "xmalloc.h"

/*
 * Fork a child on the other end of a socketpair. *fd is the caller's end:
 * the child's in the child (*pid 0), the parent's in the parent.
 */
static void
fork_peer(pid_t *pid, int *fd)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    (*pid = fork()) == -1)
		exit(1);
	close(sv[*pid == 0 ? 0 : 1]);
	*fd = sv[*pid == 0 ? 1 : 0];
}

/* Fork a child that writes len bytes of data to its end, then closes. */
static int
writer(const char *data, size_t len, pid_t *pid)
{
	ssize_t	 n;
	int	 fd;

	fork_peer(pid, &fd);
	if (*pid == 0) {
		for (; len > 0; data += n, len -= n) {
			if ((n = write(fd, data, len)) <= 0)
				_exit(1);
		}
		_exit(0);
	}
	return fd;
}

/* Lines as the reader hands them out. */
static void
test_lines(void)
{
	static const char	 input[] = "a\r\nb\nc\rd\r\n\r\nn\0l\r\nend";
	struct transport	*t;
	const char		*line;
	size_t			 len;
	char			*cause = NULL, *big;
	pid_t			 pid;
	int			 partial;

	t = transport_fds(writer(input, sizeof(input) - 1, &pid), -1, 5);
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 1 && memcmp(line, "a", 1) == 0 && !partial, "CRLF line");
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 1 && memcmp(line, "b", 1) == 0, "LF line");
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 3 && memcmp(line, "c\rd", 3) == 0, "bare CR kept");
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 0, "empty line");
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 3 && memcmp(line, "n\0l", 3) == 0, "NUL byte kept");
	ok(transport_getline(t, &line, &len, &partial, &cause) == -1,
	    "unterminated last line at EOF: error");
	is_str(cause, "connection closed by server", "EOF cause");
	free(cause);
	cause = NULL;
	transport_free(t);
	waitpid(pid, NULL, 0);

	/* 100000 bytes then CRLF: one full buffer, then the rest. */
	big = xmalloc(100002);
	memset(big, 'x', 100000);
	big[TRANSPORT_BUFFER - 1] = '\r';	/* held back: its LF might follow */
	memcpy(big + 100000, "\r\n", 2);
	t = transport_fds(writer(big, 100002, &pid), -1, 5);
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    partial && len == TRANSPORT_BUFFER - 1,
	    "long line: first piece partial (%zu)", len);
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    !partial && len == 100000 - TRANSPORT_BUFFER + 1 &&
	    line[0] == '\r', "long line: the rest, starting with the CR");
	transport_free(t);
	waitpid(pid, NULL, 0);
	free(big);
}

/* Raw bytes after a line: at most max at a time, CR, LF and NUL as data. */
static void
test_bytes(void)
{
	static const char	 input[] = "{7}\r\na\r\n\0b\nc" "next\r\n";
	struct transport	*t;
	const char		*line, *data;
	size_t			 len;
	char			*cause = NULL;
	pid_t			 pid;
	int			 partial;

	t = transport_fds(writer(input, sizeof(input) - 1, &pid), -1, 5);
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 3, "bytes: the count line");
	ok(transport_getbytes(t, 4, &data, &len, &cause) == 0 && len == 4 &&
	    memcmp(data, "a\r\n\0", 4) == 0, "bytes: at most max, raw");
	ok(transport_getbytes(t, 3, &data, &len, &cause) == 0 && len == 3 &&
	    memcmp(data, "b\nc", 3) == 0, "bytes: the rest");
	ok(transport_getline(t, &line, &len, &partial, &cause) == 0 &&
	    len == 4 && memcmp(line, "next", 4) == 0,
	    "bytes: lines go on after them");
	ok(transport_getbytes(t, 10, &data, &len, &cause) == -1,
	    "bytes: EOF is an error");
	is_str(cause, "connection closed by server", "bytes: EOF cause");
	free(cause);
	transport_free(t);
	waitpid(pid, NULL, 0);
}

/* The writer sends everything queued, in chunks, and nothing before. */
static void
test_writer(void)
{
	struct transport	*t;
	char			*cause = NULL, *data, buf[65536];
	size_t			 total = 0;
	ssize_t			 n;
	pid_t			 pid;
	int			 fd, i, good = 1;

	fork_peer(&pid, &fd);
	if (pid == 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += n;
		_exit(total == 300000 ? 0 : 1);
	}
	t = transport_fds(fd, fd, 5);
	data = xmalloc(1000);
	memset(data, 'w', 1000);
	for (i = 0; i < 300; i++)
		good &= transport_write(t, data, 1000, &cause) == 0;
	good &= transport_flush(t, &cause) == 0;
	ok(good, "writer: 300 KB queued and flushed");
	transport_free(t);
	waitpid(pid, &i, 0);
	ok(WIFEXITED(i) && WEXITSTATUS(i) == 0, "writer: peer got 300 KB");
	free(data);
}

/*
 * A server that sends a short line every 300 ms never lets one read time
 * out (1 s), but the answer's budget does: about a second, not for ever.
 * A command sent starts a new budget.
 */
static void
test_trickle(void)
{
	struct transport	*t;
	const char		*line;
	size_t			 len;
	char			*cause = NULL;
	long long		 start, took;
	pid_t			 pid;
	int			 fd, partial, lines = 0;

	fork_peer(&pid, &fd);
	if (pid == 0) {
		while (write(fd, "\n", 1) == 1)
			usleep(300000);
		_exit(0);
	}
	t = transport_fds(fd, fd, 1);
	start = clock_ms();
	while (lines < 100 && transport_getline(t, &line, &len, &partial,
	    &cause) == 0)
		lines++;
	took = clock_ms() - start;
	ok(lines < 100 && took < 2500, "trickle: given up after %d lines, "
	    "%lld ms", lines, took);
	ok(cause != NULL && strncmp(cause, "timeout: server too slow (",
	    26) == 0 && strstr(cause, " since the last command, under 1000 "
	    "bytes/s)") != NULL, "trickle: the cause says the server was too "
	    "slow: %s", cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	ok(transport_write(t, "NOOP\r\n", 6, &cause) == 0 &&
	    transport_flush(t, &cause) == 0 &&
	    transport_getline(t, &line, &len, &partial, &cause) == 0,
	    "trickle: a new command, a new budget");
	transport_free(t);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* A refused connection names the address. */
static void
test_connect(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct transport	*t;
	char			 address[128], want[160];
	char			*cause = NULL;
	int			 fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	t = transport_connect("127.0.0.1", port, 2, address, sizeof(address),
	    &cause);
	ok(t == NULL, "connect to a closed port fails");
	snprintf(want, sizeof(want), "connect to 127.0.0.1[127.0.0.1]:%d: "
	    "Connection refused", port);
	is_str(cause, want, "connect: cause names the address");
	free(cause);
	cause = NULL;
	t = transport_connect("no-such-host.invalid", 110, 2, address,
	    sizeof(address), &cause);
	ok(t == NULL && cause != NULL && strncmp(cause,
	    "no-such-host.invalid: ", 22) == 0, "unknown host: %s", cause);
	free(cause);
}

static EVP_PKEY	*tls_key;
static X509	*tls_cert;

/* A self-signed certificate for localhost. */
static void
make_cert(void)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	X509_NAME	*name;

	tls_key = EVP_EC_gen("P-256");
	tls_cert = X509_new();
	X509_set_version(tls_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(tls_cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(tls_cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(tls_cert), 86400);
	name = X509_get_subject_name(tls_cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(tls_cert, name);
	X509_set_pubkey(tls_cert, tls_key);
	X509V3_set_ctx(&ctx, tls_cert, tls_cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "DNS:localhost");
	X509_add_ext(tls_cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(tls_cert, tls_key, EVP_sha256());
}

/* Fork a TLS server: handshake, read a line, answer "pong". */
static int
tls_server(pid_t *pid)
{
	SSL_CTX	*ctx;
	SSL	*ssl;
	char	 buf[64];
	int	 fd;

	fork_peer(pid, &fd);
	if (*pid == 0) {
		ctx = SSL_CTX_new(TLS_server_method());
		SSL_CTX_use_certificate(ctx, tls_cert);
		SSL_CTX_use_PrivateKey(ctx, tls_key);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1 && SSL_read(ssl, buf,
		    sizeof(buf)) > 0)
			SSL_write(ssl, "pong\r\n", 6);
		SSL_shutdown(ssl);
		_exit(0);
	}
	return fd;
}

/* One handshake; returns 0 or -1 with *cause, and *info. */
static int
tls_try(const char *host, int verify, const char *pin,
    struct transport_tls *info, char **cause, int talk)
{
	struct transport	*t;
	const char		*line;
	size_t			 len;
	pid_t			 pid;
	int			 rc, partial, fd;

	*cause = NULL;
	fd = tls_server(&pid);
	t = transport_fds(fd, fd, 5);
	rc = transport_starttls(t, host, verify, pin, info, cause);
	if (rc == 0 && talk) {
		ok(transport_write(t, "ping\r\n", 6, cause) == 0 &&
		    transport_flush(t, cause) == 0 &&
		    transport_getline(t, &line, &len, &partial, cause) == 0 &&
		    len == 4 && memcmp(line, "pong", 4) == 0,
		    "TLS: a line each way");
	}
	transport_free(t);
	waitpid(pid, NULL, 0);
	return rc;
}

/* Verification, host names, pins. */
static void
test_tls(void)
{
	struct transport_tls	 info;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	char			 pin[65], path[] = "/tmp/pf-transport-XXXXXX";
	char			*cause;
	FILE			*f;
	int			 fd;

	make_cert();
	X509_digest(tls_cert, EVP_sha256(), md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(pin + 2 * i, 3, "%02x", md[i]);

	setenv("SSL_CERT_FILE", "/dev/null", 1);
	ok(tls_try("localhost", 1, NULL, &info, &cause, 0) == -1,
	    "self-signed, verify: refused");
	is_str(cause, "TLS handshake with localhost failed: certificate "
	    "verification failed: self-signed certificate", "self-signed: cause");
	free(cause);
	ok(tls_try("localhost", 0, NULL, &info, &cause, 1) == 0,
	    "self-signed, no verify: accepted");
	ok(!info.verified && !info.pinned, "no verify: not verified");
	is_str(info.version, "TLSv1.3", "TLS version");
	is_str(info.subject, "CN = localhost", "certificate subject");
	is_str(info.fingerprint, pin, "fingerprint recorded");
	free(cause);
	ok(tls_try("localhost", 1, pin, &info, &cause, 1) == 0 &&
	    info.pinned && !info.verified, "pinned self-signed: accepted");
	free(cause);
	pin[0] = pin[0] == '0' ? '1' : '0';
	ok(tls_try("localhost", 0, pin, &info, &cause, 0) == -1,
	    "wrong pin, even without verify: refused");
	ok(cause != NULL && strstr(cause, "does not match the pinned "
	    "fingerprint") != NULL, "wrong pin: %s", cause);
	free(cause);
	ok(tls_try("localhost", 1, "abc", &info, &cause, 0) == -1,
	    "malformed pin refused");
	free(cause);

	/* Trust the certificate as a CA: verified, and names checked. */
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	PEM_write_X509(f, tls_cert);
	fclose(f);
	setenv("SSL_CERT_FILE", path, 1);
	ok(tls_try("localhost", 1, NULL, &info, &cause, 1) == 0 &&
	    info.verified, "trusted certificate: verified");
	free(cause);
	ok(tls_try("mail.example.org", 1, NULL, &info, &cause, 0) == -1,
	    "wrong host name: refused");
	is_str(cause, "TLS handshake with mail.example.org failed: "
	    "certificate verification failed: hostname mismatch",
	    "wrong host name: cause");
	free(cause);
	ok(tls_try("127.0.0.1", 1, NULL, &info, &cause, 0) == -1,
	    "IP address not in the certificate: refused");
	free(cause);
	ok(tls_try("mail.example.org", 0, NULL, &info, &cause, 0) == 0 &&
	    !info.verified, "wrong host name, no verify: accepted, unverified");
	free(cause);
	unlink(path);
	unsetenv("SSL_CERT_FILE");
	X509_free(tls_cert);
	EVP_PKEY_free(tls_key);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_lines();
	test_bytes();
	test_writer();
	test_trickle();
	test_connect();
	test_tls();
	return done_testing();
}

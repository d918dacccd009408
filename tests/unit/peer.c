/*
 * The scripted server of the protocol unit tests: a forked child that
 * plays a transcript into a socketpair and records the client's side;
 * an account for it, and a sink that records what a driver feeds it.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fetcher/account.h"
#include "../../fetcher/driver.h"
#include "peer.h"
#include "tap.h"
#include "xmalloc.h"

void
buffer_add(struct buffer *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->size) {
		b->size = (b->len + len + 1) * 2;
		b->data = xreallocarray(b->data, b->size, 1);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Write all of data; 0, or -1 when the client went away. */
static int
peer_write(int fd, const char *data, size_t len)
{
	ssize_t	 n;

	for (; len > 0; data += n, len -= n) {
		if ((n = write(fd, data, len)) <= 0)
			return -1;
	}
	return 0;
}

void
peer_start_big(struct peer *peer, const char *head, size_t headlen,
    const char *body, size_t bodylen, size_t repeat, const char *tail,
    int hang)
{
	char	 buf[8192];
	ssize_t	 n;
	size_t	 i;
	int	 sv[2], pipefd[2], good;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    pipe(pipefd) == -1 || (peer->pid = fork()) == -1) {
		perror("peer_start");
		exit(1);
	}
	if (peer->pid == 0) {
		close(sv[0]);
		close(pipefd[0]);
		signal(SIGPIPE, SIG_IGN);
		good = peer_write(sv[1], head, headlen) == 0;
		for (i = 0; good && i < repeat; i++)
			good = peer_write(sv[1], body, bodylen) == 0;
		if (good && tail != NULL)
			peer_write(sv[1], tail, strlen(tail));
		if (!hang)
			shutdown(sv[1], SHUT_WR);
		while ((n = read(sv[1], buf, sizeof(buf))) > 0)
			write(pipefd[1], buf, n);
		_exit(0);
	}
	close(sv[1]);
	close(pipefd[1]);
	peer->fd = sv[0];
	peer->transcript = pipefd[0];
}

void
peer_start(struct peer *peer, const char *data, int hang)
{
	peer_start_big(peer, data, strlen(data), NULL, 0, 0, NULL, hang);
}

char *
peer_finish(struct peer *peer)
{
	struct buffer	 b = { NULL, 0, 0 };
	char		 buf[8192];
	ssize_t		 n;

	buffer_add(&b, "", 0);
	while ((n = read(peer->transcript, buf, sizeof(buf))) > 0)
		buffer_add(&b, buf, n);
	close(peer->transcript);
	waitpid(peer->pid, NULL, 0);
	return b.data;
}

void
peer_account(struct account *a, const char *protocol, const char *tls,
    const char *auth, const char *user, const char *password)
{
	memset(a, 0, sizeof(*a));
	a->name = (char *)"acct";
	a->protocol = (char *)protocol;
	a->host = (char *)"localhost";
	a->tls = (char *)tls;
	a->tls_verify = 1;
	a->auth = (char *)auth;
	a->username = (char *)(user != NULL ? user : "u");
	a->password = (char *)(password != NULL ? password : "p");
}

static int
record_begin(void *arg, size_t index)
{
	struct record	*r = arg;
	char		 s[32];

	if (r->open)
		r->misuse = 1;
	r->open = 1;
	snprintf(s, sizeof(s), "B%zu|", index);
	buffer_add(&r->b, s, strlen(s));
	return 0;
}

static int
record_data(void *arg, const char *data, size_t len, int eol)
{
	struct record	*r = arg;

	if (!r->open)
		r->misuse = 1;
	if (r->refuse && r->b.len == 3)
		return -1;
	r->bytes += len;
	r->pieces++;
	r->lines += eol;
	if (!r->count_only) {
		buffer_add(&r->b, data, len);
		if (eol)
			buffer_add(&r->b, "\n", 1);
	}
	return 0;
}

static int
record_end(void *arg, size_t index, int complete, const char *refusal)
{
	struct record	*r = arg;
	char		 s[160];

	if (!r->open)
		r->misuse = 1;
	r->open = 0;
	snprintf(s, sizeof(s), "|E%zu:%d%s%s\n", index, complete,
	    refusal != NULL ? ":" : "", refusal != NULL ? refusal : "");
	buffer_add(&r->b, s, strlen(s));
	return r->stop;
}

const struct driver_sink record_sink = {
	record_begin, record_data, record_end
};

int
record_is(const struct record *r, const char *want, size_t len,
    const char *name)
{
	if (ok(r->b.len == len && memcmp(r->b.data, want, len) == 0,
	    "%s: sink fed right", name))
		return 1;
	diag("got \"%s\"", r->b.data);
	return 0;
}

/*
 * A scripted server for protocol unit tests (fetcher_pop3, fetcher_imap,
 * fetcher_imap_reader): a child process on the other end of a
 * socketpair sends a script, then hands back every byte the client sent.
 * Also what those tests share: an account for it, and a sink that
 * records what a driver feeds it.
 */
#ifndef PEER_H
#define PEER_H

#include <sys/types.h>

#include <stddef.h>

/* A growing byte buffer (NUL-safe, always NUL-terminated once used). */
struct buffer {
	char	*data;
	size_t	 len;
	size_t	 size;
};

/* The scripted server. */
struct peer {
	pid_t	 pid;
	int	 fd;		/* the client's end */
	int	 transcript;	/* pipe: what the client sent */
};

void	 buffer_add(struct buffer *, const void *data, size_t len);
/*
 * Start a server that sends head, then body repeat times, then tail (a
 * way to script huge messages), then closes its sending side unless hang
 * is set, and collects what the client sends.
 */
void	 peer_start_big(struct peer *, const char *head, size_t headlen,
	    const char *body, size_t bodylen, size_t repeat, const char *tail,
	    int hang);
/* The same for a plain string script. */
void	 peer_start(struct peer *, const char *data, int hang);
/* After the client closed its end: what it sent (caller frees). */
char	*peer_finish(struct peer *);

struct account;
struct driver_sink;

/*
 * An account for the scripted server: name "acct", host "localhost",
 * tls_verify on; user and password default to "u" and "p".
 */
void	 peer_account(struct account *, const char *protocol,
	    const char *tls, const char *auth, const char *user,
	    const char *password);

/*
 * What a driver_sink is fed, as "B<index>|data|E<index>:<complete>" lines
 * (data lines end in "\n", ":refusal" after complete), with the driver's
 * contract checked: begin and end paired, data only between them.
 */
struct record {
	struct buffer	 b;
	int		 refuse;	/* data() fails for index 0 */
	int		 stop;		/* end() says stop */
	int		 count_only;	/* only count: huge messages */
	size_t		 bytes;
	size_t		 pieces;
	size_t		 lines;
	int		 open;		/* begun, not ended */
	int		 misuse;	/* begin twice, data or end outside */
};

extern const struct driver_sink record_sink;
/* A test point: r recorded exactly want (len octets), shown if not. */
int	 record_is(const struct record *, const char *want, size_t len,
	    const char *name);

#endif

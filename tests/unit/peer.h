/*
 * A scripted server for protocol unit tests (fetcher_pop3,
 * fetcher_imap_reader): a child process on the other end of a
 * socketpair sends a script, then hands back every byte the client sent.
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

#endif

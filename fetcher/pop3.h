/*
 * POP3 client (RFC 1939, 2449, 2595, 5034): connect, TLS, authenticate,
 * list, retrieve (streamed, dot-unstuffed), delete. Errors come back as
 * one line in *cause that includes the server's reply where there is one.
 */
#ifndef POP3_H
#define POP3_H

#include <stddef.h>

struct account;
struct conf;
struct pop3;
struct transport;

/* What check prints and poll logs about a session. */
struct pop3_info {
	char	 address[128];	/* "host[ip]:port" connected to */
	int	 tls;		/* TLS active */
	char	 tls_version[32];
	char	 tls_cipher[64];
	char	 tls_subject[256];
	int	 tls_verified;	/* chain and host name checked and good */
	char	 capabilities[512]; /* CAPA lines joined by spaces */
	char	 auth_method[32];  /* "USER/PASS", "APOP", "PLAIN", ... */
	int	 pipelining;
	/* Added after the first interface: */
	char	 tls_fingerprint[65]; /* SHA-256 of the server cert, hex */
	int	 tls_pinned;	/* matched account->tls_fingerprint */
};

/* One message on the server. */
struct pop3_message {
	unsigned		 number;	/* message number this session */
	char			 uid[71];	/* UIDL, 1-70 printable chars */
	unsigned long long	 size;		/* octets, from LIST */
};

/* Callbacks for pop3_retrieve; a non-zero return from data/begin stops
 * feeding this message (the data is still drained from the server). */
struct pop3_sink {
	int	(*begin)(void *arg, size_t index);
	/* A piece of a line (CRLF stripped, dot-unstuffed); eol = the line
	 * ends here. A long line arrives in several pieces. */
	int	(*data)(void *arg, const char *data, size_t len, int eol);
	/* complete = the terminating "." was read. A non-zero return stops
	 * the retrieval: no further RETR is sent, replies already pipelined
	 * are drained unseen, and pop3_retrieve returns 0. */
	int	(*end)(void *arg, size_t index, int complete);
};

/*
 * Connect, negotiate TLS as the account says, authenticate. timeout is
 * in seconds and bounds every read and write. On success *info is filled
 * in as far as the session got, also on failure.
 */
struct pop3	*pop3_open(const struct account *, int timeout,
		    const char *token_command_argv[], struct pop3_info *info,
		    char **cause);
/* Message count and total size (STAT). */
int		 pop3_stat(struct pop3 *, unsigned *count,
		    unsigned long long *size, char **cause);
/* All messages with UID and size (UIDL + LIST, pipelined if offered). */
int		 pop3_list(struct pop3 *, struct pop3_message **list,
		    size_t *count, char **cause);
/*
 * Retrieve the given messages in order, pipelining RETR commands when the
 * server offers PIPELINING; each is fed to the sink. Returns -1 only when
 * the session is unusable (network, protocol); a refused RETR is reported
 * through end(complete = 0) and the rest go on.
 */
int		 pop3_retrieve(struct pop3 *, const struct pop3_message *list,
		    const size_t *indexes, size_t count,
		    const struct pop3_sink *, void *arg, char **cause);
/* DELE the given message numbers (pipelined when offered). */
int		 pop3_delete(struct pop3 *, const unsigned *numbers,
		    size_t count, char **cause);
/* QUIT: the server expunges deleted messages only on a clean QUIT. */
int		 pop3_quit(struct pop3 *, char **cause);
/* Close the connection and free everything (no QUIT). */
void		 pop3_close(struct pop3 *);
/*
 * The server's last status line (non-printable bytes replaced, truncated),
 * e.g. the -ERR of a refused RETR when the sink's end() sees complete = 0.
 */
const char	*pop3_last_reply(const struct pop3 *);
/*
 * pop3_open over a transport the caller made (tests, fuzzing); it takes
 * the transport and frees it on failure. account->host is the name the
 * TLS certificate must carry.
 */
struct pop3	*pop3_open_transport(struct transport *,
		    const struct account *, int timeout,
		    const char *token_command_argv[], struct pop3_info *info,
		    char **cause);

#endif

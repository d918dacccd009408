/*
 * Inside the POP3 client: the session structure and the helpers that
 * pop3.c (session, mail) and pop3_auth.c (logging in) share. Not for
 * other modules: they use pop3.h.
 */
#ifndef POP3_SESSION_H
#define POP3_SESSION_H

#include <stddef.h>

struct account;
struct driver_info;

#define POP3_COMMAND_MAX	512	/* RFC 2449: 255 octets; be lenient */
#define POP3_AUTH_IR_MAX	255	/* RFC 5034: AUTH with initial response */
#define POP3_REPLY_SHOWN	200	/* octets of a reply put in a cause */
#define POP3_RETR_WINDOW	4	/* RETR commands in flight (PIPELINING) */
#define POP3_DELE_WINDOW	32	/* DELE commands in flight (PIPELINING) */
#define POP3_SIZE_SLACK		65536	/* a message over its listed size */
#define POP3_LISTING_MAX	(64 * 1024 * 1024) /* octets of a listing */
#define POP3_MAX_MESSAGES	1000000

enum pop3_status {
	POP3_OK,
	POP3_ERR,
	POP3_CONTINUE		/* "+ challenge" during AUTH */
};

struct pop3 {
	struct transport	*transport;
	char			*host;
	const char		*broken;	/* why the session is unusable */
	int			 tls;
	int			 capa;		/* CAPA answered +OK */
	int			 stls;
	int			 user;
	int			 pipelining;
	char			 sasl[256];	/* " PLAIN LOGIN " */
	char			 timestamp[256]; /* APOP <...@...> */
	char			 line[2048];	/* last status line, raw */
	char			 reply[POP3_REPLY_SHOWN + 4]; /* printable */
};

/* Queue one line; trace (or NULL) is what the debug log shows instead. */
int	pop3_put(struct pop3 *, const char *line, size_t len,
	    const char *trace, char **cause);
/* Format and queue a command of at most POP3_COMMAND_MAX octets. */
int	pop3_command(struct pop3 *, char **cause, const char *trace,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Send what is queued and read a status line: enum pop3_status or -1. */
int	pop3_reply(struct pop3 *, int continuation, char **cause);

/* pop3_auth.c: log in as the account says. */
int	pop3_auth(struct pop3 *, const struct account *,
	    const char *token_argv[], int timeout, struct driver_info *,
	    char **cause);

#endif

/*
 * The interface between the protocol-neutral engine (engine.c) and a
 * mail access protocol (POP3, IMAP): a table of small
 * operations, as in fdm's struct fetch. A driver speaks its protocol and
 * reports messages; it never delivers, records or decides what to fetch.
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <stddef.h>
#include <time.h>

struct account;

#define DRIVER_UID_MAX	70	/* longest UID kept (RFC 1939's limit) */

/* What check prints and a poll logs about a session. */
struct driver_info {
	char	 address[128];	/* "host[ip]:port" connected to */
	int	 tls;		/* TLS active */
	char	 tls_version[32];
	char	 tls_cipher[64];
	char	 tls_subject[256];
	int	 tls_verified;	/* chain and host name checked and good */
	char	 tls_fingerprint[65]; /* SHA-256 of the server cert, hex */
	int	 tls_pinned;	/* matched account->tls_fingerprint */
	char	 capabilities[512]; /* as the server listed them */
	char	 auth_method[32];  /* "USER/PASS", "APOP", "PLAIN", ... */
	int	 pipelining;
};

/* One message in a folder, as the server listed it. */
struct driver_message {
	char			 uid[DRIVER_UID_MAX + 1];
	unsigned long long	 size;		/* octets the server announced */
	unsigned long long	 handle;	/* POP3 message number, IMAP UID */
	time_t			 received;	/* server's receive time, or 0 */
};

/*
 * Where a driver puts the messages it retrieves. A non-zero return from
 * begin or data stops feeding this message (the driver still reads the
 * rest of it from the server).
 */
struct driver_sink {
	int	(*begin)(void *arg, size_t index);
	/* A piece of a line (line end stripped, unstuffed); eol = the line
	 * ends here. A long line arrives in several pieces. */
	int	(*data)(void *arg, const char *data, size_t len, int eol);
	/* complete = all of the message was read; else refusal is the
	 * server's reply if it refused to send it, or NULL (the session
	 * broke). A non-zero return stops the retrieval: nothing more is
	 * requested and the driver returns 0 once the session is back in
	 * step. */
	int	(*end)(void *arg, size_t index, int complete,
		    const char *refusal);
};

/* What every session of a driver needs besides the account. */
struct driver_options {
	int		  timeout;	/* seconds, bounds every read/write */
	const char	**token_argv;	/* token_command, or NULL */
};

/*
 * The operations. Each returns 0, or -1 with *cause (one line, with the
 * server's reply where there is one). Optional ones may be NULL.
 */
struct driver {
	const char	*name;		/* "POP3": trace header, log lines */
	/* Connect, negotiate TLS as the account says, authenticate. *info is
	 * filled in as far as the session got, also on failure. The session
	 * keeps no pointer to the options. */
	void		*(*open)(const struct account *,
			    const struct driver_options *, struct driver_info *,
			    char **cause);
	/* Optional: the folders to poll given the account's list (NULL-
	 * terminated, caller frees with xfreev). NULL = one folder, "". */
	int		 (*folders)(void *, const struct account *,
			    char ***folders, char **cause);
	/* Optional: open a folder and give its UIDVALIDITY (0 = none). */
	int		 (*select)(void *, const char *folder,
			    long long *uidvalidity, char **cause);
	/* Every message of the folder, with unique UIDs. */
	int		 (*list)(void *, struct driver_message **list,
			    size_t *count, char **cause);
	/* Retrieve list[indexes[0..count)] in order into the sink; -1 only
	 * when the session is unusable (a refused message goes to the sink
	 * as end(complete = 0)). */
	int		 (*fetch)(void *, const struct driver_message *list,
			    const size_t *indexes, size_t count,
			    const struct driver_sink *, void *arg,
			    char **cause);
	/* Mark the messages deleted. refused[i] is the server's reply for
	 * each one it refused (caller frees), else NULL; the rest go on.
	 * -1 only when the session is unusable. */
	int		 (*delete)(void *, const struct driver_message *list,
			    const size_t *indexes, size_t count,
			    char **refused, char **cause);
	/* Optional: the Message-ID (without <>) of each list[indexes[k]]
	 * into ids[k] (caller frees; NULL if it has none), read from the
	 * header alone. For the UIDVALIDITY rule of engine.c. */
	int		 (*identify)(void *, const struct driver_message *list,
			    const size_t *indexes, size_t count, char **ids,
			    char **cause);
	/* Optional: remove the deleted messages of the folder now. NULL =
	 * they go at quit. */
	int		 (*expunge)(void *, char **cause);
	/* End the session cleanly (POP3: QUIT, which expunges). */
	int		 (*quit)(void *, char **cause);
	/* Close and free, without a clean end. NULL-safe. */
	void		 (*close)(void *);
};

struct conf;
struct transport;

/* The driver of a protocol ("pop3"), or NULL if there is none yet. */
const struct driver	*driver_find(const char *protocol);
/* Open a session of the account with the options of conf. */
void			*driver_open(const struct driver *,
			    const struct account *, const struct conf *,
			    struct driver_info *, char **cause);
/* The folders to poll (the one folder "" of a driver without folders),
 * NULL-terminated; free with xfreev. */
int			 driver_folders(const struct driver *, void *session,
			    const struct account *, char ***folders,
			    char **cause);

/*
 * Start TLS on a connection to the account's host, verified as the
 * account says (tls_verify, tls_fingerprint), and note what the
 * handshake found in *info. For every protocol's STARTTLS and direct TLS.
 */
int			 driver_starttls(struct transport *,
			    const struct account *, struct driver_info *,
			    char **cause);

/*
 * How a session gets its TLS, from the account's tls and port. Only tls =
 * disable allows plain text: detect is implicit TLS on the protocol's
 * implicit-TLS port (995, 993, 465), else STARTTLS (STLS), and either
 * way the session fails rather than go on unencrypted. tls_seen plays no
 * part.
 */
enum driver_tls {
	DRIVER_TLS_DIRECT,	/* TLS from the first byte */
	DRIVER_TLS_STARTTLS,	/* STARTTLS (STLS) or the session fails */
	DRIVER_TLS_DISABLE	/* plain text: the admin allowed it */
};

/* The way of the account for a protocol whose implicit-TLS port is
 * implicit_port; -1 with *cause for an unknown tls mode. */
int			 driver_tls_mode(const struct account *,
			    int implicit_port, enum driver_tls *, char **cause);
/* The cause of a session that would have gone on in plain text: why
 * (printf-style), that plain text was refused and how to allow it. */
char			*driver_plain_refused(const struct account *,
			    const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));
/* The warning every poll and check of a tls = disable account logs, or
 * NULL for another account. */
const char		*driver_plain_warning(const struct account *);

/* pop3_driver.c */
extern const struct driver pop3_driver;
/* imap_mail.c */
extern const struct driver imap_driver;

#endif

/*
 * Inside the IMAP client: the session structure and the helpers that
 * imap.c (session, commands, TLS), imap_auth.c (logging in),
 * imap_folder.c, imap_fetch.c and imap_mail.c (folders and messages)
 * share. Other modules use the
 * driver (imap_driver in driver.h).
 */
#ifndef IMAP_SESSION_H
#define IMAP_SESSION_H

#include <stddef.h>

#include "imap_reader.h"

struct account;
struct driver_info;
struct driver_message;
struct driver_options;
struct driver_sink;
struct transport;

#define IMAP_COMMAND_MAX	8192	/* one command line we send */
#define IMAP_LITERAL_MAX	(1024 * 1024) /* a literal kept in memory */
#define IMAP_MAX_MESSAGES	1000000
/* Untagged responses to one command: a listing's, and as many more. */
#define IMAP_MAX_RESPONSES	(2 * IMAP_MAX_MESSAGES)

/* Capabilities we act on. */
#define IMAP_CAP_IMAP4		0x01	/* IMAP4rev1 or IMAP4rev2 */
#define IMAP_CAP_STARTTLS	0x02
#define IMAP_CAP_LOGINDISABLED	0x04
#define IMAP_CAP_UIDPLUS	0x08
#define IMAP_CAP_LITERALPLUS	0x10	/* LITERAL+ (or LITERAL- for small) */
#define IMAP_CAP_SASL_IR	0x20

/* A message of the selected folder: its sequence number and UID. */
struct imap_seq {
	unsigned long		 seq;
	unsigned long long	 uid;
};

struct imap {
	struct transport	*transport;
	struct imap_reader	*reader;
	char			*host;
	char			*account;	/* for the log lines we write */
	int			 keep;		/* EXAMINE: nothing changes */
	const char		*broken;	/* why the session is unusable */
	unsigned		 tags;		/* tags used: a1, a2, ... */
	int			 tls;
	int			 preauth;	/* greeted PREAUTH */
	unsigned		 caps;		/* IMAP_CAP_ */
	int			 caps_known;	/* caps from this TLS state */
	char			 sasl[256];	/* " PLAIN LOGIN " */
	char			 capabilities[512]; /* as listed, for check */
	char			 reply[IMAP_SHOWN + 4]; /* last status, no tag */
	int			 said_bye;	/* untagged BYE came */
	unsigned long		 responses;	/* since the last command */
	char			 bye[IMAP_SHOWN + 4];	/* its text */
	char			 delimiter;	/* hierarchy, 0 = none/unknown */
	char		       **listed;	/* LIST: shown name, wire name... */

	/* the selected folder */
	char			*folder;	/* as shown (UTF-8, '/') */
	unsigned long		 exists;
	long long		 uidvalidity;
	struct imap_seq		*seqs;		/* of the listing, by seq */
	size_t			 nseqs;
	unsigned long long	*marked;	/* UIDs we set \Deleted on */
	size_t			 nmarked;
};

/*
 * Handles an untagged response for the command being waited for (the
 * session has already noted CAPABILITY, EXISTS, EXPUNGE and BYE). A
 * non-zero return ends the wait with -1 and *cause set.
 */
typedef int (*imap_handler)(struct imap *, const struct imap_response *,
    void *arg, char **cause);

/*
 * Queue a command: "TAG " fmt "\r\n" (fmt has no CRLF and no literal);
 * the tag is written into tag. trace (or NULL) is what the debug log
 * shows instead of the line, for secrets. -1 with *cause (the session
 * unusable, the line malformed, or a write failed).
 */
int	imap_command(struct imap *, char tag[IMAP_TAG_MAX + 1], char **cause,
	    const char *trace, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/*
 * Queue a command of a verb and string arguments, each sent as a quoted
 * string, or as a literal when it must be (8-bit octets): then the
 * command is sent in parts, waiting for the server's "+" unless it has
 * LITERAL+. secret: the arguments after the first are traced redacted.
 */
int	imap_command_strings(struct imap *, char tag[IMAP_TAG_MAX + 1],
	    const char *verb, const char *const *args, size_t nargs,
	    int secret, char **cause);
/* Queue one raw line (an AUTHENTICATE response), traced as trace. */
int	imap_put(struct imap *, const char *line, const char *trace,
	    char **cause);
/* Send what is queued. */
int	imap_flush(struct imap *, char **cause);
/*
 * Read one response, with streaming for literals (or NULL), and note what
 * every response may tell (capabilities, EXISTS, EXPUNGE, BYE). Returns
 * 0, or -1 with *cause; the session is then broken.
 */
int	imap_next(struct imap *, const struct imap_stream *,
	    struct imap_response **, char **cause);
/*
 * Send what is queued and read up to the tagged response of tag, giving
 * untagged responses to handler (or NULL). Returns IMAP_OK, IMAP_NO or
 * IMAP_BAD (the text in i->reply), or -1 with *cause.
 */
int	imap_wait(struct imap *, const char *tag, imap_handler, void *arg,
	    char **cause);
/* Note the capabilities listed in items [first..] of a response or code. */
void	imap_note_capabilities(struct imap *, const struct imap_item *list,
	    size_t first);
/* The session is out of step: refuse further commands. */
int	imap_break(struct imap *, const char *why, char **cause);

/* Connect, greet, negotiate TLS, log in; NULL with *cause. */
struct imap	*imap_open(const struct account *,
		    const struct driver_options *, struct driver_info *,
		    char **cause);
/* The same over a transport already connected (tests). */
struct imap	*imap_open_transport(struct transport *,
		    const struct account *, const struct driver_options *,
		    struct driver_info *, char **cause);
/* Close and free, without LOGOUT. NULL-safe. */
void		 imap_close(struct imap *);

/* imap_auth.c: log in as the account says. */
int	imap_auth(struct imap *, const struct account *,
	    const struct driver_options *, struct driver_info *,
	    char **cause);

#define IMAP_SET_UIDS	256	/* UIDs in one UID STORE, EXPUNGE, FETCH */

/* imap_mail.c: drop what the session knows of the selected folder. */
void	imap_unselect(struct imap *);
/* A number item within [min, max]: 0, else -1. */
int	imap_bounded(const struct imap_item *, long long min, long long max,
	    long long *value);
/* qsort order of unsigned long long UIDs. */
int	imap_by_uid(const void *, const void *);
/* A UID set "1:3,7" of sorted uids[0..n), in a new string. */
char	*imap_uidset(const unsigned long long *uids, size_t n);
/* The value after name in a FETCH response's list, or NULL. */
const struct imap_item *imap_fetch_item(const struct imap_item *list,
	    const char *name);
/* "* SEQ FETCH (...)": its sequence number and list; -1 if it is not. */
int	imap_fetch_parts(const struct imap_response *, unsigned long *seq,
	    const struct imap_item **list);

/* imap_folder.c: the driver's folders operation, and a shown name's
 * name on the wire (NULL with *cause if it is not UTF-8). */
int	imap_folders(void *session, const struct account *, char ***folders,
	    char **cause);
char	*imap_wire_name(const struct imap *, const char *shown,
	    char **cause);

/* imap_fetch.c: the driver's fetch and identify operations. */
int	imap_fetch(void *session, const struct driver_message *list,
	    const size_t *indexes, size_t count, const struct driver_sink *,
	    void *arg, char **cause);
int	imap_identify(void *session, const struct driver_message *list,
	    const size_t *indexes, size_t count, char **ids, char **cause);

#endif

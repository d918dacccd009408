/*
 * Recipient rewriting, the milter's pure logic: a snapshot of the accounts,
 * aliases and local recipients (the directory) and the function that maps
 * one message's envelope recipients through it. Knows nothing of libmilter
 * or PostgreSQL, so it is unit-tested on its own.
 */
#ifndef REWRITE_H
#define REWRITE_H

#include <stddef.h>

/* One row of postfetch.alias: remote is lower case, "a@b" or "@b". */
struct alias {
	char	*remote;
	char	*local;
};

/* One row of postfetch.account, with its aliases sorted by remote. */
struct account {
	long long	 id;
	char		*name;
	int		 etrn;		/* protocol = 'etrn' */
	char		*domain;	/* lower case, or NULL */
	char		*deliver_to;	/* single-drop address, or NULL */
	char		*fallback;	/* or NULL: the configured postmaster */
	struct alias	*aliases;
	size_t		 naliases;
};

/* Everything the rewriting needs, read in one go and then never changed. */
struct directory {
	struct account	*accounts;	/* sorted by name */
	size_t		 naccounts;
	char		**locals;	/* lower case, sorted */
	size_t		 nlocals;
};

/* Why a recipient went where it went. */
enum rewrite_reason {
	REWRITE_KEPT,		/* in postfetch.local_recipient */
	REWRITE_ALIAS,
	REWRITE_FALLBACK,	/* the account's fallback */
	REWRITE_POSTMASTER	/* the configured postmaster */
};

/* One changed recipient: the log line "rcpt=<from> -> <to> (reason)". */
struct rewrite_change {
	size_t			 recipient;	/* index into the input */
	const struct account	*account;
	const char		*to;		/* points into the directory/conf */
	enum rewrite_reason	 reason;
};

/* The outcome for one message. */
struct rewrite_result {
	size_t			 nrecipients;
	int			*remove;	/* per input recipient: delete it */
	const struct account	**account;	/* per input recipient: its account
					   if it is rewritten, else NULL */
	struct rewrite_change	*changes;
	size_t			 nchanges;
	const char		**add;		/* new recipients, no duplicates */
	size_t			 nadd;
};

/*
 * Build a directory from rows in any order and case (takes ownership of
 * the arrays and their strings): lower-cases and sorts what is looked up.
 * NULL if out of memory (the rows are freed).
 */
struct directory *directory_new(struct account *, size_t naccounts,
		    char **locals, size_t nlocals);
void		 directory_free(struct directory *);
/* Free the rows of a directory (accounts with their strings and aliases,
 * locals) and zero it, but not the directory itself. */
void		 directory_clear(struct directory *);
/* The account called name, or NULL. */
const struct account *directory_account(const struct directory *,
		    const char *name);
/* The ETRN account whose domain is that of address, or NULL. */
const struct account *directory_account_bydomain(const struct directory *,
		    const char *address);
/* Whether address (any case) is in postfetch.local_recipient. */
int		 directory_is_local(const struct directory *, const char *);

/*
 * The bare address of a recipient as Postfix gives it: without the angle
 * brackets, or NULL if what is left is empty (or out of memory). Returns
 * a string to free.
 */
char		*rewrite_bare(const char *recipient);
/*
 * Rewrite the envelope recipients (as Postfix gave them, angle brackets
 * and all) of one message. account: the account a verified tag named; NULL
 * means each recipient belongs to the ETRN account of its domain, if any,
 * and recipients of no account stay as they are. A recipient goes through
 * the account's aliases if it has any; else it stays if it is the tagged
 * account's deliver_to or a local recipient; else it goes to the fallback
 * or the postmaster. Fills result (free it with rewrite_result_free) and
 * returns 0, or returns -1 out of memory (result empty).
 */
int		 rewrite_recipients(const struct directory *,
		    const struct account *account, const char *postmaster,
		    char *const *recipients, size_t nrecipients,
		    struct rewrite_result *result);
void		 rewrite_result_free(struct rewrite_result *);
/*
 * Whether a recipient (as Postfix gave it) is in an ETRN account's domain:
 * 1, 0, or -1 out of memory (count it as a yes).
 */
int		 rewrite_involves(const struct directory *,
		    char *const *recipients, size_t nrecipients);
/* "alias", "fallback", "postmaster" or "kept". */
const char	*rewrite_reason_name(enum rewrite_reason);

#endif

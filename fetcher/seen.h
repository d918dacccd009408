/*
 * The per-account index of UIDs already fetched (postfetch.seen, with
 * each message's size) and of messages left on the server on purpose
 * (postfetch.skipped). A poll loads each set with one query, looks UIDs
 * up in memory, and commits the UIDs sendmail accepted in batches, one
 * statement (one transaction) each.
 */
#ifndef SEEN_H
#define SEEN_H

#include <stddef.h>

#include "db.h"

/* A UID and the size it had when recorded (-1: not known). */
struct uidset_entry {
	char		*uid;
	long long	 size;
};

/* A sorted set of UIDs of one account folder. */
struct uidset {
	struct uidset_entry	*entries;
	size_t			 count;
	size_t			 size;
};

/* Where a set belongs: POP3 uses folder "" and uidvalidity 0. */
struct seen_key {
	long long	 account_id;
	const char	*folder;
	long long	 uidvalidity;
	long long	 generation;	/* the account's mailbox_generation
					 * when the poll began */
};

extern const struct db_statement seen_statements[];

/* Load the UIDs in postfetch.seen (skipped = 0) or postfetch.skipped. */
int	seen_load(struct db *, const struct seen_key *, int skipped,
	    struct uidset *, char **cause);
/*
 * Record UIDs as fetched, with their sizes, in one transaction, provided
 * the account's mailbox_generation still is key->generation (and forget them
 * in postfetch.skipped: fetched after a limit was raised). Returns 1
 * committed, 0 the mailbox changed (nothing recorded), -1 error.
 */
int	seen_commit(struct db *, const struct seen_key *,
	    const char *const *uids, const unsigned long long *sizes,
	    const char *const *message_ids, size_t count, char **cause);
/* Record a message left on the server, with its size and why. */
int	seen_skip(struct db *, const struct seen_key *, const char *uid,
	    unsigned long long size, const char *reason, char **cause);
/* Forget the UIDs in postfetch.seen (skipped = 0) or postfetch.skipped
 * that are not in present (gone from the server). */
int	seen_prune(struct db *, const struct seen_key *, int skipped,
	    const char *const *present, size_t count, char **cause);
/*
 * Forget UIDs the server has expunged (DELE then QUIT +OK): a server may
 * give a later message the same UID, which must not count as fetched.
 */
int	seen_forget(struct db *, const struct seen_key *,
	    const char *const *uids, size_t count, char **cause);

/* What the index of a folder holds under other UIDVALIDITYs. */
struct seen_previous {
	long long	 uidvalidity;	/* the latest of them */
	size_t		 rows;		/* 0: none, the folder is new */
	char		**ids;		/* Message-IDs of the rows with one */
	long long	*sizes;
	size_t		 count;
};

/* Load it (key->uidvalidity is the folder's current one). */
int	seen_previous(struct db *, const struct seen_key *,
	    struct seen_previous *, char **cause);
/* Whether a message with this Message-ID and size was delivered. */
int	seen_previous_has(const struct seen_previous *,
	    const char *message_id, unsigned long long size);
void	seen_previous_free(struct seen_previous *);
/* Forget the rows (seen and skipped) under other UIDVALIDITYs. */
int	seen_drop_previous(struct db *, const struct seen_key *,
	    char **cause);

/* The entry of uid, or NULL. */
const struct uidset_entry *uidset_find(const struct uidset *,
	    const char *uid);
/* Whether uid is in the set. */
int	uidset_has(const struct uidset *, const char *uid);
/* Add a copy of uid with its size (updated when present); keeps the
 * set sorted. */
void	uidset_add(struct uidset *, const char *uid, long long size);
void	uidset_free(struct uidset *);

#endif

/*
 * The per-account index of UIDs already fetched (postfetch.seen) and of
 * messages left on the server on purpose (postfetch.skipped). A poll loads
 * each set with one query, looks UIDs up in memory, and commits every new
 * UID with its own autocommitted INSERT right after sendmail accepted it.
 */
#ifndef SEEN_H
#define SEEN_H

#include <stddef.h>

#include "db.h"

/* A sorted set of UIDs of one account folder. */
struct uidset {
	char	**uids;
	size_t	  count;
	size_t	  size;
};

/* Where a set belongs: POP3 uses folder "" and uidvalidity 0. */
struct seen_key {
	long long	 account_id;
	const char	*folder;
	long long	 uidvalidity;
};

extern const struct db_statement seen_statements[];

/* Load the UIDs in postfetch.seen (skipped = 0) or postfetch.skipped. */
int	seen_load(struct db *, const struct seen_key *, int skipped,
	    struct uidset *, char **cause);
/* Record a UID as fetched (committed when this returns 0). */
int	seen_add(struct db *, const struct seen_key *, const char *uid,
	    char **cause);
/* Record a message left on the server, with its size and why. */
int	seen_skip(struct db *, const struct seen_key *, const char *uid,
	    unsigned long long size, const char *reason, char **cause);
/* Forget the seen UIDs that are not in present (gone from the server). */
int	seen_prune(struct db *, const struct seen_key *,
	    const char *const *present, size_t count, char **cause);
/*
 * Forget UIDs the server has expunged (DELE then QUIT +OK): a server may
 * give a later message the same UID, which must not count as fetched.
 */
int	seen_forget(struct db *, const struct seen_key *,
	    const char *const *uids, size_t count, char **cause);

/* Whether uid is in the set. */
int	uidset_has(const struct uidset *, const char *uid);
/* Add a copy of uid (no-op when present); keeps the set sorted. */
void	uidset_add(struct uidset *, const char *uid);
void	uidset_free(struct uidset *);

#endif

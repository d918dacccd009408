/*
 * The directory cache: one snapshot of the alias configuration shared by
 * every milter thread, reloaded when a NOTIFY on channel postfetch_config
 * (sent by the schema's triggers) says it changed.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdatomic.h>

#include "rewrite.h"

#define CACHE_CHANNEL	"postfetch_config"

/* A counted reference to one snapshot (the cache holds one while it is current). */
struct snapshot {
	struct directory	*directory;
	unsigned long		 generation;	/* of the data it was read at */
	atomic_uint		 refs;
};

/*
 * Start the listener thread on its own connection to conninfo. Nothing
 * is read from the database yet (the first message does that); the ETRN
 * domains of the state file at path stand in for it until then, and
 * every read keeps them there.
 */
void		 cache_start(const char *conninfo, const char *path);
/* Stop the listener and free everything. */
void		 cache_stop(void);
/*
 * The current snapshot, read again first if it is stale. When the
 * database cannot be read: with allow_stale, the last snapshot read (and
 * *fresh cleared), else NULL with *cause set. Release it after use.
 */
struct snapshot	*cache_acquire(int allow_stale, int *fresh, char **cause);
void		 cache_release(struct snapshot *);

#endif

/*
 * The milter's state file: the ETRN domains of the last directory read
 * from PostgreSQL, kept so that a milter started while the database is
 * down still knows which SMTP mail it must rewrite.
 */
#ifndef STATE_H
#define STATE_H

#include "rewrite.h"

#define STATE_FILE_MAX	(1024 * 1024)	/* bytes; a handful of domains */

/*
 * The file's text for directory: a comment line, then each ETRN domain
 * once, lower case, sorted, one a line. NULL if out of memory.
 */
char		*state_format(const struct directory *);
/*
 * Replace path with text atomically (a temporary file in the same
 * directory, mode 0600, synced, then renamed over it). Returns 0, or -1
 * with *cause set.
 */
int		 state_write(const char *path, const char *text, char **cause);
/*
 * Read path into a directory of ETRN accounts that have nothing but a
 * domain (no aliases, no local recipients). Returns 0 with *directory
 * set, 0 with *directory NULL if there is no such file, or -1 with
 * *cause set for a file that is unsafe (not a regular file of this user,
 * writable by others) or not a state file.
 */
int		 state_read(const char *path, struct directory **directory,
		    char **cause);

#endif

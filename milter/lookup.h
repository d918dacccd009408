/*
 * The milter's SQL: read the accounts, aliases and local recipients from
 * PostgreSQL into one consistent directory snapshot.
 */
#ifndef LOOKUP_H
#define LOOKUP_H

#include "db.h"
#include "rewrite.h"

/* The prepared statements; pass to db_new. */
extern const struct db_statement lookup_statements[];

/*
 * Read everything in one read-only transaction. Returns a new directory,
 * or NULL with *cause set.
 */
struct directory *lookup_directory(struct db *, char **cause);

#endif

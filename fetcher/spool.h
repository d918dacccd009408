/*
 * A message waiting for sendmail: an unlinked temporary file (O_TMPFILE)
 * written through a buffer. Nothing of it is visible in the file system
 * and it is gone when the last descriptor closes, so a killed fetcher
 * leaves nothing behind; memory stays bounded whatever the size.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

#define SPOOL_BUFFER	(64 * 1024)	/* bytes per write(2) */

struct spool;

/* A new empty spool file in directory. NULL with *cause on failure. */
struct spool		*spool_open(const char *directory, char **cause);
/* Append len bytes. Returns 0, or -1 with *cause (disk full, ...). */
int			 spool_write(struct spool *, const void *data,
			    size_t len, char **cause);
/* Write out the buffer and rewind: the file is ready to be read. */
int			 spool_finish(struct spool *, char **cause);
/* The file's descriptor (read it only after spool_finish). */
int			 spool_fd(const struct spool *);
/* Bytes written so far. */
unsigned long long	 spool_size(const struct spool *);
/* Close the file (it disappears with its last descriptor). NULL-safe. */
void			 spool_free(struct spool *);

#endif

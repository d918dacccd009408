/*
 * Spool files: each message is written to an anonymous file in the spool
 * directory before sendmail sees any of it. O_TMPFILE makes the file
 * without a name; where the file system lacks it, a mkstemp name is
 * unlinked at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "xmalloc.h"

struct spool {
	int			 fd;
	char			*buf;
	size_t			 len;		/* bytes in buf */
	unsigned long long	 size;		/* bytes written, buffer too */
};

/* An unlinked file made with mkstemp, for file systems without
 * O_TMPFILE. */
static int
spool_mkstemp(const char *directory)
{
	char	*path;
	int	 fd, error;

	path = xprintf("%s/postfetch.XXXXXXXXXX", directory);
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1 && unlink(path) == -1) {
		error = errno;
		close(fd);
		errno = error;
		fd = -1;
	}
	free(path);
	return fd;
}

struct spool *
spool_open(const char *directory, char **cause)
{
	struct spool	*spool;
	int		 fd;

	fd = open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL))
		fd = spool_mkstemp(directory);
	if (fd == -1) {
		*cause = xprintf("spool file in %s: %s", directory,
		    strerror(errno));
		return NULL;
	}
	spool = xcalloc(1, sizeof(*spool));
	spool->fd = fd;
	spool->buf = xmalloc(SPOOL_BUFFER);
	return spool;
}

/* Write all of data to the file. */
static int
spool_flush(struct spool *spool, const char *data, size_t len, char **cause)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(spool->fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			*cause = xprintf("spool file: %s", strerror(errno));
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
spool_write(struct spool *spool, const void *data, size_t len, char **cause)
{
	if (len == 0)
		return 0;
	spool->size += len;
	if (len <= SPOOL_BUFFER - spool->len) {
		memcpy(spool->buf + spool->len, data, len);
		spool->len += len;
		return 0;
	}
	if (spool_flush(spool, spool->buf, spool->len, cause) != 0)
		return -1;
	spool->len = 0;
	if (len >= SPOOL_BUFFER)
		return spool_flush(spool, data, len, cause);
	memcpy(spool->buf, data, len);
	spool->len = len;
	return 0;
}

int
spool_finish(struct spool *spool, char **cause)
{
	if (spool->buf == NULL)
		return 0;
	if (spool_flush(spool, spool->buf, spool->len, cause) != 0)
		return -1;
	/* the buffer is not needed while the file waits for sendmail */
	free(spool->buf);
	spool->buf = NULL;
	spool->len = 0;
	if (lseek(spool->fd, 0, SEEK_SET) == -1) {
		*cause = xprintf("spool file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
spool_fd(const struct spool *spool)
{
	return spool->fd;
}

unsigned long long
spool_size(const struct spool *spool)
{
	return spool->size;
}

void
spool_free(struct spool *spool)
{
	if (spool == NULL)
		return;
	close(spool->fd);
	free(spool->buf);
	free(spool);
}

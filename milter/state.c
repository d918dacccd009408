/*
 * The milter's state file. The cache writes it after each directory it
 * reads, when the ETRN domains changed, and reads it once at start: until
 * the database answers, those domains tell the SMTP mail the milter must
 * rewrite (it waits) from the rest (it passes). Nothing else is kept:
 * fetched mail always waits for the database.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "xmalloc.h"

#define STATE_COMMENT	"# postfetch-milter: the ETRN domains of the last " \
			"directory read\n"
#define DOMAIN_MAX	253

/* Whether s (length bytes) can be a domain of the file. */
static int
domain_usable(const char *s, size_t length)
{
	size_t	 i;

	if (length == 0 || length > DOMAIN_MAX)
		return 0;
	for (i = 0; i < length; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '@' || s[i] == '#')
			return 0;
	return 1;
}

/* qsort order of domains. */
static int
compare_domains(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
state_format(const struct directory *directory)
{
	const char	**domains;
	const char	 *domain;
	char		 *text, *p;
	size_t		  count = 0, size = sizeof STATE_COMMENT, i;

	domains = calloc(directory->naccounts + 1, sizeof *domains);
	if (domains == NULL)
		return NULL;
	for (i = 0; i < directory->naccounts; i++) {
		domain = directory->accounts[i].domain;
		if (!directory->accounts[i].etrn || domain == NULL ||
		    !domain_usable(domain, strlen(domain)))
			continue;
		domains[count++] = domain;
		size += strlen(domain) + 1;
	}
	if (count > 0)
		qsort(domains, count, sizeof *domains, compare_domains);
	if ((text = malloc(size)) != NULL) {
		p = stpcpy(text, STATE_COMMENT);
		for (i = 0; i < count; i++) {
			if (i > 0 && strcmp(domains[i], domains[i - 1]) == 0)
				continue;
			p = stpcpy(p, domains[i]);
			*p++ = '\n';
		}
		*p = '\0';
	}
	free(domains);
	return text;
}

/* Write all of text to fd; returns 0 or -1 with errno. */
static int
write_all(int fd, const char *text, size_t length)
{
	ssize_t	 n;

	while (length > 0) {
		if ((n = write(fd, text, length)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		text += n;
		length -= (size_t)n;
	}
	return 0;
}

/* Set *cause to "what: the error", or NULL out of memory; returns -1. */
static int
write_failed(char **cause, const char *what, int error)
{
	if (asprintf(cause, "%s: %s", what, strerror(error)) == -1)
		*cause = NULL;
	return -1;
}

int
state_write(const char *path, const char *text, char **cause)
{
	char	*temporary;
	int	 fd, error, rc;

	*cause = NULL;
	if (asprintf(&temporary, "%s.XXXXXX", path) == -1)
		return -1;
	/* mkstemp makes it mode 0600, owned by the milter's user. */
	if ((fd = mkstemp(temporary)) == -1) {
		rc = write_failed(cause, temporary, errno);
		free(temporary);
		return rc;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1 ||
	    write_all(fd, text, strlen(text)) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1) {
		error = errno;
		close(fd);
		unlink(temporary);
		rc = write_failed(cause, temporary, error);
		free(temporary);
		return rc;
	}
	if (rename(temporary, path) == -1) {
		error = errno;
		unlink(temporary);
		free(temporary);
		return write_failed(cause, path, error);
	}
	free(temporary);
	return 0;
}

/* Read the whole of a safe state file; returns its text or NULL. */
static char *
read_safely(const char *path, int *missing, char **cause)
{
	struct stat	 sb;
	char		*text;
	ssize_t		 n;
	size_t		 length = 0;
	int		 fd;

	*missing = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			*missing = 1;
		else
			xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	/* Whoever could write it could make ETRN mail pass unrewritten. */
	if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    sb.st_size > STATE_FILE_MAX) {
		xasprintf(cause, "%s: not a regular file of uid %u, writable "
		    "by it alone, of at most %d bytes", path,
		    (unsigned)geteuid(), STATE_FILE_MAX);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (length < (size_t)sb.st_size &&
	    (n = read(fd, text + length, (size_t)sb.st_size - length)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		length += (size_t)n;
	}
	close(fd);
	text[length] = '\0';
	return text;
}

int
state_read(const char *path, struct directory **directory, char **cause)
{
	struct account	*accounts = NULL;
	char		*text, *line, *end;
	size_t		 count = 0, length, number = 0;
	int		 missing;

	*directory = NULL;
	if ((text = read_safely(path, &missing, cause)) == NULL)
		return missing ? 0 : -1;
	if (strncmp(text, STATE_COMMENT, strlen(STATE_COMMENT)) != 0) {
		xasprintf(cause, "%s: not a state file of postfetch-milter",
		    path);
		free(text);
		return -1;
	}
	for (line = text + strlen(STATE_COMMENT); *line != '\0'; line = end) {
		number++;
		length = strcspn(line, "\n");
		end = line + length + (line[length] == '\n');
		if (line[length] != '\n' || !domain_usable(line, length)) {
			xasprintf(cause, "%s: line %zu: not a domain", path,
			    number + 1);
			goto fail;
		}
		accounts = xreallocarray(accounts, count + 1, sizeof *accounts);
		memset(&accounts[count], 0, sizeof *accounts);
		accounts[count].etrn = 1;
		accounts[count].domain = xstrndup(line, length);
		accounts[count].name = xstrdup(accounts[count].domain);
		count++;
	}
	free(text);
	*directory = directory_new(accounts, count, xcalloc(1, sizeof(char *)),
	    0);
	if (*directory == NULL)
		fatalx("state_read: out of memory");	/* at start only */
	return 0;
fail:
	while (count > 0) {
		count--;
		free(accounts[count].domain);
		free(accounts[count].name);
	}
	free(accounts);
	free(text);
	return -1;
}

/* Allocation helpers that never return NULL: out of memory is fatal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatal("xmalloc: %zu bytes", size);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void	*p;

	if (count == 0 || size == 0)
		count = size = 1;
	if ((p = calloc(count, size)) == NULL)
		fatal("xcalloc: %zu * %zu bytes", count, size);
	return p;
}

/* realloc with an overflow check on count * size. */
void *
xreallocarray(void *old, size_t count, size_t size)
{
	void	*p;

	if (count == 0 || size == 0)
		count = size = 1;
	if ((p = reallocarray(old, count, size)) == NULL)
		fatal("xreallocarray: %zu * %zu bytes", count, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("xstrdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatal("xstrndup");
	return p;
}

int
xasprintf(char **out, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("xasprintf");
	return n;
}

/* Format into a new string; the caller frees it. */
char *
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("xprintf");
	va_end(ap);
	return s;
}

void
xfreev(char **strings)
{
	size_t	 i;

	if (strings == NULL)
		return;
	for (i = 0; strings[i] != NULL; i++)
		free(strings[i]);
	free(strings);
}

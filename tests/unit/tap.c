/* A minimal TAP producer for the unit test programs, and their files. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int	tap_count;
static int	tap_failed;

/* Print "ok N - name" or "not ok N - name". */
static int __attribute__((format(printf, 2, 0)))
tap_vresult(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

int
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list	 ap;
	int	 cond;

	if (got == NULL || want == NULL)
		cond = got == want;
	else
		cond = strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("     got: %s%s%s", got ? "'" : "", got ? got : "NULL",
		    got ? "'" : "");
		diag("expected: %s%s%s", want ? "'" : "", want ? want : "NULL",
		    want ? "'" : "");
	}
	return cond;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list	 ap;
	int	 cond = got == want;

	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("got %lld, expected %lld", got, want);
	return cond;
}

void
diag(const char *fmt, ...)
{
	va_list	 ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

void
test_dir(char *template)
{
	if (mkdtemp(template) == NULL) {
		perror(template);
		exit(1);
	}
}

void
test_write(const char *path, const char *text, int mode)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(path, (mode_t)mode) != 0) {
		perror(path);
		exit(1);
	}
}

void
test_dir_remove(const char *dir)
{
	char	*command;
	size_t	 len = strlen(dir) + 16;

	if ((command = malloc(len)) == NULL)
		exit(1);
	snprintf(command, len, "rm -rf '%s'", dir);
	if (system(command) != 0)
		diag("could not remove %s", dir);
	free(command);
}
